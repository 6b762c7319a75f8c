import { TRPCError } from "@trpc/server";
import { and, asc, eq, isNotNull } from "drizzle-orm";
import {
  assertCap,
  centicreditsPerCredit,
  overageAllowed,
  parseCredits,
  resolveUserCapWithSource,
  type Cap,
  type CapSource,
  type CancelAccessMode,
  type FirstMonthMode,
  type OverageSwitch,
} from "@seatdesk/domain";
import { capOverrides, directoryGroups, directoryUsers, groupMembers, overageSwitches, profiles, type Executor } from "@seatdesk/db";

/** The largest cap the API takes: past it, "unlimited" says what is meant. Keeps cap arithmetic far from 2^53. */
export const maxCapCredits = 1_000_000;
/** The largest monthly budget the API takes ($1,000,000,000): budget × 100 (exact money) stays a safe integer. */
export const maxBudgetCents = 100_000_000_000;

/** A cap as the API shows it: credits (two decimals at most) or "unlimited". */
export type WireCap = number | "unlimited";

export type ProfileRow = typeof profiles.$inferSelect;

/** The profile's own settings (DESIGN.md §2, "Overages and caps"; `cancelAccess`; `firstMonth`), caps in credits. */
export interface ProfileSettings {
  overagesEnabled: boolean;
  cancelAccess: CancelAccessMode;
  firstMonth: FirstMonthMode;
  defaultCapCredits: number | null;
  budgetCents: number | null;
  /** Idle-seat automation (issue 15), in days; null: off. See services/idle.ts. */
  idleWarnDays: number | null;
  idleDeactivateDays: number | null;
  idleExpireDays: number | null;
}

export const creditsOf = (cc: number): number => cc / centicreditsPerCredit;
export const wireCap = (cap: Cap): WireCap => (cap === "unlimited" ? cap : creditsOf(cap));

/**
 * Credits from the API to centicredits, with the domain's rules: two decimals at most (parseCredits),
 * except that a cap may be 0 ("no overage at all for them"). The range is checked by the input schema.
 */
export function capCenticredits(value: number, field: string): number {
  const cc = value === 0 ? 0 : parseCredits(value, field);
  assertCap(cc, field);
  return cc;
}

export function wireCapToDomain(value: WireCap, field: string): Cap {
  return value === "unlimited" ? value : capCenticredits(value, field);
}

/** A cap_overrides row's cap: a null cap_cc is "unlimited" (the row itself is the override). */
export const rowCap = (capCc: number | null): Cap => (capCc === null ? "unlimited" : capCc);

export function settingsOf(p: ProfileRow): ProfileSettings {
  return {
    overagesEnabled: p.overagesEnabled,
    cancelAccess: p.cancelAccess,
    firstMonth: p.firstMonth,
    defaultCapCredits: p.defaultCapCc === null ? null : creditsOf(p.defaultCapCc),
    budgetCents: p.budgetCents,
    idleWarnDays: p.idleWarnDays,
    idleDeactivateDays: p.idleDeactivateDays,
    idleExpireDays: p.idleExpireDays,
  };
}

/**
 * Re-reads the profile inside a settings transaction and holds it until commit, so concurrent changes
 * to one profile's settings serialize and each audit entry's "before" is what the change replaced.
 * NO KEY UPDATE leaves inserts that reference the profile (usage, subscriptions) unblocked.
 */
export async function lockProfile(tx: Executor, accountId: string, profileId: string): Promise<ProfileRow> {
  const [row] = await tx
    .select()
    .from(profiles)
    .where(and(eq(profiles.accountId, accountId), eq(profiles.id, profileId)))
    .for("no key update");
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "profileId: no such profile in this account" });
  return row;
}

export interface UserOverrideRow {
  userId: string;
  displayName: string;
  email: string;
  /** null: no cap override for this user (the group or profile rules apply). */
  cap: WireCap | null;
  overage: OverageSwitch;
}

export interface GroupOverrideRow {
  groupId: string;
  displayName: string;
  cap: WireCap;
}

/** Every user and group override in the profile, with display names, ordered by name. */
export async function loadOverrides(db: Executor, accountId: string, profileId: string): Promise<{ userOverrides: UserOverrideRow[]; groupOverrides: GroupOverrideRow[] }> {
  const userCaps = await db
    .select({ userId: directoryUsers.id, displayName: directoryUsers.displayName, email: directoryUsers.email, capCc: capOverrides.capCc })
    .from(capOverrides)
    .innerJoin(directoryUsers, and(eq(directoryUsers.accountId, capOverrides.accountId), eq(directoryUsers.id, capOverrides.userId)))
    .where(and(eq(capOverrides.accountId, accountId), eq(capOverrides.profileId, profileId), isNotNull(capOverrides.userId)));
  const switches = await db
    .select({ userId: directoryUsers.id, displayName: directoryUsers.displayName, email: directoryUsers.email, value: overageSwitches.value })
    .from(overageSwitches)
    .innerJoin(directoryUsers, and(eq(directoryUsers.accountId, overageSwitches.accountId), eq(directoryUsers.id, overageSwitches.userId)))
    .where(and(eq(overageSwitches.accountId, accountId), eq(overageSwitches.profileId, profileId)));
  const byUser = new Map<string, UserOverrideRow>();
  for (const r of userCaps) byUser.set(r.userId, { userId: r.userId, displayName: r.displayName, email: r.email, cap: wireCap(rowCap(r.capCc)), overage: "inherit" });
  for (const r of switches) {
    const row = byUser.get(r.userId) ?? { userId: r.userId, displayName: r.displayName, email: r.email, cap: null, overage: "inherit" };
    row.overage = r.value;
    byUser.set(r.userId, row);
  }
  const groups = await db
    .select({ groupId: directoryGroups.id, displayName: directoryGroups.displayName, capCc: capOverrides.capCc })
    .from(capOverrides)
    .innerJoin(directoryGroups, and(eq(directoryGroups.accountId, capOverrides.accountId), eq(directoryGroups.id, capOverrides.groupId)))
    .where(and(eq(capOverrides.accountId, accountId), eq(capOverrides.profileId, profileId), isNotNull(capOverrides.groupId)))
    .orderBy(asc(directoryGroups.displayName), asc(directoryGroups.id));
  const byName = (a: { displayName: string; userId: string }, b: { displayName: string; userId: string }) =>
    a.displayName.localeCompare(b.displayName) || a.userId.localeCompare(b.userId);
  return {
    userOverrides: [...byUser.values()].sort(byName),
    groupOverrides: groups.map((g) => ({ groupId: g.groupId, displayName: g.displayName, cap: wireCap(rowCap(g.capCc)) })),
  };
}

/** One user's own override state in a profile: their cap override (null: none) and overage switch. */
export async function loadUserOverride(db: Executor, accountId: string, profileId: string, userId: string): Promise<{ cap: Cap | null; overage: OverageSwitch }> {
  const [cap] = await db
    .select({ capCc: capOverrides.capCc })
    .from(capOverrides)
    .where(and(eq(capOverrides.accountId, accountId), eq(capOverrides.profileId, profileId), eq(capOverrides.userId, userId)));
  const [sw] = await db
    .select({ value: overageSwitches.value })
    .from(overageSwitches)
    .where(and(eq(overageSwitches.accountId, accountId), eq(overageSwitches.profileId, profileId), eq(overageSwitches.userId, userId)));
  return { cap: cap ? rowCap(cap.capCc) : null, overage: sw?.value ?? "inherit" };
}

export async function loadGroupOverride(db: Executor, accountId: string, profileId: string, groupId: string): Promise<Cap | null> {
  const [row] = await db
    .select({ capCc: capOverrides.capCc })
    .from(capOverrides)
    .where(and(eq(capOverrides.accountId, accountId), eq(capOverrides.profileId, profileId), eq(capOverrides.groupId, groupId)));
  return row ? rowCap(row.capCc) : null;
}

/** The cap overrides of every group the user belongs to, in this profile (assigned there or not: edge case 5). */
export async function loadUserGroupCaps(db: Executor, accountId: string, profileId: string, userId: string): Promise<Cap[]> {
  const rows = await db
    .select({ capCc: capOverrides.capCc })
    .from(capOverrides)
    .innerJoin(groupMembers, and(eq(groupMembers.accountId, capOverrides.accountId), eq(groupMembers.groupId, capOverrides.groupId)))
    .where(and(eq(capOverrides.accountId, accountId), eq(capOverrides.profileId, profileId), eq(groupMembers.userId, userId)));
  return rows.map((r) => rowCap(r.capCc));
}


export interface EffectiveLimits {
  overageAllowed: boolean;
  overageSwitch: OverageSwitch;
  cap: WireCap;
  capSource: CapSource;
}

/**
 * What the rules resolve for one user (DESIGN.md §2 edge case 5), computed by the domain. resolveUserCap
 * returns the cap only; the source is read off its inputs in the same order it applies them.
 */
export function effectiveLimitsOf(
  profile: Pick<ProfileRow, "overagesEnabled" | "defaultCapCc">,
  user: { cap: Cap | null; overage: OverageSwitch },
  groupCaps: readonly Cap[],
): EffectiveLimits {
  const { cap, source: capSource } = resolveUserCapWithSource({ userOverride: user.cap, groupOverrides: groupCaps, profileDefault: profile.defaultCapCc });
  return { overageAllowed: overageAllowed(profile.overagesEnabled, user.overage), overageSwitch: user.overage, cap: wireCap(cap), capSource };
}
