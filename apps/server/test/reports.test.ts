import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, count, eq } from "drizzle-orm";
import { activityCsvHeader, activityCsvRecord, defaultCatalog, type ActivityRow } from "@seatdesk/domain";
import { activityReportFiles, profiles } from "@seatdesk/db";
import { createApp } from "../src/http/app";
import { activityReportJob } from "../src/reports/daily-job";
import { dayRows } from "../src/reports/source";
import { callerAs, harnessForFile, makeTenant, rejection, testNow, testPassword, type Tenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";

const h = harnessForFile();
let t: Tenant;
let other: Tenant;
let key: string;
let server: Server;
let base: string;
let dir: string;
/** What usage.record answered, summed per day, user and client: what the report must say. */
const recorded = new Map<string, { events: number; includedCc: number; overageCc: number; unbilledCc: number }>();

const jan = (day: number, hour = 12, minute = 0) => new Date(Date.UTC(2026, 0, day, hour, minute));

async function record(userIdx: number, credits: number, client: string, occurredAt: Date, idempotencyKey: string) {
  const userId = t.userIds[userIdx]!;
  const res = await callerWithKey(h, key).usage.record({ userId, credits, client, occurredAt: occurredAt.toISOString(), idempotencyKey });
  const k = `${occurredAt.toISOString().slice(0, 10)}|${userId}|${client}`;
  const sum = recorded.get(k) ?? { events: 0, includedCc: 0, overageCc: 0, unbilledCc: 0 };
  recorded.set(k, { events: sum.events + 1, includedCc: sum.includedCc + res.includedCc, overageCc: sum.overageCc + res.overageCc, unbilledCc: sum.unbilledCc + res.unbilledCc });
  return res;
}

async function allRows(tenant: Tenant, from: string, to: string, limit: number): Promise<ActivityRow[]> {
  const api = callerAs(h, tenant.admins.viewer);
  const rows: ActivityRow[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const page: Awaited<ReturnType<typeof api.reports.activity>> = await api.reports.activity({ profileId: tenant.profileId, from, to, cursor, limit });
    expect(page.rows.length).toBeLessThanOrEqual(limit);
    rows.push(...page.rows);
    cursor = page.nextCursor;
    if (!cursor) return rows;
  }
  throw new Error("the pages never ended");
}

async function signIn(email: string): Promise<string> {
  const res = await fetch(`${base}/trpc/session.signIn`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: testPassword }) });
  expect(res.status).toBe(200);
  return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
}

const csvUrl = (profileId: string, from: string, to: string) => `${base}/api/reports/activity.csv?profileId=${profileId}&from=${from}&to=${to}`;

beforeAll(async () => {
  h.clock.set(testNow);
  t = await makeTenant(h, { users: 4 });
  other = await makeTenant(h, { users: 2 });
  key = (await makeKey(h, t)).key;
  const admin = callerAs(h, t.admins.admin);
  await admin.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds.slice(0, 3), tier: "pro" });
  // User 2 may go past the allowance, up to a 50-credit cap: their big event splits in all three.
  await admin.settings.update({ profileId: t.profileId, overagesEnabled: true });
  await admin.settings.setUserOverride({ profileId: t.profileId, userId: t.userIds[2]!, cap: 50 });
  await record(0, 12.5, "ide", jan(8, 9), "a-1");
  await record(0, 3, "cli", jan(8, 10), "a-2");
  await record(0, 0.25, "ide", jan(8, 11), "a-3");
  await record(1, 5, "ide", jan(8, 11, 30), "b-1");
  await record(2, 1100, "ide", jan(8, 11, 45), "c-1");
  h.clock.set(jan(9, 15));
  await record(0, 1, "ide", jan(9, 14), "a-4");
  await record(1, 2, "cli", jan(9, 14, 30), "b-2");
  // Another account's usage, on the same days, must show nowhere.
  const otherKey = (await makeKey(h, other)).key;
  await callerAs(h, other.admins.admin).subscriptions.subscribe({ profileId: other.profileId, userIds: other.userIds, tier: "pro" });
  await callerWithKey(h, otherKey).usage.record({ userId: other.userIds[0]!, credits: 7, client: "ide", occurredAt: jan(9, 14).toISOString(), idempotencyKey: "o-1" });
  server = createServer(createApp(h.deps));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), "seatdesk-reports-"));
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("reports.activity (issue 15)", () => {
  it("pages through every row, sorted by day, user and client, with the numbers the usage API recorded", async () => {
    const rows = await allRows(t, "2026-01-01", "2026-01-31", 2);
    expect(rows.map((r) => `${r.day}|${r.userId}|${r.client}`)).toEqual([...recorded.keys()].sort());
    for (const r of rows) {
      expect({ events: r.events, includedCc: r.includedCc, overageCc: r.overageCc, unbilledCc: r.unbilledCc }).toEqual(recorded.get(`${r.day}|${r.userId}|${r.client}`));
      expect(r.creditsCc).toBe(r.includedCc + r.overageCc + r.unbilledCc);
    }
    // One page holding everything says the same.
    expect(await allRows(t, "2026-01-01", "2026-01-31", 1000)).toEqual(rows);
    const big = rows.find((r) => r.userId === t.userIds[2]);
    expect(big).toEqual({
      day: "2026-01-08",
      profileId: t.profileId,
      userId: t.userIds[2],
      userName: expect.stringContaining("@example.com"),
      email: expect.stringContaining("@example.com"),
      client: "ide",
      events: 1,
      creditsCc: 110_000,
      includedCc: 100_000,
      overageCc: 5_000,
      unbilledCc: 5_000,
      tier: "pro",
      status: "active",
      overageEnabled: true,
      overageCapCc: 5_000,
      newUser: true,
      lastActiveAt: jan(8, 11, 45).toISOString(),
    });
    const user0 = rows.filter((r) => r.userId === t.userIds[0]);
    expect(user0.map((r) => [r.day, r.client, r.newUser, r.overageCapCc])).toEqual([
      ["2026-01-08", "cli", true, "unlimited"],
      ["2026-01-08", "ide", true, "unlimited"],
      ["2026-01-09", "ide", false, "unlimited"],
    ]);
    expect(user0.find((r) => r.day === "2026-01-08" && r.client === "ide")).toMatchObject({ events: 2, creditsCc: 1275, lastActiveAt: jan(9, 14).toISOString() });
  });

  it("a range is whole UTC days, at most 92; a bad one is refused naming the field", async () => {
    const api = callerAs(h, t.admins.viewer);
    const ask = (from: string, to: string, cursor?: string) => api.reports.activity({ profileId: t.profileId, from, to, cursor });
    expect((await ask("2026-01-09", "2026-01-09")).rows).toHaveLength(2);
    expect((await ask("2026-01-10", "2026-01-20")).rows).toEqual([]);
    for (const [from, to, message] of [
      ["2026-01-09", "2026-01-08", /^to: must not be before from/],
      ["2026-01-01", "2026-04-03", /^to: a range of at most 92 days/],
      ["2026-02-30", "2026-03-01", /^from: a UTC day/],
      ["2026-1-1", "2026-03-01", /^from: a UTC day/],
    ] as const) {
      const e = await rejection(ask(from, to));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toMatch(message);
    }
    const e = await rejection(ask("2026-01-08", "2026-01-09", "not-a-cursor"));
    expect(e.message).toMatch(/^cursor:/);
    const page = await api.reports.activity({ profileId: t.profileId, from: "2026-01-08", to: "2026-01-09", limit: 1 });
    const elsewhere = await rejection(ask("2026-01-10", "2026-01-11", page.nextCursor!));
    expect(elsewhere.message).toMatch(/^cursor: from another range/);
  });
});

describe("dayRows: the files' and the download's reader", () => {
  it("gives the API's rows a batch at a time, whatever the batch size; stopping early ends the cursor and the transaction goes on", async () => {
    const [profile] = await h.database.db
      .select({ accountId: profiles.accountId, id: profiles.id, overagesEnabled: profiles.overagesEnabled, defaultCapCc: profiles.defaultCapCc })
      .from(profiles)
      .where(eq(profiles.id, t.profileId));
    const now = h.clock.now();
    const day = jan(8, 0);
    const api = await allRows(t, "2026-01-08", "2026-01-08", 100);
    expect(api).toHaveLength(4);
    for (const batch of [1, 2, 3, 4, 10]) {
      const batches: ActivityRow[][] = [];
      for await (const rows of dayRows(h.database.db, profile!, day, now, { batch })) batches.push(rows);
      expect(batches.every((rows) => rows.length > 0 && rows.length <= batch), `batch ${batch}`).toBe(true);
      expect(batches.flat(), `batch ${batch}`).toEqual(api);
    }
    const seen = await h.database.db.transaction(async (tx) => {
      let first: ActivityRow[] = [];
      for await (const rows of dayRows(tx, profile!, day, now, { batch: 1 })) {
        first = rows;
        break;
      }
      const [n] = await tx.select({ n: count() }).from(profiles).where(eq(profiles.id, t.profileId));
      return { first, n: n!.n };
    });
    expect(seen).toEqual({ first: api.slice(0, 1), n: 1 });
  });
});

describe("GET /api/reports/activity.csv", () => {
  it("streams the API's rows as an attachment, for any console role", async () => {
    const cookie = await signIn(t.admins.viewer.email);
    const res = await fetch(csvUrl(t.profileId, "2026-01-01", "2026-01-31"), { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="activity-us-east-1-2026-01-01-to-2026-01-31.csv"');
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-length")).toBeNull();
    const rows = await allRows(t, "2026-01-01", "2026-01-31", 1000);
    expect(await res.text()).toBe(activityCsvHeader() + rows.map(activityCsvRecord).join(""));
  });

  it("another account's session gets nothing; no session 401; a bad range 400 naming the field", async () => {
    const theirs = await signIn(other.admins.owner.email);
    const res = await fetch(csvUrl(t.profileId, "2026-01-01", "2026-01-31"), { headers: { cookie: theirs } });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain(t.userIds[0]);
    const own = await fetch(csvUrl(other.profileId, "2026-01-01", "2026-01-31"), { headers: { cookie: theirs } });
    const body = await own.text();
    expect(body.trim().split("\r\n")).toHaveLength(2);
    expect(body).not.toContain(t.profileId);
    expect((await fetch(csvUrl(t.profileId, "2026-01-01", "2026-01-31"))).status).toBe(401);
    const bad = await fetch(csvUrl(t.profileId, "2026-01-09", "2026-01-01"), { headers: { cookie: theirs } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^to:/);
    const noProfile = await fetch(`${base}/api/reports/activity.csv?from=2026-01-01&to=2026-01-02`, { headers: { cookie: theirs } });
    expect(noProfile.status).toBe(400);
    expect(((await noProfile.json()) as { error: { message: string } }).error.message).toMatch(/^profileId:/);
  });
});

async function manifestOf(tenant: Tenant) {
  const folder = join(dir, tenant.accountId, tenant.profileId);
  const manifest = JSON.parse(await readFile(join(folder, "manifest.json"), "utf8")) as {
    columnVersion: number;
    columns: string[];
    files: { day: string; file: string; rows: number; events: number; sha256: string; columnVersion: number; final: boolean }[];
  };
  for (const f of manifest.files) {
    const bytes = await readFile(join(folder, f.file));
    expect(createHash("sha256").update(bytes).digest("hex"), f.file).toBe(f.sha256);
    expect(bytes.toString("utf8").split("\r\n").length - 2, f.file).toBe(f.rows);
  }
  return { folder, manifest };
}

const run = (now: Date, accountId = t.accountId) => activityReportJob.run(h.database.db, now, { catalog: defaultCatalog, accountId, reportDir: dir });

describe("the daily files (scheduled job)", () => {
  it("writes each ended day once, with a manifest whose checksums match the files; re-running writes nothing", async () => {
    expect(await activityReportJob.run(h.database.db, jan(10, 0, 5), { catalog: defaultCatalog, accountId: t.accountId })).toMatchObject({ profiles: 0, written: 0 });
    const first = await run(jan(10, 0, 5));
    expect(first).toEqual({ profiles: 1, written: 2, rewritten: 0, sealed: 0, busy: 0 });
    const { folder, manifest } = await manifestOf(t);
    expect(manifest.columnVersion).toBe(1);
    expect(manifest.files.map((f) => [f.day, f.file, f.rows, f.events, f.final])).toEqual([
      ["2026-01-08", "activity-2026-01-08.csv", 4, 5, false],
      ["2026-01-09", "activity-2026-01-09.csv", 2, 2, false],
    ]);
    // The file is the download of that day.
    const cookie = await signIn(t.admins.admin.email);
    const day9 = await (await fetch(csvUrl(t.profileId, "2026-01-09", "2026-01-09"), { headers: { cookie } })).text();
    expect(await readFile(join(folder, "activity-2026-01-09.csv"), "utf8")).toBe(day9);
    expect(await run(jan(10, 0, 6))).toEqual({ profiles: 1, written: 0, rewritten: 0, sealed: 0, busy: 0 });
    expect((await manifestOf(t)).manifest).toEqual(manifest);
    const [n] = await h.database.db.select({ n: count() }).from(activityReportFiles).where(eq(activityReportFiles.accountId, t.accountId));
    expect(n!.n).toBe(2);
    expect((await readdir(folder)).sort()).toEqual(["activity-2026-01-08.csv", "activity-2026-01-09.csv", "manifest.json"]);
  });

  it("a late event: the API shows it at once; the day's file is rewritten, with a new checksum, once its month has closed", async () => {
    h.clock.set(jan(10, 0, 10));
    await record(1, 4, "ide", jan(9, 23, 50), "late-1");
    const live = await allRows(t, "2026-01-09", "2026-01-09", 100);
    expect(live.find((r) => r.userId === t.userIds[1] && r.client === "ide")).toMatchObject({ events: 1, includedCc: 400 });
    const before = (await manifestOf(t)).manifest.files.find((f) => f.day === "2026-01-09")!;
    // The month is open: the file stays as written (more late events may come).
    expect(await run(jan(20))).toMatchObject({ written: 10, rewritten: 0, sealed: 0 });
    // The month has closed: Jan 9 gained an event and is rewritten; every other day is sealed as it is.
    const closed = new Date(Date.UTC(2026, 1, 1, 0, 15));
    expect(await run(closed)).toEqual({ profiles: 1, written: 12, rewritten: 1, sealed: 11, busy: 0 });
    const { manifest, folder } = await manifestOf(t);
    const after = manifest.files.find((f) => f.day === "2026-01-09")!;
    expect(after).toMatchObject({ rows: 3, events: 3, final: true });
    expect(after.sha256).not.toBe(before.sha256);
    expect(manifest.files).toHaveLength(24);
    expect(manifest.files.every((f) => f.final)).toBe(true);
    expect(await readFile(join(folder, "activity-2026-01-09.csv"), "utf8")).toContain(`,${t.userIds[1]},`);
    expect(await run(new Date(Date.UTC(2026, 1, 1, 0, 20)))).toEqual({ profiles: 1, written: 0, rewritten: 0, sealed: 0, busy: 0 });
  });

  it("two runs at once write each day once; another account's files are its own", async () => {
    const now = new Date(Date.UTC(2026, 1, 3, 1));
    const [a, b] = await Promise.all([run(now), run(now)]);
    expect((a.written ?? 0) + (b.written ?? 0)).toBe(2);
    const rows = await h.database.db
      .select({ day: activityReportFiles.day })
      .from(activityReportFiles)
      .where(and(eq(activityReportFiles.accountId, t.accountId), eq(activityReportFiles.profileId, t.profileId)));
    expect(new Set(rows.map((r) => r.day)).size).toBe(rows.length);
    expect(rows).toHaveLength(26);
    await run(now, other.accountId);
    const theirs = await manifestOf(other);
    const day9 = await readFile(join(theirs.folder, "activity-2026-01-09.csv"), "utf8");
    expect(day9).toContain(other.userIds[0]);
    expect(day9).not.toContain(t.profileId);
  });
});
