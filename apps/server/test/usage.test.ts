import { beforeAll, describe, expect, it } from "vitest";
import { and, count, eq } from "drizzle-orm";
import { notices, subscriptions, usageEvents } from "@seatdesk/db";
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
    expect(notSubscribed.message).toBe("events.1.userId: rejected, they have no subscription in this profile");
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

  it("no key, a malformed key or a revoked key: 401 and nothing changes", async () => {
    const { id, key: k } = await makeKey(h, t, "to revoke");
    await callerAs(h, t.admins.admin).keys.revoke({ profileId: t.profileId, keyId: id });
    const before = await tenantFingerprint(h.database, t.accountId);
    for (const bad of [undefined, "nope", k, `${k.slice(0, -1)}x`]) {
      const e = await rejection(callerWithKey(h, bad).usage.record(event(t.userIds[0]!, 1, `x-${bad}`)));
      expect(e.code).toBe("UNAUTHORIZED");
    }
    expect(await tenantFingerprint(h.database, t.accountId)).toEqual(before);
  });

  it("activate: the first sign-in makes a Pending user Active", async () => {
    const t3 = await makeTenant(h, { users: 1 });
    const k3 = (await makeKey(h, t3)).key;
    await callerAs(h, t3.admins.admin).subscriptions.subscribe({ profileId: t3.profileId, userIds: t3.userIds, tier: "pro" });
    const res = await callerWithKey(h, k3).usage.activate({ userName: `user0-${t3.admins.owner.email.split("-")[1]}` });
    expect(res).toMatchObject({ activated: true, status: "active", tier: "pro" });
  });
});
