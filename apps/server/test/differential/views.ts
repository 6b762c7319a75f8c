import {
  allowanceOf,
  budgetStatus,
  buildInvoice,
  decideEntitlement,
  inForce,
  openLedger,
  overageAllowed,
  resolveUserCap,
  subscriptionStatuses,
  tierIds,
  usedOf,
  type MonthLedger,
  type Subscription,
  type SubscriptionStatus,
  type TierId,
} from "@seatdesk/domain";
import { runningCharges, type ProfileModel } from "@seatdesk/domain/testing";

/**
 * What the API must show, read off the domain's profile model: the Users tab's rows and filters, the
 * dashboard's counts, the running estimate, the entitlement check. Each view only reads the model's state
 * (the rules ran in the model); nothing here decides a rule again.
 */

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** The user's groups in this profile's model (memberships are the account's; every model holds them). */
export function groupsOf(m: ProfileModel, userId: string): string[] {
  return [...m.members].filter(([, users]) => users.has(userId)).map(([g]) => g);
}

/** The subscription in force at `now`, null when none or ended. */
export function currentOf(m: ProfileModel, userId: string, now: Date): Subscription | null {
  const stored = m.subscriptions.get(userId);
  return stored ? inForce(stored, now) : null;
}

/** The month's ledger of the open period, as the model keeps it (opened from the state at the period's start when it has none). */
export function ledgerOfModel(m: ProfileModel, userId: string): MonthLedger {
  const stored = m.subscriptions.get(userId) ?? null;
  return m.ledgers.get(userId) ?? openLedger(m.period, stored ? inForce(stored, m.period.start) : null);
}

export interface RowView {
  userId: string;
  directoryActive: boolean;
  tier: TierId | null;
  status: SubscriptionStatus | null;
  scheduledTier: TierId | null;
  scheduledAt: string | null;
  accessEndsAt: string | null;
  lastActiveAt: string | null;
  source: { direct: TierId | null; groups: { groupId: string; tier: TierId }[] };
  usage: { allowanceCc: number; usedCc: number; includedCc: number; overageCc: number; unbilledCc: number } | null;
}

/** A Users-tab row as the model says it: the subscription in force now, where its tier comes from, this month's credits. */
export function expectedRow(m: ProfileModel, userId: string, now: Date, directoryActive: boolean): RowView {
  const current = currentOf(m, userId, now);
  const ledger = ledgerOfModel(m, userId);
  return {
    userId,
    directoryActive,
    tier: current?.tier ?? null,
    status: current?.status ?? null,
    scheduledTier: current?.scheduledTier ?? null,
    scheduledAt: iso(current?.scheduledAt),
    accessEndsAt: iso(current?.accessEndsAt),
    lastActiveAt: iso(current?.lastActiveAt),
    source: {
      direct: m.direct.get(userId) ?? null,
      groups: groupsOf(m, userId)
        .flatMap((g) => (m.groupTiers.has(g) ? [{ groupId: g, tier: m.groupTiers.get(g)! }] : []))
        .sort((a, b) => (a.groupId < b.groupId ? -1 : 1)),
    },
    usage: current
      ? {
          allowanceCc: allowanceOf(m.catalog, ledger, current.tier),
          usedCc: usedOf(ledger),
          includedCc: ledger.includedCc,
          overageCc: ledger.overageCc,
          unbilledCc: ledger.unbilledCc,
        }
      : null,
  };
}

/** A Users-tab row as the server answered it, in the same shape. */
export function actualRow(row: {
  userId: string;
  directoryActive: boolean;
  tier: TierId | null;
  status: SubscriptionStatus | null;
  scheduledTier: TierId | null;
  scheduledAt: string | null;
  accessEndsAt: string | null;
  lastActiveAt: string | null;
  source: { direct: TierId | null; groups: { groupId: string; tier: TierId }[] };
  usage: RowView["usage"];
}): RowView {
  return {
    userId: row.userId,
    directoryActive: row.directoryActive,
    tier: row.tier,
    status: row.status,
    scheduledTier: row.scheduledTier,
    scheduledAt: row.scheduledAt,
    accessEndsAt: row.accessEndsAt,
    lastActiveAt: row.lastActiveAt,
    source: { direct: row.source.direct, groups: row.source.groups.map((g) => ({ groupId: g.groupId, tier: g.tier })).sort((a, b) => (a.groupId < b.groupId ? -1 : 1)) },
    usage: row.usage
      ? { allowanceCc: row.usage.allowanceCc, usedCc: row.usage.usedCc, includedCc: row.usage.includedCc, overageCc: row.usage.overageCc, unbilledCc: row.usage.unbilledCc }
      : null,
  };
}

/** The Users tab's filters (subscriptions.list inputs) a step's comparison rotates through. */
export const listFilters = [
  { status: "active" },
  { status: "pending" },
  { status: "canceled" },
  { status: "ended" },
  { status: "subscribed" },
  { status: "unsubscribed" },
  { tier: "pro" },
  { tier: "pro_plus" },
  { tier: "power" },
  { scheduled: true },
  { overage: true },
] as const;
export type ListFilter = (typeof listFilters)[number];

/** Whether the model puts a user in a filter's results (DESIGN.md §2 statuses; edge case 13's ended history). */
export function inFilter(m: ProfileModel, userId: string, now: Date, f: ListFilter): boolean {
  const stored = m.subscriptions.get(userId) ?? null;
  const current = stored ? inForce(stored, now) : null;
  if ("tier" in f) return current?.tier === f.tier;
  if ("scheduled" in f) return current?.scheduledTier != null;
  if ("overage" in f) return (m.ledgers.get(userId)?.overageCc ?? 0) > 0;
  switch (f.status) {
    case "active":
    case "pending":
    case "canceled":
      return current?.status === f.status;
    case "ended":
      return stored?.status === "canceled" && current === null;
    case "subscribed":
      return current !== null;
    case "unsubscribed":
      return current === null;
  }
}

/** Events accepted per client in the open period, kept by the runner (the model does not record clients). */
export type ClientTally = Map<string, { events: number; usedCc: number; includedCc: number; overageCc: number; unbilledCc: number }>;

/** The dashboard's counts (subscriptions by tier and status, active users, credits, overage against the budget). */
export function expectedDashboard(m: ProfileModel, now: Date, clients: ClientTally) {
  const zero = () => Object.fromEntries(subscriptionStatuses.map((s) => [s, 0])) as Record<SubscriptionStatus, number>;
  const byTier = new Map(tierIds.map((t) => [t, { tier: t, total: 0, byStatus: zero() }]));
  const byStatus = zero();
  let total = 0;
  const activeUsers = { lastDay: 0, last7Days: 0, last30Days: 0 };
  const dayMs = 86_400_000;
  for (const stored of m.subscriptions.values()) {
    const last = stored.lastActiveAt?.getTime();
    if (last !== undefined && last <= now.getTime()) {
      if (last > now.getTime() - dayMs) activeUsers.lastDay++;
      if (last > now.getTime() - 7 * dayMs) activeUsers.last7Days++;
      if (last > now.getTime() - 30 * dayMs) activeUsers.last30Days++;
    }
    const current = inForce(stored, now);
    if (!current) continue;
    const t = byTier.get(current.tier)!;
    t.total++;
    t.byStatus[current.status]++;
    byStatus[current.status]++;
    total++;
  }
  const credits = new Map(tierIds.map((t) => [t, { tier: t, users: 0, usedCc: 0, includedCc: 0, overageCc: 0, unbilledCc: 0 }]));
  let usedCc = 0;
  let overageCc = 0;
  for (const [userId, ledger] of m.ledgers) {
    const used = usedOf(ledger);
    usedCc += used;
    overageCc += ledger.overageCc;
    const stored = m.subscriptions.get(userId);
    // The tier whose allowance the credits count against: the ledger's fee tier, else the tier in force now.
    const scheduledDue = stored?.scheduledTier && stored.scheduledAt && stored.scheduledAt.getTime() <= now.getTime();
    const tier = ledger.feeTier ?? (stored ? (scheduledDue ? stored.scheduledTier! : stored.tier) : null);
    const c = tier ? credits.get(tier) : undefined;
    if (!c) continue;
    if (used > 0) c.users++;
    c.usedCc += used;
    c.includedCc += ledger.includedCc;
    c.overageCc += ledger.overageCc;
    c.unbilledCc += ledger.unbilledCc;
  }
  return {
    periodId: m.period.id,
    subscriptions: { total, byStatus, byTier: [...byTier.values()] },
    activeUsers,
    credits: {
      usedCc,
      byTier: [...credits.values()],
      byClient: [...clients]
        .map(([client, c]) => ({ client, ...c }))
        .sort((a, b) => b.usedCc - a.usedCc || (a.client < b.client ? -1 : 1)),
    },
    overage: budgetStatus(m.catalog, { overageCc, budgetCents: m.settings.budgetCents, budgetUsedCc: m.profileOverageCc }),
  };
}

/** An invoice or estimate line in one shape (the server's carry names as well). */
export interface LineView {
  userId: string;
  feeTier: TierId | null;
  feeCents: number;
  proration: { days: number; daysInMonth: number } | null;
  allowanceCc: number;
  includedCc: number;
  overageCc: number;
  overageCents: number;
  unbilledCc: number;
  totalCents: number;
}

export const lineView = (l: LineView): LineView => ({
  userId: l.userId,
  feeTier: l.feeTier,
  feeCents: l.feeCents,
  proration: l.proration ? { days: l.proration.days, daysInMonth: l.proration.daysInMonth } : null,
  allowanceCc: l.allowanceCc,
  includedCc: l.includedCc,
  overageCc: l.overageCc,
  overageCents: l.overageCents,
  unbilledCc: l.unbilledCc,
  totalCents: l.totalCents,
});

const byUser = (a: LineView, b: LineView) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);

/** The running estimate of the open period: the model's running charges as an invoice. */
export function expectedEstimate(m: ProfileModel) {
  const invoice = buildInvoice(m.period.id, runningCharges(m));
  return { periodId: invoice.periodId, feesCents: invoice.feesCents, overageCents: invoice.overageCents, totalCents: invoice.totalCents, lines: invoice.lines.map(lineView).sort(byUser) };
}

export function sortLines(lines: LineView[]): LineView[] {
  return lines.map(lineView).sort(byUser);
}

/** The entitlement check as the model's state decides it (decideEntitlement over the model's subscription, ledger and limits). */
export function expectedCheck(m: ProfileModel, userId: string, now: Date) {
  const s = m.settings;
  const decision = decideEntitlement({
    catalog: m.catalog,
    subscription: m.subscriptions.get(userId) ?? null,
    ledger: ledgerOfModel(m, userId),
    limits: {
      allowed: overageAllowed(s.overagesEnabled, s.userSwitches[userId] ?? "inherit"),
      userCap: resolveUserCap({
        userOverride: s.userCaps[userId] ?? null,
        groupOverrides: groupsOf(m, userId).flatMap((g) => (s.groupCaps[g] !== undefined ? [s.groupCaps[g]] : [])),
        profileDefault: s.defaultCap,
      }),
      budgetCents: s.budgetCents,
      profileOverageCc: m.profileOverageCc,
      overageCentsPerCredit: m.catalog.overageCentsPerCredit,
    },
    now,
  });
  return { userId, ...decision, periodEnd: decision.periodEnd.toISOString() };
}
