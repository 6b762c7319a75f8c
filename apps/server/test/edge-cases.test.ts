import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCatalog, getTier, isDomainError, type TierId } from "@seatdesk/domain";
import { callerAs, harnessForFile, makeTenant, rejection, testNow, writeCounts, type Tenant } from "./harness";
import { listen, makeScimToken, scim } from "./scim-helpers";
import { callerWithKey, makeKey } from "./usage-helpers";

/**
 * DESIGN.md §2 edge cases 10, 11 and 15, end to end through the console API, the usage API (a profile key)
 * and SCIM over HTTP, on whichever database the harness runs (PGlite, or PostgreSQL with TEST_DATABASE_URL).
 * Everything is set up the way the product writes it: no helper writes a row for the test.
 */
const h = harnessForFile({ resetClock: true });
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ url: base, close } = await listen(h));
});
afterAll(() => close());

const price = (tier: TierId) => getTier(defaultCatalog, tier).priceCents;
const hoursLater = (n: number) => new Date(testNow.getTime() + n * 3_600_000);
const patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const setActive = (active: boolean) => ({ schemas: [patchSchema], Operations: [{ op: "replace", value: { active } }] });

/** A tenant whose users 0.. are subscribed at `tier` and Active since testNow (they used the tool: usage.activate with a profile key). */
async function activeTenant(options: { users?: number; groups?: number; tier?: TierId; cancelAccess?: "end-of-month" | "immediate"; viaGroup?: boolean } = {}) {
  const t = await makeTenant(h, { users: options.users ?? 1, groups: options.groups ?? 0 });
  const owner = callerAs(h, t.admins.owner);
  if (options.cancelAccess) await owner.settings.update({ profileId: t.profileId, cancelAccess: options.cancelAccess });
  const tier = options.tier ?? "pro";
  if (options.viaGroup) {
    await owner.directory.addMembers({ groupId: t.groupIds[0]!, userIds: t.userIds });
    await owner.subscriptions.subscribe({ profileId: t.profileId, groupIds: [t.groupIds[0]!], tier });
  } else {
    await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier });
  }
  const { key } = await makeKey(h, t);
  const usage = callerWithKey(h, key);
  for (const userId of t.userIds) expect(await usage.usage.activate({ userId })).toMatchObject({ activated: true, status: "active", tier });
  return { t, owner, usage };
}

/** The user's row on the Users tab now. */
async function rowOf(t: Tenant, userId: string) {
  return (await callerAs(h, t.admins.viewer).subscriptions.user({ profileId: t.profileId, userId })).row;
}

/**
 * The month bills the user one fee at `tier` (the running estimate), the month close's invoice says the same
 * line for line, and the next month bills them normally at `nextTier` while they stay Active.
 */
async function expectOneFeeThroughTheClose(t: Tenant, userId: string, tier: TierId, nextTier: TierId = tier) {
  const viewer = callerAs(h, t.admins.viewer);
  const estimate = await viewer.billing.estimate({ profileId: t.profileId });
  expect(estimate.lines.filter((l) => l.userId === userId)).toEqual([expect.objectContaining({ userId, feeTier: tier, feeCents: price(tier), overageCents: 0 })]);
  expect(estimate.feesCents).toBe(price(tier));

  const closed = await callerAs(h, t.admins.owner).clock.advance({ nextMonth: true });
  expect(closed).toMatchObject({ now: "2026-02-01T00:20:00.000Z", closed: 1, failed: 0 });
  const invoice = await viewer.billing.invoice({ profileId: t.profileId, period: "2026-01" });
  expect(invoice.lines).toEqual(estimate.lines);
  expect({ fees: invoice.feesCents, total: invoice.totalCents }).toEqual({ fees: price(tier), total: price(tier) });

  // Not $0 next month: the restored subscription goes on like any Active one.
  expect(await rowOf(t, userId)).toMatchObject({ status: "active", tier: nextTier });
  const february = await viewer.billing.estimate({ profileId: t.profileId });
  expect(february).toMatchObject({ periodId: "2026-02", feesCents: price(nextTier) });
  expect(february.lines).toEqual([expect.objectContaining({ userId, feeTier: nextTier, feeCents: price(nextTier) })]);
}

describe("edge case 10: re-subscribing in the month access was lost restores it without a second charge", () => {
  it("(a) canceled with cancelAccess end-of-month, subscribed again the same month: Active at the tier held, one fee", async () => {
    const { t, owner } = await activeTenant({ tier: "pro_plus" });
    const u = t.userIds[0]!;
    h.clock.set(hoursLater(1));
    const off = await owner.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [u] });
    expect(off.results[0]).toMatchObject({ outcome: { kind: "canceled", accessEndsAt: "2026-02-01T00:00:00.000Z" }, status: "canceled" });
    h.clock.set(hoursLater(2));
    const on = await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [u], tier: "pro_plus" });
    expect(on.results[0]).toMatchObject({ outcome: { kind: "restored", tier: "pro_plus" }, when: "now", status: "active", tier: "pro_plus" });
    expect(await rowOf(t, u)).toMatchObject({ status: "active", tier: "pro_plus" });
    await expectOneFeeThroughTheClose(t, u, "pro_plus");
  });

  it("(b) canceled with cancelAccess immediate, subscribed again the same month: Active again, one fee", async () => {
    const { t, owner, usage } = await activeTenant({ cancelAccess: "immediate" });
    const u = t.userIds[0]!;
    h.clock.set(hoursLater(1));
    const off = await owner.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [u] });
    expect(off.results[0]).toMatchObject({ outcome: { kind: "canceled", accessEndsAt: hoursLater(1).toISOString() } });
    h.clock.set(hoursLater(2));
    expect(await usage.usage.check({ userId: u })).toMatchObject({ allowed: false, reason: "access-ended" });
    const on = await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [u], tier: "pro" });
    expect(on.results[0]).toMatchObject({ outcome: { kind: "restored", tier: "pro" }, status: "active", tier: "pro" });
    // Restored Active: usable at once, no new sign-in needed.
    expect(await usage.usage.check({ userId: u })).toMatchObject({ allowed: true, reason: "ok" });
    await expectOneFeeThroughTheClose(t, u, "pro");
  });

  it("(c) subscribed again at a higher tier: restored, then upgraded at once; the month bills the higher tier once", async () => {
    const { t, owner } = await activeTenant({ tier: "pro" });
    const u = t.userIds[0]!;
    h.clock.set(hoursLater(1));
    await owner.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [u] });
    h.clock.set(hoursLater(2));
    const on = await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [u], tier: "power" });
    expect(on.results[0]).toMatchObject({ outcome: { kind: "upgraded", from: "pro", to: "power" }, when: "now", status: "active", tier: "power" });
    await expectOneFeeThroughTheClose(t, u, "power");
  });

  it("(d) removed from the last covering group, then added back: Active again, one fee", async () => {
    const { t, owner } = await activeTenant({ groups: 1, viaGroup: true, tier: "pro" });
    const [u] = t.userIds as [string];
    const g = t.groupIds[0]!;
    h.clock.set(hoursLater(1));
    const removed = await owner.directory.removeMembers({ groupId: g, userIds: [u] });
    expect(removed.results).toEqual([expect.objectContaining({ userId: u, profileId: t.profileId, outcome: expect.objectContaining({ kind: "canceled" }), status: "canceled" })]);
    h.clock.set(hoursLater(2));
    const added = await owner.directory.addMembers({ groupId: g, userIds: [u] });
    expect(added.results).toEqual([{ userId: u, profileId: t.profileId, outcome: { kind: "restored", tier: "pro" }, status: "active", tier: "pro" }]);
    await expectOneFeeThroughTheClose(t, u, "pro");
  });

  it("(e) the identity provider sets the person inactive, then active again, in one month: Active again, charged once", async () => {
    const { t, usage } = await activeTenant({ tier: "pro" });
    const u = t.userIds[0]!;
    const { token } = await makeScimToken(h, t);
    h.clock.set(hoursLater(1));
    expect((await scim(base, token, "PATCH", `/Users/${u}`, setActive(false))).status).toBe(200);
    h.clock.set(hoursLater(2));
    expect(await usage.usage.check({ userId: u })).toMatchObject({ allowed: false, reason: "access-ended" });
    expect((await scim(base, token, "PATCH", `/Users/${u}`, setActive(true))).status).toBe(200);
    expect(await rowOf(t, u)).toMatchObject({ status: "active", tier: "pro" });
    expect(await usage.usage.check({ userId: u })).toMatchObject({ allowed: true, reason: "ok" });
    await expectOneFeeThroughTheClose(t, u, "pro");
  });
});

describe("edge case 11: the identity provider ends at once the access a cancel left until the month's end", () => {
  it("canceled with access until the 1st, then deactivated over SCIM: checks say access-ended and usage is refused with ACCESS_ENDED", async () => {
    const { t, owner, usage } = await activeTenant({ tier: "pro" });
    const u = t.userIds[0]!;
    h.clock.set(hoursLater(1));
    await owner.subscriptions.unsubscribe({ profileId: t.profileId, userIds: [u] });
    // Canceled, access until the month ends (cancelAccess end-of-month): still usable.
    expect(await usage.usage.check({ userId: u })).toMatchObject({ allowed: true, reason: "ok" });
    await usage.usage.record({ userId: u, credits: 1, client: "ide", occurredAt: hoursLater(1).toISOString(), idempotencyKey: "before" });

    const { token } = await makeScimToken(h, t);
    h.clock.set(hoursLater(2));
    expect((await scim(base, token, "PATCH", `/Users/${u}`, setActive(false))).status).toBe(200);
    expect(await usage.usage.check({ userId: u })).toMatchObject({ allowed: false, reason: "access-ended" });
    const refused = await rejection(usage.usage.record({ userId: u, credits: 1, client: "ide", occurredAt: hoursLater(2).toISOString(), idempotencyKey: "after" }));
    expect(refused.code).toBe("PRECONDITION_FAILED");
    expect(isDomainError(refused.cause) && refused.cause.code).toBe("ACCESS_ENDED");
    expect(refused.message).toMatch(/^userId: .*access (has )?ended/);

    // The deactivation's audit says what it did: the canceled subscription's access ended at once.
    const audit = await callerAs(h, t.admins.viewer).audit.list({ action: "scim.user.deactivate" });
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]!.after).toMatchObject({
      active: false,
      effects: [{ userId: u, profileId: t.profileId, outcome: { kind: "access-ended", at: hoursLater(2).toISOString() }, status: "canceled", tier: "pro", before: { status: "canceled", tier: "pro" } }],
    });
    // The month stays paid once.
    expect((await callerAs(h, t.admins.viewer).billing.estimate({ profileId: t.profileId })).feesCents).toBe(price("pro"));
  });
});

describe("edge case 15: a change that changes nothing answers unchanged and writes no audit entry", () => {
  it("the same downgrade requested twice: the second is unchanged and writes nothing", async () => {
    const { t, owner } = await activeTenant({ users: 2, tier: "power" });
    const [u, other] = t.userIds as [string, string];
    const first = await owner.subscriptions.changePlan({ profileId: t.profileId, userIds: [u], tier: "pro" });
    expect(first.results[0]).toMatchObject({ outcome: { kind: "downgrade-scheduled", from: "power", to: "pro" }, when: "next-month" });
    const before = await writeCounts(h, t.accountId);
    const second = await owner.subscriptions.changePlan({ profileId: t.profileId, userIds: [u], tier: "pro" });
    expect(second.results).toEqual([expect.objectContaining({ userId: u, outcome: { kind: "unchanged", tier: "power" }, when: "nothing", tier: "power", scheduledTier: "pro" })]);
    expect(await writeCounts(h, t.accountId)).toEqual(before);

    // In a call with a real change, only the real change is audited.
    const viewer = callerAs(h, t.admins.viewer);
    const seen = new Set((await viewer.audit.list({ limit: 200 })).entries.map((e) => e.id));
    const mixed = await owner.subscriptions.changePlan({ profileId: t.profileId, userIds: [u, other], tier: "pro" });
    expect(mixed.results.map((r) => [r.userId, r.outcome.kind])).toEqual([
      [u, "unchanged"],
      [other, "downgrade-scheduled"],
    ]);
    const added = (await viewer.audit.list({ limit: 200 })).entries.filter((e) => !seen.has(e.id));
    expect(added.map((e) => [e.action, e.targetId]).sort()).toEqual([
      ["assignment.change-plan", other],
      ["subscription.changed", other],
    ]);
  });

  it("subscribing at the tier already held, directly or through a group: unchanged, no audit entry", async () => {
    const { t, owner } = await activeTenant({ users: 2, groups: 1, tier: "pro_plus" });
    const [u] = t.userIds as [string];
    await owner.directory.addMembers({ groupId: t.groupIds[0]!, userIds: t.userIds });
    await owner.subscriptions.subscribe({ profileId: t.profileId, groupIds: t.groupIds, tier: "pro" });
    const before = await writeCounts(h, t.accountId);
    const again = await owner.subscriptions.subscribe({ profileId: t.profileId, userIds: [u], tier: "pro_plus" });
    expect(again.results).toEqual([expect.objectContaining({ userId: u, outcome: { kind: "unchanged", tier: "pro_plus" }, when: "nothing", status: "active", tier: "pro_plus" })]);
    const group = await owner.subscriptions.subscribe({ profileId: t.profileId, groupIds: t.groupIds, tier: "pro" });
    expect(group.results.map((r) => r.outcome.kind)).toEqual(["unchanged", "unchanged"]);
    const plan = await owner.subscriptions.changePlan({ profileId: t.profileId, groupIds: t.groupIds, tier: "pro" });
    expect(plan.results.map((r) => r.outcome.kind)).toEqual(["unchanged", "unchanged"]);
    expect(await writeCounts(h, t.accountId)).toEqual(before);
  });
});
