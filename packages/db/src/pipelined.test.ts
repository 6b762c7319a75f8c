import { connect as tcpConnect, type Socket } from "node:net";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { Database, Db } from "./connect";
import { transactionCommittingWith } from "./pipelined";
import { runPrepared } from "./prepared";
import { rowsOf } from "./rows";
import * as schema from "./schema/index";
import { openTestDatabase } from "./testing";

/**
 * transactionCommittingWith (usage.record's transaction): all or nothing like any transaction, on both
 * databases; on PostgreSQL two round trips for a read and a write, and safe when PostgreSQL cuts its
 * connection (our patch of postgres.js's reserve).
 */

let database: Database;
const table = `pipelined_${randomUUID().replaceAll("-", "")}`;
const t = sql.raw(table);

beforeAll(async () => {
  database = await openTestDatabase();
  await database.db.execute(sql`create table ${t} (k text primary key)`);
});
afterAll(async () => {
  await database.db.execute(sql`drop table if exists ${t}`);
  await database.close();
});

const keys = async () => rowsOf<{ k: string }>(await database.db.execute(sql`select k from ${t} order by k`)).map((r) => r.k);
const codeOf = (e: unknown): unknown => {
  for (let c: unknown = e; c instanceof Error; c = c.cause) if ((c as { code?: unknown }).code) return (c as { code?: unknown }).code;
  return undefined;
};

describe("transactionCommittingWith", () => {
  it("the statements before the last and the last commit together, and the last one's rows come back", async () => {
    const rows = await transactionCommittingWith(database.db, async (tx, commitWith) => {
      await runPrepared(tx, "pipelined_a", sql`insert into ${t} (k) values ('a1')`);
      return commitWith<{ k: string }>("pipelined_b", sql`insert into ${t} (k) values ('a2') returning k`);
    });
    expect(rows).toEqual([{ k: "a2" }]);
    expect(await keys()).toEqual(["a1", "a2"]);
  });

  it("a last statement that raises undoes the whole transaction (the usage write's key race, migration 0021)", async () => {
    const failed = await transactionCommittingWith(database.db, async (tx, commitWith) => {
      await runPrepared(tx, "pipelined_a", sql`insert into ${t} (k) values ('b1')`);
      await commitWith("pipelined_race", sql`with w as (insert into ${t} (k) values ('b2') returning 1) select seatdesk_keys_inserted((select count(*) from w), 2) as inserted`);
    }).catch((e: unknown) => e);
    expect(codeOf(failed)).toBe("SDK01");
    expect(await keys()).not.toContain("b1");
    expect(await keys()).not.toContain("b2");
    // The write that raises only when fewer keys went in than were sent: here both went in.
    await transactionCommittingWith(database.db, (_tx, commitWith) =>
      commitWith("pipelined_ok", sql`with w as (insert into ${t} (k) values ('b3'), ('b4') returning 1) select seatdesk_keys_inserted((select count(*) from w), 2) as inserted`),
    );
    expect(await keys()).toEqual(expect.arrayContaining(["b3", "b4"]));
  });

  it("an error before the last statement rolls back what was written, and is the one thrown", async () => {
    const thrown = await transactionCommittingWith(database.db, async (tx) => {
      await runPrepared(tx, "pipelined_a", sql`insert into ${t} (k) values ('c1')`);
      throw new Error("refused by the rules");
    }).catch((e: unknown) => e);
    expect((thrown as Error).message).toBe("refused by the rules");
    expect(await keys()).not.toContain("c1");
  });

  it("a read-only transaction (every event a replay) commits without a last statement; nothing may follow the last", async () => {
    const seen = await transactionCommittingWith(database.db, async (tx) => rowsOf<{ n: number }>(await runPrepared(tx, "pipelined_n", sql`select count(*)::int as n from ${t}`))[0]!.n);
    expect(seen).toBe((await keys()).length);
    const second = await transactionCommittingWith(database.db, async (_tx, commitWith) => {
      await commitWith("pipelined_x", sql`select 1 as x`);
      return commitWith("pipelined_y", sql`select 2 as y`);
    }).catch((e: unknown) => e);
    expect((second as Error).message).toMatch(/the transaction has ended/);
  });
});

if (process.env.TEST_DATABASE_URL) {
  const url = process.env.TEST_DATABASE_URL;

  describe("transactionCommittingWith on PostgreSQL", () => {
    it("the transaction's query builders run in it; its tx.query (relational queries, not built per transaction) says so when used", async () => {
      const seen = await transactionCommittingWith(database.db, async (tx) => {
        await tx.execute(sql`insert into ${t} (k) values ('q1')`);
        expect(() => tx.query.apiKeys).toThrow(/tx\.query\.apiKeys is not available in this transaction/);
        // A query builder's statement sees the row this transaction inserted (not yet committed): it runs in it.
        const [inside] = await tx.select({ n: sql<number>`count(*)::int` }).from(sql`${t}`).where(sql`k = 'q1'`);
        return inside!.n;
      });
      expect(seen).toBe(1);
      expect(await keys()).toContain("q1");
    });

    it("takes two round trips and two socket writes for a read and a write: BEGIN goes with the read, COMMIT with the write", async () => {
      // Round trips as the socket sees them: a write after an answer starts the next one.
      let trips = 0;
      let writes = 0;
      let answered = true;
      // postgres.js takes a socket of the caller's (its `socket` option, not in its types).
      const options = {
        max: 1,
        onnotice: () => {},
        socket: ({ host, port }: { host: string[]; port: number[] }) => {
          const target = new URL(url);
          const s: Socket = tcpConnect(Number(port[0] ?? target.port ?? 5432), host[0] ?? target.hostname);
          const write = s.write.bind(s) as (...args: unknown[]) => boolean;
          s.write = ((...args: unknown[]) => {
            if (answered) trips++;
            answered = false;
            writes++;
            return write(...args);
          }) as typeof s.write;
          s.on("data", () => (answered = true));
          return s;
        },
      };
      const client = postgres(url, options as postgres.Options<Record<string, never>>);
      const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Db;
      try {
        const once = (key: string) =>
          transactionCommittingWith(db, async (tx, commitWith) => {
            await runPrepared(tx, "pipelined_read", sql`select count(*)::int as n from ${t} where k <> ${key}`);
            await commitWith("pipelined_write", sql`insert into ${t} (k) values (${key})`);
          });
        await once("d0"); // the connection opens, and the statements are prepared on it
        trips = 0;
        writes = 0;
        await once("d1");
        expect(trips).toBe(2);
        expect(writes).toBe(2);
        // postgres.js's own transaction, for comparison: BEGIN, the read, the write and COMMIT each wait for an answer.
        trips = 0;
        await db.transaction(async (tx) => {
          await runPrepared(tx, "pipelined_read", sql`select count(*)::int as n from ${t} where k <> ${"d2"}`);
          await runPrepared(tx, "pipelined_write", sql`insert into ${t} (k) values (${"d2"})`);
        });
        expect(trips).toBe(4);
        expect(await keys()).toEqual(expect.arrayContaining(["d0", "d1", "d2"]));
      } finally {
        await client.end({ timeout: 5 });
      }
    });

    it("connections cut under load (pg_terminate_backend): every transaction ends, each connection serves one at a time, and the pool works after", async () => {
      // Its own application name: the cuts reach this pool's connections only (other test files share the database).
      const name = `pipelined-test-${randomUUID()}`;
      const client = postgres(url, { max: 4, onnotice: () => {}, connect_timeout: 2, backoff: () => 0.05, connection: { application_name: name } });
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Db;
      // Each transaction reads its backend twice, before and with COMMIT: the same backend, or the connection was shared.
      const pids = () =>
        transactionCommittingWith(db, async (tx, commitWith) => {
          const [a] = rowsOf<{ pid: number }>(await runPrepared(tx, "pipelined_pid", sql`select pg_backend_pid() as pid`));
          await new Promise((r) => setTimeout(r, 2));
          const [b] = await commitWith<{ pid: number }>("pipelined_pid2", sql`select pg_backend_pid() as pid`);
          return [a!.pid, b!.pid] as const;
        });
      try {
        let stop = false;
        let ok = 0;
        let failed = 0;
        const shared: (readonly [number, number])[] = [];
        const worker = async () => {
          while (!stop) {
            try {
              const [a, b] = await pids();
              if (a !== b) shared.push([a, b]);
              ok++;
            } catch {
              failed++;
            }
          }
        };
        const workers = Array.from({ length: 12 }, worker);
        for (let i = 0; i < 4; i++) {
          await new Promise((r) => setTimeout(r, 250));
          await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${name}`;
        }
        await new Promise((r) => setTimeout(r, 250));
        stop = true;
        // Every transaction ends: none waits forever for a connection or an answer (a hang fails the test's timeout).
        await Promise.all(workers);
        expect(failed, "the cuts failed some transactions").toBeGreaterThan(0);
        expect(ok).toBeGreaterThan(failed);
        expect(shared).toEqual([]);
        // Afterwards: as many transactions at once as the pool has connections, each on a backend of its own.
        const after = await Promise.all(Array.from({ length: 4 }, pids));
        expect(after.every(([a, b]) => a === b)).toBe(true);
        expect(new Set(after.map(([a]) => a)).size).toBe(4);
      } finally {
        await client.end({ timeout: 5 });
        await admin.end({ timeout: 5 });
      }
    });
  });
}
