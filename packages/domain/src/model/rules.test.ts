import { describe, expect, it } from "vitest";
import { allowanceOf } from "../billing/ledger";
import { defaultCatalog as catalog } from "../catalog/catalog";
import { inForce } from "../subscription/subscription";
import { applyEvent, defaultProfileSettings, replay, type ProfileEvent, type ProfileModel, type ProfileSettings } from "./profile-model";

/** DESIGN.md §2 rules that need more than one step, each through the whole profile model. */
const at = (m: number, d: number, h = 12) => new Date(Date.UTC(2026, m - 1, d, h));
const cc = (credits: number) => Math.round(credits * 100);
const settings = (over: Partial<ProfileSettings> = {}): ProfileSettings => ({ ...defaultProfileSettings, ...over });
const run = (events: ProfileEvent[], until: Date, s?: ProfileSettings) => replay(catalog, at(1, 1, 0), events, until, s);
const invoiceLine = (m: ProfileModel, periodId: string, userId = "alice") => m.invoices.find((i) => i.periodId === periodId)?.lines.find((l) => l.userId === userId) ?? null;
const activeAlice = (tier: "pro" | "pro_plus" | "power" = "pro"): ProfileEvent[] => [
  { type: "assign-user", at: at(1, 2), userId: "alice", tier },
  { type: "use", at: at(1, 3), userId: "alice", creditsCc: 100 },
];

describe("Statuses", () => {
  it("Active: the first usage activates a Pending user; every event moves last active", () => {
    const m = run([...activeAlice(), { type: "use", at: at(1, 9), userId: "alice", creditsCc: 1 }], at(1, 10));
    expect(m.subscriptions.get("alice")).toMatchObject({ status: "active", activatedAt: at(1, 3), lastActiveAt: at(1, 9) });
  });

  it.each<[string, ProfileSettings["firstMonth"], number]>([
    ["under firstMonth full: charged $20", "full", 2000],
    ["under firstMonth prorated: 22 of 31 days, $20 × 22/31 = 1,419.35 → 1,419", "prorated", 1419],
  ])("Active: a sign-in activates a Pending user like a first usage, %s", (_, firstMonth, feeCents) => {
    const m = run(
      [
        { type: "assign-user", at: at(1, 2), userId: "alice", tier: "pro" },
        { type: "activate", at: at(1, 10), userId: "alice" },
        { type: "settings", at: at(1, 11), settings: { firstMonth: firstMonth === "full" ? "prorated" : "full" } },
        { type: "activate", at: at(1, 12), userId: "alice" },
      ],
      at(2, 1, 0),
      settings({ firstMonth }),
    );
    expect(m.subscriptions.get("alice")).toEqual({ tier: "pro", status: "active", scheduledTier: null, scheduledAt: null, accessEndsAt: null, activatedAt: at(1, 10), lastActiveAt: at(1, 12) });
    expect(m.uses).toEqual([]);
    expect(invoiceLine(m, "2026-01")).toMatchObject({ feeCents, includedCc: 0 });
  });

  it("a sign-in without a subscription in force changes nothing: none, ended, or deleted by the identity provider", () => {
    const m = run(
      [
        { type: "activate", at: at(1, 2), userId: "nobody" },
        ...activeAlice(),
        { type: "assign-user", at: at(1, 5), userId: "alice", tier: null },
        { type: "activate", at: at(2, 2), userId: "alice" },
        { type: "assign-user", at: at(1, 2), userId: "bob", tier: "pro" },
        { type: "idp-delete", at: at(1, 6), userId: "bob" },
        { type: "activate", at: at(2, 3), userId: "bob" },
      ].sort((a, b) => a.at.getTime() - b.at.getTime()) as ProfileEvent[],
      at(2, 4),
    );
    expect([...m.subscriptions.keys()]).toEqual(["alice"]);
    expect(m.subscriptions.get("alice")).toMatchObject({ status: "canceled", accessEndsAt: at(2, 1, 0), lastActiveAt: at(1, 3) });
    expect(m.ledgers.size).toBe(0);
  });

  it("Canceled by losing the last assignment that covered the user (removed from a subscribed group)", () => {
    const m = run(
      [
        { type: "assign-group", at: at(1, 2), groupId: "eng", tier: "pro" },
        { type: "join-group", at: at(1, 2), groupId: "eng", userId: "alice" },
        { type: "use", at: at(1, 3), userId: "alice", creditsCc: 1 },
        { type: "leave-group", at: at(1, 10), groupId: "eng", userId: "alice" },
      ],
      at(1, 11),
    );
    expect(m.subscriptions.get("alice")).toMatchObject({ status: "canceled", accessEndsAt: at(2, 1, 0) });
  });

  // Was "reactivated, they start Pending": edge case 10 decides that a reactivation in the same month restores them.
  it("the identity provider setting a person inactive ends access at once, whatever cancelAccess says; reactivated in the same month, they are restored Active, charged once (edge case 10)", () => {
    const m = run(
      [
        ...activeAlice(),
        { type: "idp-deactivate", at: at(1, 10), userId: "alice" },
        { type: "use", at: at(1, 11), userId: "alice", creditsCc: 1 },
        { type: "idp-reactivate", at: at(1, 12), userId: "alice" },
        { type: "use", at: at(1, 13), userId: "alice", creditsCc: 1 },
      ],
      at(2, 1, 0),
      settings({ cancelAccess: "end-of-month" }),
    );
    expect(m.changes.map((c) => c.outcome)).toEqual([
      { kind: "subscribed", tier: "pro" },
      { kind: "canceled", accessEndsAt: at(1, 10) },
      { kind: "restored", tier: "pro" },
    ]);
    expect(m.uses.map((u) => (u.accepted ? "accepted" : u.reason))).toEqual(["accepted", "access-ended", "accepted"]);
    expect(m.subscriptions.get("alice")).toEqual({ tier: "pro", status: "active", scheduledTier: null, scheduledAt: null, accessEndsAt: null, activatedAt: at(1, 3), lastActiveAt: at(1, 13) });
    expect(m.invoices[0]!.lines).toHaveLength(1);
    expect(invoiceLine(m, "2026-01")).toMatchObject({ feeCents: 2000, includedCc: 101 }); // the month stays paid, once
  });

  it("deactivated by the identity provider and reactivated in a later month: a new Pending subscription", () => {
    const m = run(
      [...activeAlice(), { type: "idp-deactivate", at: at(1, 10), userId: "alice" }, { type: "idp-reactivate", at: at(2, 3), userId: "alice" }],
      at(3, 1, 0),
    );
    expect(m.changes.map((c) => c.outcome.kind)).toEqual(["subscribed", "canceled", "subscribed"]);
    expect(m.subscriptions.get("alice")).toEqual({ tier: "pro", status: "pending", scheduledTier: null, scheduledAt: null, accessEndsAt: null, activatedAt: null, lastActiveAt: null });
    expect(invoiceLine(m, "2026-02")).toBeNull();
  });

  it("edge case 9: an inactive person can be assigned but is not subscribed until reactivated", () => {
    const m = run(
      [
        { type: "idp-deactivate", at: at(1, 2), userId: "bob" },
        { type: "assign-user", at: at(1, 3), userId: "bob", tier: "pro" },
        { type: "use", at: at(1, 4), userId: "bob", creditsCc: 1 },
      ],
      at(1, 5),
    );
    expect(m.subscriptions.has("bob")).toBe(false);
    expect(m.direct.get("bob")).toBe("pro");
    expect(m.uses[0]).toMatchObject({ accepted: false, reason: "not-subscribed" });
    const later = run([{ type: "idp-deactivate", at: at(1, 2), userId: "bob" }, { type: "assign-user", at: at(1, 3), userId: "bob", tier: "pro" }, { type: "idp-reactivate", at: at(1, 6), userId: "bob" }], at(1, 7));
    expect(later.subscriptions.get("bob")).toMatchObject({ status: "pending", tier: "pro" });
  });

  it("edge case 9: a person deleted by the identity provider loses memberships and direct assignments; later events are rejected as unknown", () => {
    const m = run(
      [
        { type: "assign-group", at: at(1, 2), groupId: "eng", tier: "pro_plus" },
        { type: "join-group", at: at(1, 2), groupId: "eng", userId: "alice" },
        ...activeAlice(),
        { type: "idp-delete", at: at(1, 10), userId: "alice" },
        { type: "use", at: at(1, 11), userId: "alice", creditsCc: 1 },
        { type: "join-group", at: at(1, 12), groupId: "eng", userId: "alice" },
      ],
      at(2, 1, 0),
    );
    expect(m.direct.has("alice")).toBe(false);
    expect(m.members.get("eng")?.has("alice")).toBe(false);
    expect(m.uses.at(-1)).toMatchObject({ accepted: false, reason: "unknown-user" });
    expect(m.subscriptions.get("alice")).toMatchObject({ status: "canceled", accessEndsAt: at(1, 10) });
  });

  it("re-subscribing a Canceled user in the same month restores access without a second charge", () => {
    const m = run(
      [...activeAlice("pro_plus"), { type: "assign-user", at: at(1, 10), userId: "alice", tier: null }, { type: "assign-user", at: at(1, 12), userId: "alice", tier: "pro_plus" }],
      at(2, 1, 0),
    );
    expect(m.changes.map((c) => c.outcome.kind)).toEqual(["subscribed", "canceled", "restored"]);
    expect(m.subscriptions.get("alice")).toMatchObject({ status: "active", accessEndsAt: null });
    expect(m.invoices[0]!.lines).toHaveLength(1);
    expect(invoiceLine(m, "2026-01")).toMatchObject({ feeCents: 4000 });
  });

  it("a Canceled subscription leaves the current month at its end; its history stays and later events are refused", () => {
    const m = run([...activeAlice(), { type: "assign-user", at: at(1, 10), userId: "alice", tier: null }, { type: "use", at: at(2, 2), userId: "alice", creditsCc: 1 }], at(3, 1, 0));
    const stored = m.subscriptions.get("alice")!;
    expect(stored).toMatchObject({ status: "canceled", accessEndsAt: at(2, 1, 0) });
    expect(inForce(stored, at(2, 1, 0))).toBeNull();
    expect(m.uses.at(-1)).toMatchObject({ accepted: false, reason: "access-ended" });
    expect(invoiceLine(m, "2026-02")).toBeNull();
  });
});

describe("Changes", () => {
  it("a change made on a group applies to each member, each member's effective tier recomputed", () => {
    const m = run(
      [
        { type: "assign-group", at: at(1, 2), groupId: "eng", tier: "pro" },
        { type: "join-group", at: at(1, 2), groupId: "eng", userId: "alice" },
        { type: "join-group", at: at(1, 2), groupId: "eng", userId: "bob" },
        { type: "assign-user", at: at(1, 2), userId: "bob", tier: "power" },
        { type: "use", at: at(1, 3), userId: "alice", creditsCc: 1 },
        { type: "use", at: at(1, 3), userId: "bob", creditsCc: 1 },
        { type: "assign-group", at: at(1, 5), groupId: "eng", tier: "pro_plus" },
      ],
      at(1, 6),
    );
    expect(m.subscriptions.get("alice")).toMatchObject({ tier: "pro_plus" });
    expect(m.subscriptions.get("bob")).toMatchObject({ tier: "power", scheduledTier: null });
  });

  it("edge case 2: deactivating a user's plan removes only the direct assignment; a group still covering them keeps them subscribed, a lower tier as a scheduled downgrade", () => {
    const m = run(
      [
        { type: "assign-group", at: at(1, 2), groupId: "eng", tier: "pro" },
        { type: "join-group", at: at(1, 2), groupId: "eng", userId: "alice" },
        { type: "assign-user", at: at(1, 2), userId: "alice", tier: "power" },
        { type: "use", at: at(1, 3), userId: "alice", creditsCc: 1 },
        { type: "assign-user", at: at(1, 10), userId: "alice", tier: null },
      ],
      at(2, 2),
    );
    expect(m.changes.at(-1)?.outcome).toEqual({ kind: "downgrade-scheduled", from: "power", to: "pro", at: at(2, 1, 0) });
    expect(invoiceLine(m, "2026-01")).toMatchObject({ feeTier: "power", feeCents: 20000 });
    expect(m.subscriptions.get("alice")).toMatchObject({ status: "active", tier: "pro" });
  });

  it("edge case 3: canceling clears a scheduled downgrade; re-subscribing in the month brings back the tier held at the cancel", () => {
    const m = run(
      [
        ...activeAlice("power"),
        { type: "assign-user", at: at(1, 5), userId: "alice", tier: "pro" },
        { type: "assign-user", at: at(1, 6), userId: "alice", tier: null },
      ],
      at(1, 7),
    );
    expect(m.subscriptions.get("alice")).toMatchObject({ status: "canceled", tier: "power", scheduledTier: null });
    const back = run(
      [...activeAlice("power"), { type: "assign-user", at: at(1, 5), userId: "alice", tier: "pro" }, { type: "assign-user", at: at(1, 6), userId: "alice", tier: null }, { type: "assign-user", at: at(1, 7), userId: "alice", tier: "power" }],
      at(1, 8),
    );
    expect(back.subscriptions.get("alice")).toMatchObject({ status: "active", tier: "power", scheduledTier: null });
  });
});

describe("Charges and allowance", () => {
  it("edge case 4: after a scheduled downgrade the month keeps the higher tier's allowance; a Pending user's allowance is their current tier's", () => {
    const m = run([...activeAlice("power"), { type: "assign-user", at: at(1, 5), userId: "alice", tier: "pro" }, { type: "assign-user", at: at(1, 5), userId: "bob", tier: "pro_plus" }], at(1, 6));
    expect(allowanceOf(catalog, m.ledgers.get("alice")!, m.subscriptions.get("alice")!.tier)).toBe(cc(10000));
    expect(allowanceOf(catalog, m.ledgers.get("bob")!, "pro_plus")).toBe(cc(2000));
  });

  it("a first paid month is one begun not Active: a person back after a month away is prorated again; one restored within the month is not", () => {
    const s = settings({ firstMonth: "prorated" });
    const away = run(
      [
        { type: "assign-user", at: at(1, 1), userId: "alice", tier: "pro" },
        { type: "use", at: at(1, 1), userId: "alice", creditsCc: 1 },
        { type: "assign-user", at: at(1, 10), userId: "alice", tier: null },
        { type: "assign-user", at: at(3, 10), userId: "alice", tier: "pro" },
        { type: "use", at: at(3, 17), userId: "alice", creditsCc: 1 },
      ],
      at(4, 1, 0),
      s,
    );
    expect(invoiceLine(away, "2026-01")).toMatchObject({ feeCents: 2000, proration: { days: 31, daysInMonth: 31 } });
    expect(invoiceLine(away, "2026-02")).toBeNull();
    expect(invoiceLine(away, "2026-03")).toMatchObject({ feeCents: 968, proration: { days: 15, daysInMonth: 31 } }); // 2000 × 15 / 31 = 967.7
  });

  it("unbilled overshoot stays unbilled when an upgrade grows the allowance", () => {
    const m = run(
      [...activeAlice(), { type: "use", at: at(1, 4), userId: "alice", creditsCc: cc(1100) }, { type: "assign-user", at: at(1, 5), userId: "alice", tier: "pro_plus" }],
      at(2, 1, 0),
    );
    // 1 + 1,100 credits on Pro with overage off: 1,000 included, 101 unbilled; Pro+ re-rates only accepted overage.
    expect(invoiceLine(m, "2026-01")).toMatchObject({ feeCents: 4000, allowanceCc: cc(2000), includedCc: cc(1000), overageCc: 0, unbilledCc: cc(101) });
  });
});

describe("Overages and caps", () => {
  const heavy = (credits: number, day: number, userId = "alice"): ProfileEvent => ({ type: "use", at: at(1, day), userId, creditsCc: cc(credits) });

  it("turning overages on takes effect at once for every user", () => {
    const m = run([...activeAlice(), heavy(1000, 4), { type: "settings", at: at(1, 5), settings: { overagesEnabled: true } }, heavy(50, 6)], at(1, 7));
    expect(m.uses.slice(1).map((u) => u.accepted && [u.includedCc, u.overageCc, u.unbilledCc])).toEqual([
      [cc(999), 0, cc(1)], // 1 credit already used: 999 fit, 1 over with overage off
      [0, cc(50), 0],
    ]);
  });

  it("edge case 5: a group override applies to members whether or not the group is assigned, and wins over the profile default even when lower", () => {
    const m = run(
      [...activeAlice(), { type: "join-group", at: at(1, 3), groupId: "contractors", userId: "alice" }, heavy(1100, 4)],
      at(1, 5),
      settings({ overagesEnabled: true, defaultCap: cc(500), groupCaps: { contractors: cc(20) } }),
    );
    // 1 + 1,100 credits: 999 fit, 101 over; the group's cap of 20 beats the default of 500.
    expect(m.uses[1]).toMatchObject({ accepted: true, includedCc: cc(999), overageCc: cc(20), unbilledCc: cc(81), stoppedBy: "user-cap-reached", userCap: cc(20) });
  });

  it("edge case 6: lowering a cap takes nothing back; caps count per month", () => {
    const m = run(
      [
        ...activeAlice(),
        heavy(1100, 4),
        { type: "settings", at: at(1, 5), settings: { defaultCap: cc(10) } },
        heavy(5, 6),
        { type: "use", at: at(2, 2), userId: "alice", creditsCc: cc(1010) },
      ],
      at(3, 1, 0),
      settings({ overagesEnabled: true }),
    );
    expect(m.uses[2]).toMatchObject({ overageCc: 0, unbilledCc: cc(5), stoppedBy: "user-cap-reached" });
    expect(invoiceLine(m, "2026-01")).toMatchObject({ overageCc: cc(101), overageCents: 404 }); // accepted before the cap was lowered
    expect(m.uses[3]).toMatchObject({ includedCc: cc(1000), overageCc: cc(10), unbilledCc: 0 });
  });

  it("the profile budget stops all overage once the month's accepted overage reaches it, compared as exact money", () => {
    // $1.00 budget = 25 credits of overage at $0.04.
    const m = run(
      [...activeAlice(), { type: "assign-user", at: at(1, 2), userId: "bob", tier: "pro" }, heavy(1015, 4), heavy(1015, 5, "bob"), heavy(1, 6)],
      at(2, 1, 0),
      settings({ overagesEnabled: true, budgetCents: 100 }),
    );
    expect(m.uses.slice(1).map((u) => u.accepted && [u.overageCc, u.unbilledCc, u.stoppedBy])).toEqual([
      [cc(16), 0, null], // alice: 1 + 1,015 → 16 over
      [cc(9), cc(6), "profile-budget-reached"], // bob: 15 over, 9 left in the budget
      [0, cc(1), "profile-budget-reached"],
    ]);
    expect(m.invoices[0]!.overageCents).toBe(100);
  });

  it("the per-user switch overrides the profile: off blocks overage even when the profile allows it", () => {
    const m = run([...activeAlice(), heavy(1010, 4)], at(1, 5), settings({ overagesEnabled: true, userSwitches: { alice: "off" } }));
    expect(m.uses[1]).toMatchObject({ overageCc: 0, unbilledCc: cc(11), stoppedBy: "allowance-used-overage-off" }); // 1 + 1,010 on Pro
  });

  it("an event for a user with no subscription is rejected and recorded nowhere", () => {
    const m = run([heavy(1, 4, "nobody")], at(1, 5));
    expect(m.uses).toEqual([{ accepted: false, userId: "nobody", at: at(1, 4), reason: "not-subscribed" }]);
    expect(m.ledgers.size).toBe(0);
  });
});

describe("Edge cases 10–15 through the whole profile", () => {
  type Loss = { how: string; setup: ProfileEvent[]; lose: ProfileEvent[]; regain: (when: Date) => ProfileEvent[]; cancelAccess: ProfileSettings["cancelAccess"] };
  const direct: ProfileEvent[] = [...activeAlice("pro_plus")];
  const viaGroup: ProfileEvent[] = [
    { type: "assign-group", at: at(1, 2), groupId: "eng", tier: "pro_plus" },
    { type: "join-group", at: at(1, 2), groupId: "eng", userId: "alice" },
    { type: "use", at: at(1, 3), userId: "alice", creditsCc: 100 },
  ];
  const losses: Loss[] = [
    { how: "a cancel with end-of-month", setup: direct, lose: [{ type: "assign-user", at: at(1, 10), userId: "alice", tier: null }], regain: (w) => [{ type: "assign-user", at: w, userId: "alice", tier: "pro_plus" }], cancelAccess: "end-of-month" },
    { how: "a cancel with immediate", setup: direct, lose: [{ type: "assign-user", at: at(1, 10), userId: "alice", tier: null }], regain: (w) => [{ type: "assign-user", at: w, userId: "alice", tier: "pro_plus" }], cancelAccess: "immediate" },
    { how: "the loss of the last covering assignment (left the group)", setup: viaGroup, lose: [{ type: "leave-group", at: at(1, 10), groupId: "eng", userId: "alice" }], regain: (w) => [{ type: "join-group", at: w, groupId: "eng", userId: "alice" }], cancelAccess: "immediate" },
    { how: "the identity provider's deactivation then reactivation", setup: direct, lose: [{ type: "idp-deactivate", at: at(1, 10), userId: "alice" }], regain: (w) => [{ type: "idp-reactivate", at: w, userId: "alice" }], cancelAccess: "end-of-month" },
  ];
  const cases = losses.flatMap((l) => (["full", "prorated"] as const).map((firstMonth) => [l.how, firstMonth, l] as const));

  it.each(cases)("edge case 10: after %s (firstMonth %s), re-subscribed on Jan 20: restored Active at Pro+, the month charged once, as if never lost", (_, firstMonth, l) => {
    const s = settings({ cancelAccess: l.cancelAccess, firstMonth });
    const m = run([...l.setup, ...l.lose, ...l.regain(at(1, 20)), { type: "use", at: at(1, 21), userId: "alice", creditsCc: 5 }], at(2, 1, 0), s);
    const never = run([...l.setup, { type: "use", at: at(1, 21), userId: "alice", creditsCc: 5 }], at(2, 1, 0), s);
    expect(m.changes.at(-1)).toEqual({ userId: "alice", at: at(1, 20), outcome: { kind: "restored", tier: "pro_plus" } });
    expect(m.subscriptions.get("alice")).toEqual({ tier: "pro_plus", status: "active", scheduledTier: null, scheduledAt: null, accessEndsAt: null, activatedAt: at(1, 3), lastActiveAt: at(1, 21) });
    expect(m.uses.at(-1)).toMatchObject({ accepted: true, includedCc: 5 });
    // $40 in full, or prorated from the first activation on Jan 3: $40 × 29/31 = 3,741.94 → 3,742.
    expect(m.invoices[0]!.lines).toEqual(never.invoices[0]!.lines);
    expect(invoiceLine(m, "2026-01")).toMatchObject({ feeTier: "pro_plus", feeCents: firstMonth === "full" ? 4000 : 3742 });
  });

  it.each(losses.map((l) => [l.how, l] as const))("edge case 10: after %s, re-subscribed in February: a new Pending subscription, nothing charged in February", (_, l) => {
    const m = run([...l.setup, ...l.lose, ...l.regain(at(2, 5))], at(3, 1, 0), settings({ cancelAccess: l.cancelAccess }));
    expect(m.changes.at(-1)).toEqual({ userId: "alice", at: at(2, 5), outcome: { kind: "subscribed", tier: "pro_plus" } });
    expect(m.subscriptions.get("alice")).toEqual({ tier: "pro_plus", status: "pending", scheduledTier: null, scheduledAt: null, accessEndsAt: null, activatedAt: null, lastActiveAt: null });
    expect([invoiceLine(m, "2026-01")?.feeCents, invoiceLine(m, "2026-02")]).toEqual([4000, null]);
  });

  it("edge case 11: the identity provider ends at once the access of a user already Canceled until the month's end", () => {
    const m = run(
      [
        ...activeAlice(),
        { type: "assign-user", at: at(1, 10), userId: "alice", tier: null },
        { type: "use", at: at(1, 12), userId: "alice", creditsCc: 1 },
        { type: "idp-deactivate", at: at(1, 15), userId: "alice" },
        { type: "use", at: at(1, 16), userId: "alice", creditsCc: 1 },
      ],
      at(2, 1, 0),
    );
    expect(m.changes.map((c) => c.outcome)).toEqual([
      { kind: "subscribed", tier: "pro" },
      { kind: "canceled", accessEndsAt: at(2, 1, 0) },
      { kind: "access-ended", at: at(1, 15) },
    ]);
    expect(m.uses.map((u) => (u.accepted ? "accepted" : u.reason))).toEqual(["accepted", "accepted", "access-ended"]);
    expect(m.subscriptions.get("alice")).toMatchObject({ status: "canceled", accessEndsAt: at(1, 15) });
    expect(invoiceLine(m, "2026-01")).toMatchObject({ feeCents: 2000, includedCc: 101 });
  });

  it.each<[string, ProfileEvent[], ProfileSettings["firstMonth"], { feeTier: string; feeCents: number; proration: { days: number; daysInMonth: number } | null }]>([
    [
      "activated Jan 10 under prorated, the setting made full on the 15th: 22 of 31 days, $20 × 22/31 = 1,419.35 → 1,419",
      [{ type: "settings", at: at(1, 15), settings: { firstMonth: "full" } }],
      "prorated",
      { feeTier: "pro", feeCents: 1419, proration: { days: 22, daysInMonth: 31 } },
    ],
    [
      "activated Jan 10 under full, the setting made prorated on the 15th: the full $20",
      [{ type: "settings", at: at(1, 15), settings: { firstMonth: "prorated" } }],
      "full",
      { feeTier: "pro", feeCents: 2000, proration: null },
    ],
    [
      "activated under prorated, upgraded to Power on the 20th after the setting became full: $200 × 22/31 = 14,193.55 → 14,194",
      [{ type: "settings", at: at(1, 15), settings: { firstMonth: "full" } }, { type: "assign-user", at: at(1, 20), userId: "alice", tier: "power" }],
      "prorated",
      { feeTier: "power", feeCents: 14194, proration: { days: 22, daysInMonth: 31 } },
    ],
    [
      "activated under full, the setting made prorated in January's grace window (Feb 1, 00:05): January stays $20",
      [{ type: "settings", at: new Date(Date.UTC(2026, 1, 1, 0, 5)), settings: { firstMonth: "prorated" } }],
      "full",
      { feeTier: "pro", feeCents: 2000, proration: null },
    ],
  ])("edge case 12: %s", (_, later, firstMonth, expected) => {
    const m = run(
      [{ type: "assign-user", at: at(1, 2), userId: "alice", tier: "pro" }, { type: "use", at: at(1, 10), userId: "alice", creditsCc: 1 }, ...later],
      at(2, 2),
      settings({ firstMonth }),
    );
    expect(invoiceLine(m, "2026-01")).toMatchObject(expected);
  });

  it("edge case 13: an ended subscription stays as history in later months: usage is refused as access-ended, a reconcile with no tier changes nothing, subscribed again it starts Pending", () => {
    const history = { tier: "pro", status: "canceled", scheduledTier: null, scheduledAt: null, accessEndsAt: at(2, 1, 0), activatedAt: at(1, 3), lastActiveAt: at(1, 3) };
    const m = run(
      [
        ...activeAlice(),
        { type: "assign-user", at: at(1, 10), userId: "alice", tier: null },
        { type: "use", at: at(3, 5), userId: "alice", creditsCc: 1 },
        { type: "assign-user", at: at(3, 6), userId: "alice", tier: null },
        { type: "leave-group", at: at(3, 6), groupId: "eng", userId: "alice" },
      ],
      at(3, 7),
    );
    expect(m.uses.at(-1)).toEqual({ accepted: false, userId: "alice", at: at(3, 5), reason: "access-ended" });
    expect(m.subscriptions.get("alice")).toEqual(history);
    expect(m.changes.map((c) => c.outcome.kind)).toEqual(["subscribed", "canceled"]);
    applyEvent(m, { type: "assign-user", at: at(3, 10), userId: "alice", tier: "pro" });
    expect(m.subscriptions.get("alice")).toEqual({ tier: "pro", status: "pending", scheduledTier: null, scheduledAt: null, accessEndsAt: null, activatedAt: null, lastActiveAt: null });
  });

  it("edge case 15: the same downgrade requested again, and subscribing at the tier already held, record no change", () => {
    const m = run(
      [
        ...activeAlice("pro_plus"),
        { type: "assign-user", at: at(1, 5), userId: "alice", tier: "pro" },
        { type: "assign-user", at: at(1, 6), userId: "alice", tier: "pro" },
        { type: "assign-group", at: at(1, 7), groupId: "eng", tier: "pro" },
        { type: "join-group", at: at(1, 7), groupId: "eng", userId: "alice" },
      ],
      at(1, 8),
    );
    expect(m.changes.map((c) => c.outcome)).toEqual([
      { kind: "subscribed", tier: "pro_plus" },
      { kind: "downgrade-scheduled", from: "pro_plus", to: "pro", at: at(2, 1, 0) },
    ]);
    expect(m.subscriptions.get("alice")).toMatchObject({ tier: "pro_plus", scheduledTier: "pro", scheduledAt: at(2, 1, 0) });
  });
});
