import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCatalog } from "@seatdesk/domain";
import { connect, currentLsn, replayedLsn, type Database } from "@seatdesk/db";
import { fixedClock } from "../../src/clock";
import { createApp } from "../../src/http/app";
import { silentLog } from "../../src/log";
import { defaultRegions } from "../../src/regions";
import { ReadRouting, writePositionCookie } from "../../src/services/read-routing";
import type { Deps } from "../../src/trpc/context";
import { makeTenant, testNow, testPassword, type Harness, type Tenant } from "../harness";

/**
 * The console's reads on a streaming replica (DATABASE_READ_URL) that replays 2 seconds behind on purpose
 * (recovery_min_apply_delay): reads go to the replica, and an admin's own change never vanishes from what
 * that admin reads next. Two clusters of this machine's PostgreSQL, made by ops/pg-replica.sh.
 */
const script = fileURLToPath(new URL("../../../../ops/pg-replica.sh", import.meta.url));
const name = "sdreplicatest";
const primaryPort = Number(process.env.SEATDESK_TEST_PRIMARY_PORT ?? 5452);
const replicaPort = primaryPort + 1;
const delayMs = 2000;

let primary: Database;
let replica: Database;
let reads: ReadRouting;
let server: Server;
let base: string;
let t: Tenant;
let cookie: string;

async function caughtUp(): Promise<void> {
  const target = await currentLsn(primary.db);
  for (let i = 0; i < 100; i += 1) {
    const replayed = await replayedLsn(replica.db);
    if (replayed !== null && replayed >= target) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the replica did not catch up in 10 s");
}

/** A server in this process on the primary, with its reads routed by `routing`. */
async function serve(routing: ReadRouting): Promise<{ server: Server; base: string }> {
  const h: Deps = { database: primary, clock: fixedClock(testNow), log: silentLog, catalog: defaultCatalog, regions: defaultRegions, reads: routing };
  const s = createServer(createApp(h));
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return { server: s, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  execFileSync("bash", [script, "up", name, String(primaryPort), String(replicaPort), `${delayMs}ms`], { stdio: "pipe" });
  primary = await connect({ url: `postgres://postgres@127.0.0.1:${primaryPort}/postgres`, max: 4 });
  await primary.migrate();
  replica = await connect({ url: `postgres://postgres@127.0.0.1:${replicaPort}/postgres`, max: 4 });
  const h: Harness = { database: primary, deps: { database: primary, clock: fixedClock(testNow), log: silentLog, catalog: defaultCatalog, regions: defaultRegions }, clock: fixedClock(testNow), close: async () => {} };
  t = await makeTenant(h, { users: 4 });
  reads = new ReadRouting(primary.db, replica.db, { waitMs: 300 });
  ({ server, base } = await serve(reads));
  await caughtUp();
  const res = await fetch(`${base}/trpc/session.signIn`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: t.admins.admin.email, password: testPassword }) });
  expect(res.status).toBe(200);
  cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await replica?.close();
  await primary?.close();
  execFileSync("bash", [script, "down", name], { stdio: "pipe" });
}, 60_000);

const get = (path: string, input: unknown, cookies: string) =>
  fetch(`${base}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: { cookie: cookies } });
const post = (path: string, body: unknown, cookies: string) =>
  fetch(`${base}/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", cookie: cookies }, body: JSON.stringify(body) });
const dataOf = async <T>(res: Response): Promise<T> => {
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
};
type UsersPage = { rows: { userId: string; tier: string | null }[] };
const tierOf = (page: UsersPage, userId: string) => page.rows.find((r) => r.userId === userId)?.tier ?? null;
/** The write-position cookie a response set, as a Cookie header value, or null when it set none (or cleared it). */
const writeCookieOf = (res: Response): string | null => {
  const set = res.headers.getSetCookie().find((c) => c.startsWith(`${writePositionCookie}=`));
  return set && !/Max-Age=0/i.test(set) ? set.split(";")[0]! : null;
};

describe("reads on a replica 2 s behind, with read-your-writes", () => {
  it("the console's reads go to the replica (Users tab, count, user page, groups, dashboard, billing, activity report)", async () => {
    const before = { ...reads.counts };
    const profileId = t.profileId;
    const calls: [string, unknown][] = [
      ["subscriptions.list", { profileId }],
      ["subscriptions.count", { profileId }],
      ["subscriptions.user", { profileId, userId: t.userIds[0] }],
      ["subscriptions.listGroups", { profileId }],
      ["dashboard.summary", { profileId }],
      ["dashboard.activeUsersByDay", { profileId, days: 7 }],
      ["dashboard.trends", { profileId }],
      ["billing.estimate", { profileId }],
      ["billing.invoices", { profileId }],
      ["reports.activity", { profileId, from: "2026-01-01", to: "2026-01-08" }],
    ];
    for (const [path, input] of calls) await dataOf(await get(path, input, cookie));
    expect(reads.counts.replica - before.replica).toBe(calls.length);
    expect(reads.counts.primary - before.primary).toBe(0);
  });

  it("after a change, the same session reads it at once (from the primary); another session, from the replica, does not yet", async () => {
    const userId = t.userIds[1]!;
    const changed = await post("subscriptions.subscribe", { profileId: t.profileId, userIds: [userId], tier: "pro_plus" }, cookie);
    expect(changed.status).toBe(200);
    const wrote = writeCookieOf(changed);
    expect(wrote).toMatch(new RegExp(`^${writePositionCookie}=[0-9A-F]+/[0-9A-F]+$`));

    const before = { ...reads.counts };
    const mine = await dataOf<UsersPage>(await get("subscriptions.list", { profileId: t.profileId }, `${cookie}; ${wrote}`));
    expect(tierOf(mine, userId)).toBe("pro_plus");
    expect(reads.counts.primary - before.primary).toBe(1);

    // Without the write position (another browser of the same admin), the read goes to the replica, which has not replayed the change.
    const other = await dataOf<UsersPage>(await get("subscriptions.list", { profileId: t.profileId }, cookie));
    expect(tierOf(other, userId)).toBeNull();
    expect(reads.counts.replica - before.replica).toBe(1);

    // Once the replica has replayed past the write, the session reads it there, and the write position is dropped.
    await caughtUp();
    const later = await get("subscriptions.list", { profileId: t.profileId }, `${cookie}; ${wrote}`);
    const cleared = later.headers.getSetCookie().find((c) => c.startsWith(`${writePositionCookie}=`));
    expect(tierOf(await dataOf<UsersPage>(later), userId)).toBe("pro_plus");
    expect(cleared).toMatch(/Max-Age=0/i);
    expect(reads.counts.replica - before.replica).toBe(2);
  });

  it("with a longer wait than the replica's delay, the session's read waits for the replica and is served there", async () => {
    const patient = new ReadRouting(primary.db, replica.db, { waitMs: delayMs + 3000 });
    const other = await serve(patient);
    try {
      const userId = t.userIds[2]!;
      const changed = await fetch(`${other.base}/trpc/subscriptions.subscribe`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify({ profileId: t.profileId, userIds: [userId], tier: "power" }),
      });
      expect(changed.status).toBe(200);
      const wrote = writeCookieOf(changed)!;
      const started = performance.now();
      const res = await fetch(`${other.base}/trpc/subscriptions.list?input=${encodeURIComponent(JSON.stringify({ profileId: t.profileId }))}`, { headers: { cookie: `${cookie}; ${wrote}` } });
      const waited = performance.now() - started;
      expect(tierOf(await dataOf<UsersPage>(res), userId)).toBe("power");
      expect(patient.counts).toEqual({ replica: 1, primary: 0 });
      expect(waited).toBeGreaterThan(delayMs / 2);
    } finally {
      await new Promise((resolve) => other.server.close(resolve));
    }
  });

  it("a write position that is not one (a cookie made up by hand) is dropped and the read goes to the replica", async () => {
    const before = { ...reads.counts };
    const res = await get("subscriptions.count", { profileId: t.profileId }, `${cookie}; ${writePositionCookie}=not-a-position`);
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().find((c) => c.startsWith(`${writePositionCookie}=`))).toMatch(/Max-Age=0/i);
    expect(reads.counts.replica - before.replica).toBe(1);
  });

  it("when the replica does not answer, reads go to the primary", async () => {
    const unreachable = await connect({ url: `postgres://postgres@127.0.0.1:${replicaPort + 1}/postgres`, max: 1 });
    const routing = new ReadRouting(primary.db, unreachable.db, { waitMs: 300 });
    const other = await serve(routing);
    try {
      const res = await fetch(`${other.base}/trpc/subscriptions.list?input=${encodeURIComponent(JSON.stringify({ profileId: t.profileId }))}`, { headers: { cookie } });
      expect((await dataOf<UsersPage>(res)).rows.length).toBeGreaterThan(0);
      expect(routing.counts).toEqual({ replica: 0, primary: 1 });
    } finally {
      await new Promise((resolve) => other.server.close(resolve));
      await unreachable.close();
    }
  });
});
