import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, count, eq, like } from "drizzle-orm";
import postgres from "postgres";
import { defaultCatalog } from "@seatdesk/domain";
import { apiKeys, notices, subscriptionMonths, subscriptions, usageEvents } from "@seatdesk/db";
import { closeDue } from "@seatdesk/scheduler";
import { createApp } from "../src/http/app";
import type { Recorded } from "../src/services/usage";
import { tenantFingerprint } from "./fingerprint";
import { callerAs, harnessForFile, makeTenant, rejection, testNow, type Tenant } from "./harness";
import { callerWithKey, makeKey } from "./usage-helpers";

const h = harnessForFile({ resetClock: true });
const when = testNow.toISOString();
let t: Tenant;
let key: string;

beforeAll(async () => {
  t = await makeTenant(h, { users: 4 });
  key = (await makeKey(h, t)).key;
  await callerAs(h, t.admins.admin).subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds.slice(0, 3), tier: "pro" });
});

const event = (userId: string, credits: number, idempotencyKey: string, over: Record<string, unknown> = {}) => ({ userId, credits, client: "ide", occurredAt: when, idempotencyKey, ...over });

describe("usage.record", () => {
  it("the first event activates a Pending user, splits by the rules and answers the new state", async () => {
    const api = callerWithKey(h, key);
    const res = await api.usage.record(event(t.userIds[0]!, 12.5, "k-1"));
    expect(res).toEqual({
      idempotencyKey: "k-1",
      userId: t.userIds[0],
      includedCc: 1250,
      overageCc: 0,
      unbilledCc: 0,
      stoppedBy: null,
      activated: true,
      replayed: false,
      state: { periodId: "2026-01", periodEnd: "2026-02-01T00:00:00.000Z", allowanceCc: 100_000, usedCc: 1250, includedCc: 1250, overageCc: 0, unbilledCc: 0 },
    });
    const [sub] = await h.database.db.select().from(subscriptions).where(and(eq(subscriptions.accountId, t.accountId), eq(subscriptions.userId, t.userIds[0]!)));
    expect(sub).toMatchObject({ status: "active", activatedAt: testNow, lastActiveAt: testNow });
  });

  it("the same key and body answers the first result again; another body is a CONFLICT; nothing is debited twice", async () => {
    const api = callerWithKey(h, key);
    const first = await api.usage.record(event(t.userIds[1]!, 3, "k-2"));
    const again = await api.usage.record(event(t.userIds[1]!, 3, "k-2"));
    expect(again).toEqual({ ...first, replayed: true });
    const e = await rejection(api.usage.record(event(t.userIds[1]!, 4, "k-2")));
    expect(e.code).toBe("CONFLICT");
    expect(e.message).toBe('idempotencyKey: "k-2" was already used for another event (its creditsCc differs)');
    const [n] = await h.database.db.select({ n: count() }).from(usageEvents).where(and(eq(usageEvents.accountId, t.accountId), eq(usageEvents.idempotencyKey, "k-2")));
    expect(n!.n).toBe(1);
  });

  it("overage off: the allowance is used up, the overshoot recorded as unbilled, and the notices fire once", async () => {
    const api = callerWithKey(h, key);
    const u = t.userIds[2]!;
    const res = await api.usage.record(event(u, 1100, "k-3"));
    expect(res).toMatchObject({ includedCc: 100_000, overageCc: 0, unbilledCc: 10_000, stoppedBy: "allowance-used-overage-off" });
    expect((await api.usage.check({ userId: u })).reason).toBe("allowance-used-overage-off");
    await api.usage.record(event(u, 1, "k-3b"));
    const rows = await h.database.db.select({ kind: notices.kind }).from(notices).where(and(eq(notices.accountId, t.accountId), eq(notices.userId, u)));
    expect(rows.map((r) => r.kind).sort()).toEqual(["allowance-100", "allowance-80"]);
  });

  it("a batch with one bad event is rejected whole, naming its index and field, and writes nothing", async () => {
    const api = callerWithKey(h, key);
    const before = await tenantFingerprint(h.database, t.accountId);
    const e = await rejection(api.usage.recordBatch({ events: [event(t.userIds[0]!, 1, "b-1"), event(t.userIds[0]!, 1.234, "b-2")] }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toBe("events.1.credits: at most two decimals (0.01 credit)");
    const notSubscribed = await rejection(api.usage.recordBatch({ events: [event(t.userIds[0]!, 1, "b-1"), event(t.userIds[3]!, 1, "b-3")] }));
    expect(notSubscribed.code).toBe("PRECONDITION_FAILED");
    expect(notSubscribed.message).toBe("events.1.userId: they have no subscription in this profile");
    expect(await tenantFingerprint(h.database, t.accountId)).toEqual(before);
  });

  it("a late event in a closed period is rejected; within the grace window it counts in its own month", async () => {
    const api = callerWithKey(h, key);
    h.clock.set(new Date(Date.UTC(2026, 1, 1, 0, 10)));
    const late = await api.usage.record(event(t.userIds[0]!, 1, "late-1", { occurredAt: "2026-01-31T23:59:00.000Z" }));
    expect(late.state.periodId).toBe("2026-01");
    h.clock.set(new Date(Date.UTC(2026, 1, 1, 0, 15)));
    const e = await rejection(api.usage.record(event(t.userIds[0]!, 1, "late-2", { occurredAt: "2026-01-31T23:59:00.000Z" })));
    expect(e.code).toBe("PRECONDITION_FAILED");
    expect(e.message).toMatch(/^occurredAt: the period 2026-01 closed at 2026-02-01T00:15:00.000Z/);
  });
});

describe("usage.check and keys", () => {
  it("check is read-only: a Pending user stays Pending", async () => {
    const api = callerWithKey(h, key);
    const t2 = await makeTenant(h, { users: 1 });
    const k2 = (await makeKey(h, t2)).key;
    await callerAs(h, t2.admins.admin).subscriptions.subscribe({ profileId: t2.profileId, userIds: t2.userIds, tier: "pro_plus" });
    await callerWithKey(h, k2).usage.check({ userId: t2.userIds[0]! }); // the key's first use stamps its last use
    const before = await tenantFingerprint(h.database, t2.accountId);
    const res = await callerWithKey(h, k2).usage.check({ userId: t2.userIds[0]! });
    expect(res).toMatchObject({ allowed: true, reason: "ok", allowanceCc: 200_000, usedCc: 0, headroomCc: 200_000, periodEnd: "2026-02-01T00:00:00.000Z" });
    expect(await tenantFingerprint(h.database, t2.accountId)).toEqual(before);
    // Another profile's key does not see this account's users.
    expect((await rejection(api.usage.check({ userId: t2.userIds[0]! }))).code).toBe("NOT_FOUND");
  });

  it("no key, a malformed key, a revoked key, a wrong secret or an unknown lookup: 401 on every usage call and nothing changes", async () => {
    const { id, key: k } = await makeKey(h, t, "to revoke");
    const live = (await makeKey(h, t, "live")).key;
    await callerAs(h, t.admins.admin).keys.revoke({ profileId: t.profileId, keyId: id });
    const before = await tenantFingerprint(h.database, t.accountId);
    // A well-formed key whose lookup exists with another secret, and one whose lookup exists nowhere.
    const wrongSecret = `${live.slice(0, -1)}${live.endsWith("x") ? "y" : "x"}`;
    const unknownLookup = `sdk_${"A".repeat(12)}${live.slice(16)}`;
    const user = { userId: t.userIds[0]! };
    for (const bad of [undefined, "nope", k, `${k.slice(0, -1)}x`, wrongSecret, unknownLookup]) {
      const api = callerWithKey(h, bad).usage;
      const calls = [() => api.record(event(user.userId, 1, `x-${bad}`)), () => api.recordBatch({ events: [event(user.userId, 1, `y-${bad}`)] }), () => api.check(user), () => api.activate(user)];
      for (const call of calls) expect((await rejection(call())).code).toBe("UNAUTHORIZED");
    }
    expect(await tenantFingerprint(h.database, t.accountId)).toEqual(before);
    // The live key still opens the check (so the refusals above were the keys').
    expect(await callerWithKey(h, live).usage.check(user)).toMatchObject({ userId: user.userId });
  });

  it("a key revoked after this process verified it (by another server: straight in the database) is refused at once, alone or with other keys' events", async () => {
    const revoked = await makeKey(h, t, "revoked elsewhere");
    const live = (await makeKey(h, t, "stays")).key;
    const u = t.userIds[0]!;
    // Both keys are used, so this process has verified them a moment ago.
    await callerWithKey(h, revoked.key).usage.record(event(u, 1, "rv-warm-1"));
    await callerWithKey(h, live).usage.record(event(u, 1, "rv-warm-2"));
    await h.database.db.update(apiKeys).set({ revokedAt: testNow }).where(and(eq(apiKeys.accountId, t.accountId), eq(apiKeys.id, revoked.id)));
    const before = await tenantFingerprint(h.database, t.accountId);
    expect((await rejection(callerWithKey(h, revoked.key).usage.record(event(u, 1, "rv-1")))).code).toBe("UNAUTHORIZED");
    expect((await rejection(callerWithKey(h, revoked.key).usage.recordBatch({ events: [event(u, 1, "rv-2")] }))).code).toBe("UNAUTHORIZED");
    expect(await tenantFingerprint(h.database, t.accountId)).toEqual(before);
    // Concurrent events of the profile under both keys (recorded together when they meet): each key's answer is its own.
    const answers = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => callerWithKey(h, i % 2 ? live : revoked.key).usage.record(event(u, 1, `rv-group-${i}`))),
    );
    expect(answers.map((a) => a.status)).toEqual(["rejected", "fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"]);
    for (const a of answers) if (a.status === "rejected") expect((a.reason as { code?: string }).code).toBe("UNAUTHORIZED");
    const stored = await h.database.db.select({ key: usageEvents.idempotencyKey }).from(usageEvents).where(and(eq(usageEvents.accountId, t.accountId), like(usageEvents.idempotencyKey, "rv-%")));
    expect(stored.map((r) => r.key).sort()).toEqual(["rv-group-1", "rv-group-3", "rv-group-5", "rv-warm-1", "rv-warm-2"]);
  });

  it("activate: the first sign-in makes a Pending user Active", async () => {
    const t3 = await makeTenant(h, { users: 1 });
    const k3 = (await makeKey(h, t3)).key;
    await callerAs(h, t3.admins.admin).subscriptions.subscribe({ profileId: t3.profileId, userIds: t3.userIds, tier: "pro" });
    const res = await callerWithKey(h, k3).usage.activate({ userName: `user0-${t3.admins.owner.email.split("-")[1]}` });
    expect(res).toMatchObject({ activated: true, status: "active", tier: "pro" });
  });
});

describe("the profile's settings are read in the recording transaction", () => {
  it("a change made through settings.update between two calls with the same key is seen by the second: overage, budget, firstMonth", async () => {
    const t2 = await makeTenant(h, { users: 2 });
    const k2 = (await makeKey(h, t2)).key;
    const admin = callerAs(h, t2.admins.admin);
    const [u, v] = t2.userIds as [string, string];
    await admin.subscriptions.subscribe({ profileId: t2.profileId, userIds: [u, v], tier: "pro" });
    const api = callerWithKey(h, k2);

    // Overage off (the default): past the allowance is unbilled.
    expect(await api.usage.record(event(u, 1010, "s-1"))).toMatchObject({ includedCc: 100_000, overageCc: 0, unbilledCc: 1_000, stoppedBy: "allowance-used-overage-off" });
    await admin.settings.update({ profileId: t2.profileId, overagesEnabled: true });
    // The same key's next call: split as overage, not unbilled.
    expect(await api.usage.record(event(u, 10, "s-2"))).toMatchObject({ includedCc: 0, overageCc: 1_000, unbilledCc: 0, stoppedBy: null });
    expect(await api.usage.check({ userId: u })).toMatchObject({ allowed: true, reason: "overage" });

    // A budget of 60 cents is 15 credits of overage; 10 are used: 5 are left.
    await admin.settings.update({ profileId: t2.profileId, budgetCents: 60 });
    expect(await api.usage.record(event(u, 10, "s-3"))).toMatchObject({ overageCc: 500, unbilledCc: 500, stoppedBy: "profile-budget-reached" });
    expect(await api.usage.check({ userId: u })).toMatchObject({ allowed: false, reason: "profile-budget-reached" });
    await admin.settings.update({ profileId: t2.profileId, budgetCents: null });
    expect(await api.usage.record(event(u, 1, "s-4"))).toMatchObject({ overageCc: 100, unbilledCc: 0, stoppedBy: null });

    // firstMonth as in force when the user becomes Active (edge case 12).
    await admin.settings.update({ profileId: t2.profileId, firstMonth: "prorated" });
    expect(await api.usage.record(event(v, 1, "s-5"))).toMatchObject({ activated: true });
    const [ledger] = await h.database.db
      .select({ prorated: subscriptionMonths.firstMonthProrated })
      .from(subscriptionMonths)
      .where(and(eq(subscriptionMonths.accountId, t2.accountId), eq(subscriptionMonths.userId, v)));
    expect(ledger).toEqual({ prorated: true });
  });
});

// ---- Over HTTP (the lean adapter the tool's clients reach) ----

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer(createApp(h.deps));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

interface WireError {
  message: string;
  code: number;
  data: { code: string; httpStatus: number; path: string; domainCode?: string; fields?: { path: string; message: string }[] };
}
interface Answer<T> {
  status: number;
  data: T | undefined;
  error: WireError | undefined;
}

async function post<T>(key: string, path: string, input: unknown): Promise<Answer<T>> {
  const res = await fetch(`${base}/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify(input) });
  const body = (await res.json()) as { result?: { data: T }; error?: WireError };
  return { status: res.status, data: body.result?.data, error: body.error };
}

/** What a refusal looks like on the wire: status, the domain's code, and the sentence. */
const refused = (a: Answer<unknown>) => ({ status: a.status, domainCode: a.error?.data.domainCode, message: a.error?.message });

// Only PostgreSQL can hold a request between its key check and its transaction (PGlite has one connection).
const pgUrl = process.env.TEST_DATABASE_URL;
if (pgUrl) {
  describe("the settings a request sees, on PostgreSQL", () => {
    it("a change committed after the request's key was checked, before its transaction read, is the one it sees", async () => {
      const t2 = await makeTenant(h, { users: 1 });
      const k2 = (await makeKey(h, t2)).key;
      const admin = callerAs(h, t2.admins.admin);
      const u = t2.userIds[0]!;
      await admin.subscriptions.subscribe({ profileId: t2.profileId, userIds: [u], tier: "pro" });
      expect((await post<Recorded>(k2, "usage.record", event(u, 1000, "w-1"))).data).toMatchObject({ includedCc: 100_000 });

      // Another transaction holds the user's subscription row: the request checks its key, then waits for it.
      const holder = postgres(pgUrl, { max: 2, onnotice: () => {} });
      let release!: () => void;
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const held = holder.begin(async (tx) => {
        await tx`select 1 from subscriptions where account_id = ${t2.accountId}::uuid and user_id = ${u}::uuid for update`;
        locked();
        await new Promise<void>((resolve) => (release = resolve));
      });
      try {
        await isLocked;
        const pending = post<Recorded>(k2, "usage.record", event(u, 5, "w-2"));
        for (let i = 0; ; i++) {
          const [row] = await holder`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
          if (row!.n > 0) break;
          expect(i, "the request never waited for the lock").toBeLessThan(200);
          await new Promise((r) => setTimeout(r, 25));
        }
        await admin.settings.update({ profileId: t2.profileId, overagesEnabled: true });
        release();
        await held;
        expect((await pending).data).toMatchObject({ includedCc: 0, overageCc: 500, unbilledCc: 0, stoppedBy: null });
      } finally {
        release?.();
        await held.catch(() => undefined);
        await holder.end();
      }
    });
  });
}

describe(`edge case 14 over HTTP: a retry after its period closed answers its first result`, () => {
  it("after the grace window and after the month close, single and batch; an event not seen before is refused", async () => {
    const t2 = await makeTenant(h, { users: 1 });
    const k2 = (await makeKey(h, t2)).key;
    const u = t2.userIds[0]!;
    await callerAs(h, t2.admins.admin).subscriptions.subscribe({ profileId: t2.profileId, userIds: [u], tier: "pro" });
    const jan = (idempotencyKey: string, credits = 2) => event(u, credits, idempotencyKey, { occurredAt: "2026-01-31T23:59:00.000Z" });
    const feb = (idempotencyKey: string) => event(u, 1, idempotencyKey, { occurredAt: "2026-02-01T00:16:00.000Z" });

    h.clock.set(new Date("2026-01-31T23:59:30Z"));
    const single = await post<Recorded>(k2, "usage.record", jan("r-1"));
    expect(single.status).toBe(200);
    const batch = await post<{ results: Recorded[] }>(k2, "usage.recordBatch", { events: [jan("r-2"), jan("r-3", 3)] });
    expect(batch.status).toBe(200);
    const firstSingle = single.data!;
    const firstBatch = batch.data!.results;
    expect([firstSingle, ...firstBatch].map((r) => [r.replayed, r.state.periodId])).toEqual([
      [false, "2026-01"],
      [false, "2026-01"],
      [false, "2026-01"],
    ]);

    const retries = async (label: string) => {
      const again = await post<Recorded>(k2, "usage.record", jan("r-1"));
      expect([again.status, again.data], label).toEqual([200, { ...firstSingle, replayed: true }]);
      const batchAgain = await post<{ results: Recorded[] }>(k2, "usage.recordBatch", { events: [jan("r-2"), jan("r-3", 3)] });
      expect([batchAgain.status, batchAgain.data], label).toEqual([200, { results: firstBatch.map((r) => ({ ...r, replayed: true })) }]);
    };

    // Past January's grace window, before its close.
    h.clock.set(new Date("2026-02-01T00:16:00Z"));
    await retries("after the grace window");
    const closedMessage = /^occurredAt: the period 2026-01 closed at 2026-02-01T00:15:00.000Z; late events are no longer accepted$/;
    const fresh = await post(k2, "usage.record", jan("r-new"));
    expect(refused(fresh)).toEqual({ status: 412, domainCode: "period-closed", message: expect.stringMatching(closedMessage) });
    // A batch mixing retries and a new event of an open month is accepted; one with a new January event is refused whole.
    const mixed = await post<{ results: Recorded[] }>(k2, "usage.recordBatch", { events: [jan("r-2"), feb("r-feb")] });
    expect(mixed.status).toBe(200);
    expect(mixed.data!.results.map((r) => [r.idempotencyKey, r.replayed, r.state.periodId])).toEqual([
      ["r-2", true, "2026-01"],
      ["r-feb", false, "2026-02"],
    ]);
    const late = await post(k2, "usage.recordBatch", { events: [jan("r-1"), jan("r-new-b")] });
    expect(refused(late)).toEqual({ status: 412, domainCode: "period-closed", message: expect.stringMatching(/^events\.1\.occurredAt: the period 2026-01 closed at /) });
    // A retry with another body is not a retry: the key was used, IDEMPOTENCY_CONFLICT.
    expect(refused(await post(k2, "usage.record", jan("r-1", 9)))).toEqual({
      status: 409,
      domainCode: "idempotency-conflict",
      message: 'idempotencyKey: "r-1" was already used for another event (its creditsCc differs)',
    });

    // After the month close, too.
    expect(await closeDue(h.database.db, defaultCatalog, new Date("2026-02-01T00:20:00Z"), { accountId: t2.accountId })).toMatchObject({ closed: 1, failed: 0 });
    h.clock.set(new Date("2026-02-01T00:20:00Z"));
    await retries("after the close");
    // A request that arrived inside the grace window but reached the database after the close: its retry
    // still answers; an event not seen before is refused as invoiced.
    h.clock.set(new Date("2026-02-01T00:14:00Z"));
    await retries("inside the grace window, after the close");
    const invoiced = await post(k2, "usage.record", jan("r-new-2"));
    expect(refused(invoiced)).toEqual({
      status: 412,
      domainCode: "period-closed",
      message: "occurredAt: the period 2026-01 is closed and invoiced; late events are no longer accepted",
    });
    const invoicedBatch = await post(k2, "usage.recordBatch", { events: [jan("r-3", 3), jan("r-new-3")] });
    expect(refused(invoicedBatch)).toEqual({
      status: 412,
      domainCode: "period-closed",
      message: "events.1.occurredAt: the period 2026-01 is closed and invoiced; late events are no longer accepted",
    });
    // Nothing was stored twice, and nothing after the refusals.
    const [n] = await h.database.db.select({ n: count() }).from(usageEvents).where(eq(usageEvents.accountId, t2.accountId));
    expect(n!.n).toBe(4);
  });
});

describe("edge case 16 over HTTP: every refusal carries the domain's code beside the sentence", () => {
  let t3: Tenant;
  let k3: string;
  /** [subscribed and Active, never subscribed, access ended] */
  let users: [string, string, string];

  beforeAll(async () => {
    h.clock.set(testNow); // beforeEach has not run yet
    t3 = await makeTenant(h, { users: 3 });
    k3 = (await makeKey(h, t3)).key;
    users = t3.userIds as [string, string, string];
    const admin = callerAs(h, t3.admins.admin);
    await admin.subscriptions.subscribe({ profileId: t3.profileId, userIds: [users[0], users[2]], tier: "pro" });
    const api = callerWithKey(h, k3);
    await api.usage.record(event(users[0], 1, "stored"));
    await api.usage.record(event(users[2], 1, "ended-before"));
    await admin.settings.update({ profileId: t3.profileId, cancelAccess: "immediate" });
    await admin.subscriptions.unsubscribe({ profileId: t3.profileId, userIds: [users[2]] });
  });

  const cases = () => {
    const [ok, never, ended] = users;
    return [
      { label: "not subscribed", e: event(never, 1, "c-1"), status: 412, domainCode: "not-subscribed", message: "userId: they have no subscription in this profile" },
      { label: "access ended", e: event(ended, 1, "c-2"), status: 412, domainCode: "access-ended", message: `userId: their access ended at ${testNow.toISOString()}` },
      {
        label: "period closed",
        e: event(ok, 1, "c-3", { occurredAt: "2025-12-15T00:00:00.000Z" }),
        status: 412,
        domainCode: "period-closed",
        message: "occurredAt: the period 2025-12 closed at 2026-01-01T00:15:00.000Z; late events are no longer accepted",
      },
      {
        label: "idempotency conflict",
        e: event(ok, 2, "stored"),
        status: 409,
        domainCode: "idempotency-conflict",
        message: 'idempotencyKey: "stored" was already used for another event (its creditsCc differs)',
      },
      {
        label: "event in future",
        e: event(ok, 1, "c-5", { occurredAt: "2026-01-09T12:00:00.000Z" }),
        status: 400,
        domainCode: "event-in-future",
        message: "occurredAt: 2026-01-09T12:00:00.000Z is in the future",
      },
      { label: "invalid input (the rules)", e: event(ok, 1.234, "c-6"), status: 400, domainCode: "invalid-input", message: "credits: at most two decimals (0.01 credit)" },
      { label: "invalid input (the schema)", e: event(ok, 1, "c-7", { client: undefined }), status: 400, domainCode: "invalid-input", message: expect.stringMatching(/^client: /) },
      { label: "unknown user", e: event("00000000-0000-4000-8000-000000000000", 1, "c-8"), status: 404, domainCode: "unknown-user", message: "userId: no such user in this account" },
    ];
  };

  it("usage.record: each refusal's status, code and sentence", async () => {
    const before = await tenantFingerprint(h.database, t3.accountId);
    for (const c of cases()) {
      expect(refused(await post(k3, "usage.record", c.e)), c.label).toEqual({ status: c.status, domainCode: c.domainCode, message: c.message });
    }
    expect(await tenantFingerprint(h.database, t3.accountId)).toEqual(before);
  });

  it("usage.recordBatch: the same codes, the event named by its index, nothing written", async () => {
    const before = await tenantFingerprint(h.database, t3.accountId);
    for (const [i, c] of cases().entries()) {
      const res = await post(k3, "usage.recordBatch", { events: [event(users[0], 1, `good-${i}`), c.e] });
      const message = typeof c.message === "string" ? `events.1.${c.message}` : expect.stringMatching(/^events\.1\.client: /);
      expect(refused(res), c.label).toEqual({ status: c.status, domainCode: c.domainCode, message });
    }
    expect(await tenantFingerprint(h.database, t3.accountId)).toEqual(before);
  });

  it("usage.activate and usage.check refuse with codes too", async () => {
    const [, never, ended] = users;
    expect(refused(await post(k3, "usage.activate", { userId: never }))).toEqual({ status: 412, domainCode: "not-subscribed", message: "userId: they have no subscription in this profile" });
    expect(refused(await post(k3, "usage.activate", { userId: ended }))).toEqual({ status: 412, domainCode: "access-ended", message: `userId: their access ended at ${testNow.toISOString()}` });
    const check = await fetch(`${base}/trpc/usage.check?input=${encodeURIComponent(JSON.stringify({ userId: "00000000-0000-4000-8000-000000000000" }))}`, { headers: { authorization: `Bearer ${k3}` } });
    expect(((await check.json()) as { error: WireError }).error.data.domainCode).toBe("unknown-user");
    // What is not a refusal of the rules carries no domain code: tRPC's code says it.
    const noKey = await post("sdk_nope", "usage.record", event(users[0], 1, "c-9"));
    expect([noKey.status, noKey.error?.data.code, noKey.error?.data.domainCode]).toEqual([401, "UNAUTHORIZED", undefined]);
  });

  it("the lean path answers exactly as tRPC's own adapter does", async () => {
    for (const c of cases()) {
      const lean = await post(k3, "usage.record", c.e);
      // A batch of one goes through tRPC's node-http adapter.
      const res = await fetch(`${base}/trpc/usage.record?batch=1`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${k3}` },
        body: JSON.stringify({ 0: c.e }),
      });
      const [adapter] = (await res.json()) as { error: WireError }[];
      expect(res.status, c.label).toBe(lean.status);
      expect(adapter!.error, c.label).toEqual(lean.error);
    }
  });
});
