import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "@seatdesk/db";
import { createOwnDatabase, expectExactlyOnce, readStored, replayAll, seedDatabase, sleep, spawnServer, usageLoad, type OwnDatabase } from "./fault-helpers";

/**
 * Issue 14, "Survive faults": the server is killed (SIGKILL) while 16 clients record usage. After a
 * restart on the same data, every event it acknowledged is there: sent again, each answers as a replay;
 * the others are stored once when retried with their keys; the ledgers' counters equal the events.
 * On PostgreSQL (TEST_DATABASE_URL) and on an embedded PGlite data folder (the PGlite run).
 */
const pgUrl = process.env.TEST_DATABASE_URL;

describe(`kill -9 under load (${pgUrl ? "PostgreSQL" : "PGlite data folder"})`, () => {
  let own: OwnDatabase | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await own?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("every acknowledged event survives the kill, exactly once", { timeout: 90_000 }, async () => {
    let target: { url: string } | { dataDir: string };
    if (pgUrl) {
      own = await createOwnDatabase("kill");
      target = { url: own.url };
    } else {
      dataDir = mkdtempSync(join(tmpdir(), "seatdesk-kill-"));
      target = { dataDir };
    }
    const seeded = await seedDatabase("url" in target ? target : { dataDir: join(target.dataDir, "pglite") });

    const first = await spawnServer(target);
    const load = usageLoad(first.base, seeded, 16);
    // Until a good number are acknowledged (a busy machine may take longer than the usual second).
    for (let waited = 0; load.attempts.filter((a) => a.status === 200).length < 100 && waited < 10_000; waited += 100) await sleep(100);
    await first.kill9();
    await load.stop();
    expect(first.child.signalCode).toBe("SIGKILL");
    const acknowledgedBeforeKill = load.attempts.filter((a) => a.status === 200).length;
    expect(acknowledgedBeforeKill).toBeGreaterThanOrEqual(100);
    // Cut off by the kill: no answer (status 0). Nothing else but 200 was answered before it.
    expect(load.attempts.filter((a) => a.status !== 200 && a.status !== 0).map((a) => a.text)).toEqual([]);

    const second = await spawnServer(target);
    let keys: Awaited<ReturnType<typeof replayAll>>;
    try {
      keys = await replayAll(second.base, seeded.key, load.attempts);
    } finally {
      await second.stop();
    }
    expect(keys.acknowledged.size).toBe(acknowledgedBeforeKill);

    const reader = await connect("url" in target ? { url: target.url, max: 1 } : { dataDir: join(target.dataDir, "pglite") });
    try {
      expectExactlyOnce(await readStored(reader.db, seeded.accountId), keys.all);
    } finally {
      await reader.close();
    }
    console.info(JSON.stringify({ fault: "kill", database: pgUrl ? "postgres" : "pglite", acknowledged: keys.acknowledged.size, cutOff: keys.all.size - keys.acknowledged.size }));
  });
});
