import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Database } from "@seatdesk/db";
import {
  createOwnDatabase,
  expectDatabaseUnavailable,
  expectExactlyOnce,
  readStored,
  replayAll,
  seedDatabase,
  sleep,
  spawnServer,
  usageLoad,
  type OwnDatabase,
  type Seeded,
  type Spawned,
} from "./fault-helpers";

/**
 * The last resort (src/process-guards.ts): what nothing caught is logged, with its stack, and the process
 * exits 1 for its supervisor. Run in a child process, as the server runs.
 */
describe("process guards", () => {
  const serverDir = fileURLToPath(new URL("..", import.meta.url));
  it.each([
    ["an unhandled rejection", "Promise.reject(new Error('lost promise'))", "unhandled rejection: exiting", "lost promise"],
    ["an uncaught exception", "setTimeout(() => { throw new Error('thrown in a callback') }, 0)", "uncaught exception: exiting", "thrown in a callback"],
  ])("%s is logged and the process exits 1", (_, code, msg, error) => {
    const script = `import { installProcessGuards } from "./src/process-guards.ts"; import { jsonLog } from "./src/log.ts"; installProcessGuards(jsonLog()); ${code}; setTimeout(() => process.exit(0), 2000);`;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: serverDir, encoding: "utf8", timeout: 20_000 });
    expect(child.status, child.stderr).toBe(1);
    const line = child.stderr.split("\n").find((l) => l.includes(msg));
    expect(line, child.stderr).toBeDefined();
    const entry = JSON.parse(line!) as { level: string; error: string; stack?: string };
    expect(entry.level).toBe("error");
    expect(entry.error).toContain(error);
    expect(entry.stack).toContain(error);
  });
});

/**
 * Issue 14, "Survive faults": PostgreSQL cuts every connection of the server (pg_terminate_backend) five
 * times while 16 clients record usage. The process stays up; a request caught by a cut answers 503
 * database-unavailable (never a 500, never SQL); the server recovers by itself within 2 s of the last cut;
 * every acknowledged event is stored exactly once, and retrying the others with their keys stores each once.
 */
if (process.env.TEST_DATABASE_URL) {
  describe("connections terminated under load (PostgreSQL)", () => {
    let own: OwnDatabase;
    let seeded: Seeded;
    let server: Spawned;
    let reader: Database;

    beforeAll(async () => {
      own = await createOwnDatabase("terminate");
      seeded = await seedDatabase({ url: own.url });
      server = await spawnServer({ url: own.url });
      reader = await connect({ url: own.url, max: 1 });
    });
    afterAll(async () => {
      await server?.stop();
      await reader?.close();
      await own?.drop();
    });

    it("stays up, answers 503 database-unavailable, recovers within 2 s and stores every acknowledged event once", async () => {
      const load = usageLoad(server.base, seeded, 16);
      await sleep(1_000);
      const kills: { at: number; terminated: number }[] = [];
      for (let i = 0; i < 5; i++) {
        const rows = await own.admin<{ pid: number }[]>`
          select pg_terminate_backend(pid) as pid from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`;
        kills.push({ at: performance.now(), terminated: rows.length });
        await sleep(300);
      }
      const lastKill = kills.at(-1)!.at;
      await sleep(3_000);
      await load.stop();

      expect(server.alive(), server.output()).toBe(true);
      expect(server.output()).not.toMatch(/uncaught exception|unhandled rejection/);
      // The cuts found the server's connections to terminate (one may come while the pool is still reconnecting).
      expect(kills.filter((k) => k.terminated > 0).length, JSON.stringify(kills)).toBeGreaterThanOrEqual(3);

      const attempts = load.attempts;
      const refused = attempts.filter((a) => a.status !== 200);
      for (const a of refused) expectDatabaseUnavailable(a);
      expect(refused.length, "some requests were caught by a cut").toBeGreaterThan(0);

      // Recovered: every request sent from 2 s after the last cut on is answered 200, and there are such requests.
      const after = attempts.filter((a) => a.sentAt >= lastKill + 2_000);
      expect(after.length).toBeGreaterThan(16);
      expect(after.filter((a) => a.status !== 200).map((a) => ({ status: a.status, text: a.text, sentMsAfterLastCut: Math.round(a.sentAt - lastKill) }))).toEqual([]);
      const lastRefusal = Math.max(lastKill, ...refused.map((a) => a.doneAt));
      const recoveryMs = Math.round(lastRefusal - lastKill);
      expect(recoveryMs).toBeLessThan(2_000);

      const { acknowledged, all } = await replayAll(server.base, seeded.key, attempts);
      expectExactlyOnce(await readStored(reader.db, seeded.accountId), all);
      console.info(
        JSON.stringify({
          fault: "terminate",
          requests: attempts.length,
          acknowledged: acknowledged.size,
          refused503: refused.length,
          terminatedPerCut: kills.map((k) => k.terminated),
          recoveryMsAfterLastCut: recoveryMs,
        }),
      );
    });
  });
}
