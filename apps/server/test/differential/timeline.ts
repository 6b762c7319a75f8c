import fc from "fast-check";
import { nextPeriod, periodOf, tierIds, type Cap, type OverageSwitch, type TierId } from "@seatdesk/domain";

/**
 * A random timeline of one account (DESIGN.md §2, the whole rules text at once): a few directory users,
 * two groups, one or two profiles, two to four months of console changes, membership and identity-provider
 * changes, sign-ins, usage with idempotency keys, settings and checks. Plain data, so fast-check can shrink
 * it and the reproduction can be printed step by step. Users are `u0`…, groups `g0`/`g1`, profiles `p0`/`p1`.
 */
export interface Timeline {
  /** When the account's profiles are created (the clock is set back here for each timeline). */
  start: Date;
  profiles: 1 | 2;
  users: number;
  /** Members of g0 and g1 before the first step (user indices). */
  members: [number[], number[]];
  steps: Step[];
}

export interface Step {
  /** How far the clock moves before the action. */
  gap: Gap;
  action: Action;
}

export type Gap =
  | { kind: "same" }
  | { kind: "ms"; ms: number }
  /** To the start of the next month, plus `offsetMs` (negative: just before it; 10 minutes: inside the grace window). */
  | { kind: "next-month"; offsetMs: number };

export type Who = "id" | "name";

export type Action =
  | { t: "assign"; op: "subscribe" | "changePlan" | "unsubscribe"; p: number; users: number[]; groups: number[]; tier: TierId }
  | { t: "member"; op: "join" | "leave"; via: "console" | "scim"; g: number; users: number[] }
  | { t: "idp"; what: "deactivate" | "reactivate" | "delete"; u: number }
  | { t: "activate"; p: number; u: number; by: Who }
  | { t: "use"; p: number; u: number; cc: number; client: "ide" | "cli"; by: Who; reuseRejectedKey: boolean; retryNow: boolean }
  | { t: "retry"; p: number; pick: number; conflict: boolean }
  | { t: "batch"; p: number; events: ({ u: number; cc: number; client: "ide" | "cli" } | "dup")[] }
  | { t: "settings"; p: number; patch: SettingsPatch }
  | { t: "userOverride"; p: number; u: number; cap?: Cap | null; overage?: OverageSwitch }
  | { t: "groupOverride"; p: number; g: number; cap: Cap | null }
  | { t: "check"; p: number; u: number; by: Who };

export interface SettingsPatch {
  overagesEnabled?: boolean;
  cancelAccess?: "end-of-month" | "immediate";
  firstMonth?: "full" | "prorated";
  /** Centicredits; null: no default cap. */
  defaultCap?: number | null;
  budgetCents?: number | null;
}

/** The last month a timeline may reach: its fourth. */
export const maxMonths = 4;

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

const user = fc.integer({ min: 0, max: 4 });
const group = fc.integer({ min: 0, max: 1 });
const profile = fc.integer({ min: 0, max: 1 });
const tier = fc.constantFrom<TierId>(...tierIds);
const who = fc.constantFrom<Who>("id", "id", "name");
const client = fc.constantFrom<"ide" | "cli">("ide", "cli");
/** Centicredits of one event: mostly small, sometimes a good part of an allowance (Pro has 100,000), sometimes past it. */
const credits = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 5_000 }) },
  { weight: 3, arbitrary: fc.integer({ min: 10_000, max: 150_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 150_000, max: 1_100_000 }) },
);
const capCc = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 60_000, max: 400_000 }));
const cap: fc.Arbitrary<Cap> = fc.oneof({ weight: 1, arbitrary: fc.constant<Cap>("unlimited") }, { weight: 3, arbitrary: capCc });
const someUsers = fc.uniqueArray(user, { minLength: 1, maxLength: 3 });

const gap: fc.Arbitrary<Gap> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Gap>({ kind: "same" }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 6 * hour }).map((ms): Gap => ({ kind: "ms", ms })) },
  { weight: 4, arbitrary: fc.integer({ min: day, max: 12 * day }).map((ms): Gap => ({ kind: "ms", ms })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(-1, 0, 1, 5 * minute, 14 * minute, 16 * minute, 5 * hour, 3 * day)
      .map((offsetMs): Gap => ({ kind: "next-month", offsetMs })),
  },
);

const assign: fc.Arbitrary<Action> = fc.oneof(
  // One user, the usual console action.
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant("assign" as const),
      op: fc.constantFrom("subscribe" as const, "subscribe" as const, "changePlan" as const, "unsubscribe" as const, "unsubscribe" as const),
      p: profile,
      users: user.map((u) => [u]),
      groups: fc.constant<number[]>([]),
      tier,
    }),
  },
  // One group.
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("assign" as const),
      op: fc.constantFrom("subscribe" as const, "changePlan" as const, "unsubscribe" as const),
      p: profile,
      users: fc.constant<number[]>([]),
      groups: group.map((g) => [g]),
      tier,
    }),
  },
  // Users and groups at once (DESIGN.md §4: "each taking users or groups, many at once").
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant("assign" as const),
      op: fc.constantFrom("subscribe" as const, "changePlan" as const, "unsubscribe" as const),
      p: profile,
      users: fc.uniqueArray(user, { minLength: 0, maxLength: 3 }),
      groups: fc.uniqueArray(group, { minLength: 1, maxLength: 2 }),
      tier,
    }),
  },
);

const subscribe: fc.Arbitrary<Action> = fc.record({
  t: fc.constant("assign" as const),
  op: fc.constant("subscribe" as const),
  p: profile,
  users: fc.uniqueArray(user, { minLength: 0, maxLength: 3 }),
  groups: fc.uniqueArray(group, { maxLength: 1 }),
  tier,
}).filter((a) => a.users.length + a.groups.length > 0);

const settingsPatch: fc.Arbitrary<SettingsPatch> = fc
  .record(
    {
      overagesEnabled: fc.boolean(),
      cancelAccess: fc.constantFrom("end-of-month" as const, "immediate" as const),
      firstMonth: fc.constantFrom("full" as const, "prorated" as const),
      defaultCap: fc.option(capCc, { nil: null }),
      budgetCents: fc.option(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6_000 })), { nil: null }),
    },
    { requiredKeys: [] },
  )
  .filter((p) => Object.keys(p).length > 0);

/** The profile's first settings: mostly overage on, so that caps and the budget come into play. */
const openingSettings: fc.Arbitrary<SettingsPatch> = fc.record(
  {
    overagesEnabled: fc.constantFrom(true, true, true, false),
    cancelAccess: fc.constantFrom("end-of-month" as const, "immediate" as const),
    firstMonth: fc.constantFrom("full" as const, "prorated" as const),
    defaultCap: fc.option(capCc, { nil: null }),
    budgetCents: fc.option(fc.integer({ min: 0, max: 8_000 }), { nil: null }),
  },
  { requiredKeys: ["overagesEnabled"] },
);

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 9, arbitrary: assign },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("member" as const),
      op: fc.constantFrom("join" as const, "join" as const, "leave" as const),
      via: fc.constantFrom("console" as const, "scim" as const),
      g: group,
      users: someUsers,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("idp" as const),
      what: fc.constantFrom("deactivate" as const, "deactivate" as const, "reactivate" as const, "reactivate" as const, "delete" as const),
      u: user,
    }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("activate" as const), p: profile, u: user, by: who }) },
  {
    weight: 8,
    arbitrary: fc.record({
      t: fc.constant("use" as const),
      p: profile,
      u: user,
      cc: credits,
      client,
      by: who,
      reuseRejectedKey: fc.boolean(),
      retryNow: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("retry" as const), p: profile, pick: fc.nat(50), conflict: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("batch" as const),
      p: profile,
      events: fc.array(fc.oneof({ weight: 4, arbitrary: fc.record({ u: user, cc: credits, client }) }, { weight: 1, arbitrary: fc.constant("dup" as const) }), {
        minLength: 1,
        maxLength: 3,
      }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("settings" as const), p: profile, patch: settingsPatch }) },
  {
    weight: 1,
    arbitrary: fc
      .record(
        { t: fc.constant("userOverride" as const), p: profile, u: user, cap: fc.option(cap, { nil: null }), overage: fc.constantFrom<OverageSwitch>("inherit", "on", "off") },
        { requiredKeys: ["t", "p", "u"] },
      )
      .filter((a) => a.cap !== undefined || a.overage !== undefined),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("groupOverride" as const), p: profile, g: group, cap: fc.option(cap, { nil: null }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("check" as const), p: profile, u: user, by: who }) },
);

/** Within a few days: usually the same month, so that what was lost can come back in it (edge cases 3 and 10). */
const soon = fc.integer({ min: 1, max: 4 * day }).map((ms): Gap => ({ kind: "ms", ms }));

/**
 * A step, or two that belong together: access lost and given back soon after (the identity provider's
 * deactivation and reactivation; a cancel and a new subscribe; leaving the group that covered them and
 * joining it again). Flattened into two steps.
 */
const rawStep: fc.Arbitrary<Step | (Step & { then: Step })> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ gap, action }) },
  {
    weight: 1,
    arbitrary: fc.record({ gap, u: user, back: soon }).map(({ gap, u, back }) => ({
      gap,
      action: { t: "idp" as const, what: "deactivate" as const, u },
      then: { gap: back, action: { t: "idp" as const, what: "reactivate" as const, u } },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ gap, p: profile, u: user, tier, back: soon }).map(({ gap, p, u, tier, back }) => ({
      gap,
      action: { t: "assign" as const, op: "unsubscribe" as const, p, users: [u], groups: [], tier },
      then: { gap: back, action: { t: "assign" as const, op: "subscribe" as const, p, users: [u], groups: [], tier } },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ gap, g: group, u: user, via: fc.constantFrom("console" as const, "scim" as const), back: soon }).map(({ gap, g, u, via, back }) => ({
      gap,
      action: { t: "member" as const, op: "leave" as const, via, g, users: [u] },
      then: { gap: back, action: { t: "member" as const, op: "join" as const, via, g, users: [u] } },
    })),
  },
);

/** A month of 2026–2028 (2028 has a 29-day February, for the prorated first month), and an instant in it. */
const start = fc
  .record({ month: fc.integer({ min: 0, max: 35 }), offset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 27 * day })) })
  .map(({ month, offset }) => new Date(Date.UTC(2026, month, 1) + offset));

export const timelineArbitrary: fc.Arbitrary<Timeline> = fc
  .record({
    start,
    profiles: fc.constantFrom<1 | 2>(1, 1, 2),
    // Few people, so that the steps keep coming back to the same ones (cancel, restore, end, subscribe again).
    users: fc.constantFrom(3, 3, 4, 5),
    members: fc.tuple(fc.uniqueArray(user, { maxLength: 3 }), fc.uniqueArray(user, { maxLength: 3 })),
    // The administrator usually starts by setting the profile up and subscribing people, who then sign in.
    opening: fc.tuple(
      fc.option(fc.record({ t: fc.constant("settings" as const), p: profile, patch: openingSettings }), { nil: null, freq: 2 }),
      fc.array(subscribe, { minLength: 1, maxLength: 3 }),
      fc.array(fc.record({ t: fc.constant("activate" as const), p: profile, u: user, by: fc.constant<Who>("id") }), { maxLength: 2 }),
    ),
    // `medium`: lengths spread up to the maximum; a minimum of one lets a failing case shrink to the steps it needs.
    steps: fc.array(rawStep, { minLength: 1, maxLength: 18, size: "medium" }),
  })
  .map(({ opening: [settings, subscribes, activations], steps, ...tl }) =>
    normalize({
      ...tl,
      steps: [
        ...[...(settings ? [settings] : []), ...subscribes, ...activations].map((action): Step => ({ gap: { kind: "same" }, action })),
        ...steps.flatMap((s): Step[] => ("then" in s ? [{ gap: s.gap, action: s.action }, { gap: s.then.gap, action: s.then.action }] : [s])),
      ],
    }),
  );

/**
 * Indices folded into range (fewer users or one profile), so that shrinking the counts keeps every step
 * meaningful: user 4 of a three-user timeline is u1, profile 1 of a one-profile timeline is p0.
 */
function normalize(tl: Timeline): Timeline {
  const u = (i: number) => i % tl.users;
  const p = (i: number) => i % tl.profiles;
  const uniq = (list: number[]) => [...new Set(list.map(u))];
  const members: [number[], number[]] = [uniq(tl.members[0]), uniq(tl.members[1])];
  const steps = tl.steps.map((s): Step => {
    const a = s.action;
    switch (a.t) {
      case "assign":
        return { ...s, action: { ...a, p: p(a.p), users: uniq(a.users) } };
      case "member":
        return { ...s, action: { ...a, users: uniq(a.users) } };
      case "idp":
        return { ...s, action: { ...a, u: u(a.u) } };
      case "activate":
      case "check":
      case "userOverride":
        return { ...s, action: { ...a, p: p(a.p), u: u(a.u) } };
      case "use":
        return { ...s, action: { ...a, p: p(a.p), u: u(a.u) } };
      case "batch":
        return { ...s, action: { ...a, p: p(a.p), events: a.events.map((e) => (e === "dup" ? e : { ...e, u: u(e.u) })) } };
      case "retry":
      case "settings":
      case "groupOverride":
        return { ...s, action: { ...a, p: p(a.p) } };
    }
  });
  return { ...tl, members, steps };
}

/** The instant of each step: gaps applied in order, never past the timeline's fourth month (a gap that would go further is dropped). */
export function stepTimes(tl: Timeline): Date[] {
  const last = monthsAfter(periodOf(tl.start).start, maxMonths);
  let now = tl.start;
  return tl.steps.map((s) => {
    const next = applyGap(now, s.gap);
    if (next.getTime() < last.getTime()) now = next;
    return now;
  });
}

function applyGap(now: Date, g: Gap): Date {
  switch (g.kind) {
    case "same":
      return now;
    case "ms":
      return new Date(now.getTime() + g.ms);
    case "next-month": {
      const at = nextPeriod(periodOf(now)).start.getTime() + g.offsetMs;
      return new Date(Math.max(now.getTime(), at));
    }
  }
}

function monthsAfter(start: Date, n: number): Date {
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + n, 1));
}

// ---- The reproduction, as a person reads it ----

const capText = (c: Cap | null | undefined) => (c === undefined ? "" : c === null ? "none" : c === "unlimited" ? "unlimited" : `${c / 100} credits`);
const list = (prefix: string, ids: number[]) => ids.map((i) => `${prefix}${i}`).join(",");

export function describeAction(a: Action): string {
  switch (a.t) {
    case "assign": {
      const targets = [a.users.length ? `users ${list("u", a.users)}` : "", a.groups.length ? `groups ${list("g", a.groups)}` : ""].filter(Boolean).join(" + ");
      return `p${a.p} subscriptions.${a.op} ${targets}${a.op === "unsubscribe" ? "" : ` → ${a.tier}`}`;
    }
    case "member":
      return `${a.op === "join" ? "add" : "remove"} ${list("u", a.users)} ${a.op === "join" ? "to" : "from"} g${a.g} (${a.via === "scim" ? "SCIM PATCH /Groups" : `directory.${a.op === "join" ? "addMembers" : "removeMembers"}`})`;
    case "idp":
      return `identity provider ${a.what}s u${a.u} (SCIM ${a.what === "delete" ? "DELETE" : `PATCH active=${a.what === "reactivate"}`})`;
    case "activate":
      return `p${a.p} usage.activate u${a.u}${a.by === "name" ? " (by userName)" : ""}`;
    case "use":
      return `p${a.p} usage.record u${a.u} ${a.cc / 100} credits (${a.client})${a.by === "name" ? " by userName" : ""}${a.reuseRejectedKey ? ", reusing the last refused key" : ""}${a.retryNow ? ", then the same request again" : ""}`;
    case "retry":
      return `p${a.p} retry accepted event #${a.pick} (modulo the accepted ones)${a.conflict ? " with other credits (conflict)" : ""}`;
    case "batch":
      return `p${a.p} usage.recordBatch [${a.events.map((e) => (e === "dup" ? "the previous event again" : `u${e.u} ${e.cc / 100} credits (${e.client})`)).join("; ")}]`;
    case "settings":
      return `p${a.p} settings.update ${Object.entries(a.patch)
        .map(([k, v]) => (k === "defaultCap" ? `defaultCapCredits=${v === null ? "null" : (v as number) / 100}` : `${k}=${String(v)}`))
        .join(" ")}`;
    case "userOverride":
      return `p${a.p} settings.setUserOverride u${a.u}${a.cap !== undefined ? ` cap=${capText(a.cap)}` : ""}${a.overage !== undefined ? ` overage=${a.overage}` : ""}`;
    case "groupOverride":
      return `p${a.p} settings.setGroupOverride g${a.g} cap=${capText(a.cap)}`;
    case "check":
      return `p${a.p} usage.check u${a.u}${a.by === "name" ? " (by userName)" : ""}`;
  }
}

/** The timeline as numbered steps with their instants: the reproduction printed for a failing case. */
export function formatTimeline(tl: Timeline, failedAt?: number): string {
  const times = stepTimes(tl);
  // Steps after the failing one never ran: they are left out.
  const shown = failedAt === undefined ? tl.steps : tl.steps.slice(0, failedAt + 1);
  const lines = [
    `start ${tl.start.toISOString()}: ${tl.profiles} profile(s), users u0…u${tl.users - 1}, g0 = {${list("u", tl.members[0])}}, g1 = {${list("u", tl.members[1])}}`,
    ...shown.map((s, i) => `${String(i + 1).padStart(2)}. ${times[i]!.toISOString()}  ${describeAction(s.action)}${failedAt === i ? "   ◀ fails here" : ""}`),
    ...(shown.length < tl.steps.length ? [`(${tl.steps.length - shown.length} later steps not run)`] : [`end: clock.advance { nextMonth: true }, then the invoices${failedAt === tl.steps.length ? "   ◀ fails here" : ""}`]),
  ];
  return lines.join("\n");
}
