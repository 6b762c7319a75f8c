import { computeCharge, type UserCharge } from "../billing/charges";
import type { FirstMonthMode } from "../billing/first-month";
import { buildInvoice, type Invoice } from "../billing/invoice";
import { noteActive, openLedger, type MonthLedger } from "../billing/ledger";
import type { Catalog } from "../catalog/catalog";
import type { TierId } from "../catalog/tier";
import {
  effectiveTier as effectiveTierOf,
  inForce,
  reconcile,
  removeByIdentityProvider,
  type CancelAccessMode,
  type ChangeOutcome,
  type Subscription,
} from "../subscription/subscription";
import { activate } from "../subscription/activate";
import { nextPeriod, periodOf, type Period } from "../time/period";
import { overageAllowed, resolveUserCap, type Cap, type OverageSwitch } from "../usage/limits";
import { recordUsage } from "../usage/record";
import type { EventSplit } from "../usage/split";

/** A profile's settings as the rules read them (DESIGN.md §2, "Overages and caps", "Charges"). */
export interface ProfileSettings {
  overagesEnabled: boolean;
  cancelAccess: CancelAccessMode;
  firstMonth: FirstMonthMode;
  defaultCap: Cap | null;
  budgetCents: number | null;
  userCaps: Readonly<Record<string, Cap>>;
  groupCaps: Readonly<Record<string, Cap>>;
  userSwitches: Readonly<Record<string, OverageSwitch>>;
}

export const defaultProfileSettings: ProfileSettings = {
  overagesEnabled: false,
  cancelAccess: "end-of-month",
  firstMonth: "full",
  defaultCap: null,
  budgetCents: null,
  userCaps: {},
  groupCaps: {},
  userSwitches: {},
};

/** Everything that can happen to a profile, in time order. `tier: null` removes an assignment. */
export type ProfileEvent =
  | { type: "assign-user"; at: Date; userId: string; tier: TierId | null }
  | { type: "assign-group"; at: Date; groupId: string; tier: TierId | null }
  | { type: "join-group"; at: Date; groupId: string; userId: string }
  | { type: "leave-group"; at: Date; groupId: string; userId: string }
  | { type: "use"; at: Date; userId: string; creditsCc: number }
  /** The user signs in to the tool (usage.activate): like a first usage, it activates a Pending subscription. */
  | { type: "activate"; at: Date; userId: string }
  | { type: "idp-deactivate"; at: Date; userId: string }
  | { type: "idp-reactivate"; at: Date; userId: string }
  | { type: "idp-delete"; at: Date; userId: string }
  | { type: "settings"; at: Date; settings: Partial<ProfileSettings> };

export type UseResult =
  | ({ accepted: true; userId: string; at: Date; allowanceCc: number; userCap: Cap; budgetCents: number | null } & EventSplit)
  | { accepted: false; userId: string; at: Date; reason: "not-subscribed" | "access-ended" | "unknown-user" };

export interface ProfileModel {
  readonly catalog: Catalog;
  settings: ProfileSettings;
  period: Period;
  subscriptions: Map<string, Subscription>;
  ledgers: Map<string, MonthLedger>;
  direct: Map<string, TierId>;
  groupTiers: Map<string, TierId>;
  members: Map<string, Set<string>>;
  inactive: Set<string>;
  deleted: Set<string>;
  profileOverageCc: number;
  invoices: Invoice[];
  uses: UseResult[];
  changes: { userId: string; at: Date; outcome: ChangeOutcome }[];
}

/**
 * A whole profile run through the rules in memory: assignments, group membership, identity-provider
 * changes, usage and settings, month after month. It composes the rules exactly as the server and the
 * scheduler must, so it is the reference their results are checked against (and the rules' property tests).
 */
export function createProfileModel(catalog: Catalog, start: Date, settings: ProfileSettings = defaultProfileSettings): ProfileModel {
  return {
    catalog,
    settings,
    period: periodOf(start),
    subscriptions: new Map(),
    ledgers: new Map(),
    direct: new Map(),
    groupTiers: new Map(),
    members: new Map(),
    inactive: new Set(),
    deleted: new Set(),
    profileOverageCc: 0,
    invoices: [],
    uses: [],
    changes: [],
  };
}

/** The charges of the open period so far (the running estimate). */
export function runningCharges(m: ProfileModel): (UserCharge & { userId: string })[] {
  return [...m.ledgers].map(([userId, ledger]) => ({ userId, ...computeCharge(m.catalog, ledger, m.period) }));
}

/** Closes every period that has ended by `at`, writing its invoice, and opens the next (DESIGN.md §2, "Transitions"). */
export function advanceTo(m: ProfileModel, at: Date): void {
  while (at.getTime() >= m.period.end.getTime()) {
    m.invoices.push(buildInvoice(m.period.id, runningCharges(m)));
    const next = nextPeriod(m.period);
    m.ledgers = new Map();
    for (const [userId, sub] of m.subscriptions) {
      const atStart = inForce(sub, next.start);
      // An ended subscription stays as history (its access end says why a later event is refused) and costs nothing.
      if (!atStart) continue;
      m.subscriptions.set(userId, atStart);
      m.ledgers.set(userId, openLedger(next, atStart));
    }
    m.period = next;
    m.profileOverageCc = 0;
  }
}

function groupsOf(m: ProfileModel, userId: string): string[] {
  return [...m.members].filter(([, users]) => users.has(userId)).map(([groupId]) => groupId);
}

function effectiveTier(m: ProfileModel, userId: string): TierId | null {
  const tiers: TierId[] = [];
  const d = m.direct.get(userId);
  if (d) tiers.push(d);
  for (const g of groupsOf(m, userId)) {
    const t = m.groupTiers.get(g);
    if (t) tiers.push(t);
  }
  return effectiveTierOf(m.catalog, tiers, m.inactive.has(userId) || m.deleted.has(userId));
}

function ledgerOf(m: ProfileModel, userId: string): MonthLedger {
  return m.ledgers.get(userId) ?? openLedger(m.period, null);
}

function store(m: ProfileModel, userId: string, sub: Subscription | null, at: Date, outcome: ChangeOutcome): void {
  if (sub) {
    m.subscriptions.set(userId, sub);
    const ledger = ledgerOf(m, userId);
    m.ledgers.set(userId, sub.status === "active" ? noteActive(m.catalog, ledger, sub.tier, at, m.settings.firstMonth) : ledger);
  } else {
    m.subscriptions.delete(userId);
    // A removed Pending subscription costs nothing; an ended one keeps its month's ledger.
    const ledger = m.ledgers.get(userId);
    if (ledger && !ledger.feeTier && ledger.includedCc + ledger.overageCc + ledger.unbilledCc === 0) m.ledgers.delete(userId);
  }
  if (outcome.kind !== "unchanged" && outcome.kind !== "none") m.changes.push({ userId, at, outcome });
}

function reconcileUser(m: ProfileModel, userId: string, at: Date): void {
  const r = reconcile(m.catalog, m.subscriptions.get(userId) ?? null, effectiveTier(m, userId), at, m.settings.cancelAccess);
  store(m, userId, r.subscription, at, r.outcome);
}

function removeByIdp(m: ProfileModel, userId: string, at: Date): void {
  const r = removeByIdentityProvider(m.catalog, m.subscriptions.get(userId) ?? null, at);
  store(m, userId, r.subscription, at, r.outcome);
}

function use(m: ProfileModel, userId: string, creditsCc: number, at: Date): UseResult {
  if (m.deleted.has(userId)) return { accepted: false, userId, at, reason: "unknown-user" };
  const stored = m.subscriptions.get(userId) ?? null;
  const s = m.settings;
  const userCap = resolveUserCap({
    userOverride: s.userCaps[userId] ?? null,
    groupOverrides: groupsOf(m, userId).flatMap((g) => (s.groupCaps[g] !== undefined ? [s.groupCaps[g]] : [])),
    profileDefault: s.defaultCap,
  });
  const result = recordUsage({
    catalog: m.catalog,
    firstMonth: s.firstMonth,
    stored,
    ledger: ledgerOf(m, userId),
    creditsCc,
    occurredAt: at,
    limits: {
      allowed: overageAllowed(s.overagesEnabled, s.userSwitches[userId] ?? "inherit"),
      userCap,
      budgetCents: s.budgetCents,
      profileOverageCc: m.profileOverageCc,
      overageCentsPerCredit: m.catalog.overageCentsPerCredit,
    },
  });
  if (!result.accepted) return { accepted: false, userId, at, reason: result.reason };
  m.subscriptions.set(userId, result.subscription);
  m.ledgers.set(userId, result.ledger);
  m.profileOverageCc += result.split.overageCc;
  return { accepted: true, userId, at, allowanceCc: result.allowanceCc, userCap, budgetCents: s.budgetCents, ...result.split };
}

/** Applies one event (events must come in time order). */
export function applyEvent(m: ProfileModel, e: ProfileEvent): void {
  if (e.at.getTime() < m.period.start.getTime()) throw new RangeError(`event at ${e.at.toISOString()} is before the open period ${m.period.id}`);
  advanceTo(m, e.at);
  switch (e.type) {
    case "assign-user":
      if (m.deleted.has(e.userId)) return;
      if (e.tier) m.direct.set(e.userId, e.tier);
      else m.direct.delete(e.userId);
      return reconcileUser(m, e.userId, e.at);
    case "assign-group": {
      if (e.tier) m.groupTiers.set(e.groupId, e.tier);
      else m.groupTiers.delete(e.groupId);
      for (const userId of m.members.get(e.groupId) ?? []) reconcileUser(m, userId, e.at);
      return;
    }
    case "join-group": {
      if (m.deleted.has(e.userId)) return;
      const set = m.members.get(e.groupId) ?? new Set();
      set.add(e.userId);
      m.members.set(e.groupId, set);
      return reconcileUser(m, e.userId, e.at);
    }
    case "leave-group":
      m.members.get(e.groupId)?.delete(e.userId);
      return reconcileUser(m, e.userId, e.at);
    case "use":
      m.uses.push(use(m, e.userId, e.creditsCc, e.at));
      return;
    case "activate": {
      // Refused (nothing changes) for a deleted person or without a subscription in force, as usage is.
      const stored = m.subscriptions.get(e.userId) ?? null;
      if (m.deleted.has(e.userId) || !stored || !inForce(stored, e.at)) return;
      const r = activate(m.catalog, stored, ledgerOf(m, e.userId), e.at, m.settings.firstMonth);
      m.subscriptions.set(e.userId, r.subscription);
      m.ledgers.set(e.userId, r.ledger);
      return;
    }
    case "idp-deactivate":
      m.inactive.add(e.userId);
      return removeByIdp(m, e.userId, e.at);
    case "idp-reactivate":
      m.inactive.delete(e.userId);
      return reconcileUser(m, e.userId, e.at);
    case "idp-delete":
      m.deleted.add(e.userId);
      m.direct.delete(e.userId);
      for (const users of m.members.values()) users.delete(e.userId);
      return removeByIdp(m, e.userId, e.at);
    case "settings":
      m.settings = { ...m.settings, ...e.settings };
      return;
  }
}

/** Runs events through a fresh model and closes every period that has ended by `until`. */
export function replay(catalog: Catalog, start: Date, events: readonly ProfileEvent[], until: Date, settings?: ProfileSettings): ProfileModel {
  const m = createProfileModel(catalog, start, settings);
  for (const e of events) applyEvent(m, e);
  advanceTo(m, until);
  return m;
}
