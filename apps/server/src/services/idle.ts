import { and, eq, inArray, lte, max, or, sql } from "drizzle-orm";
import { z } from "zod";
import {
  idleDayMs,
  decideIdle,
  idleActionFloorDays,
  idleDays,
  inForce,
  idleDaysMax,
  idleDaysMin,
  idleSince,
  seatMonthlyCostCents,
  validateIdleSettings,
  type Catalog,
  type IdleSeatState,
  type IdleSettings,
} from "@seatdesk/domain";
import { directoryUsers, notices, subscriptionOf, subscriptions, type Executor } from "@seatdesk/db";
import { loadCovers } from "./reconcile";
import type { ProfileRow, ProfileSettings } from "./settings";

/** The notice an idle seat's warning is written as (user-scoped; notices_once_uq allows one per user a month). */
export const idleWarningKind = "idle-warning";

export const idleSettingKeys = ["idleWarnDays", "idleDeactivateDays", "idleExpireDays"] as const;
type IdleSettingKey = (typeof idleSettingKeys)[number];

const idleDaysInput = z
  .number()
  .int("a whole number of days")
  .min(idleDaysMin, `at least ${idleDaysMin} day; null turns it off`)
  .max(idleDaysMax, `at most ${idleDaysMax} days`)
  .nullable();

/** The three settings as the API takes them (settings.update, settings.previewIdle): days, or null for off. */
export const idleSettingsInput = z.object({
  /** Warn (a notice) after this many days idle. */
  idleWarnDays: idleDaysInput,
  /** Deactivate the plan this many days after the warning if still idle; needs idleWarnDays. */
  idleDeactivateDays: idleDaysInput,
  /** Pending seats that never activate expire after this many days. */
  idleExpireDays: idleDaysInput,
});

const apiFields = { warnDays: "idleWarnDays", deactivateDays: "idleDeactivateDays", expireDays: "idleExpireDays" } as const;

export function idleSettingsOf(p: Pick<ProfileRow, IdleSettingKey>): IdleSettings {
  return { warnDays: p.idleWarnDays, deactivateDays: p.idleDeactivateDays, expireDays: p.idleExpireDays };
}

/** The setting described for an audit actor or a sentence: "warn after 30 days idle, deactivate 14 days later". */
export function describeIdleSettings(s: IdleSettings): string {
  const parts: string[] = [];
  if (s.warnDays !== null) parts.push(`warn after ${s.warnDays} days idle`);
  if (s.deactivateDays !== null) parts.push(`deactivate ${s.deactivateDays} days after the warning`);
  if (s.expireDays !== null) parts.push(`Pending seats expire after ${s.expireDays} days`);
  return parts.length ? parts.join(", ") : "off";
}

/**
 * The idle settings an update leaves: the given values over the saved ones, checked together by the domain
 * (a deactivation needs a warning, whichever call set which), so the columns are written only valid.
 */
export function mergeIdleSettings(before: ProfileSettings, input: Partial<Record<IdleSettingKey, number | null>>): Record<IdleSettingKey, number | null> {
  const merged = {
    idleWarnDays: input.idleWarnDays === undefined ? before.idleWarnDays : input.idleWarnDays,
    idleDeactivateDays: input.idleDeactivateDays === undefined ? before.idleDeactivateDays : input.idleDeactivateDays,
    idleExpireDays: input.idleExpireDays === undefined ? before.idleExpireDays : input.idleExpireDays,
  };
  validateIdleSettings(idleSettingsOf(merged), apiFields);
  return merged;
}

/** One seat the idle rules may act on, with who it is. */
export interface IdleSeatRow extends IdleSeatState {
  userId: string;
  displayName: string;
  email: string;
}

const chunk = <T>(xs: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/**
 * The seats of a profile that may have been idle `floorDays` or more at `now`, as the domain sees them, with
 * each one's latest warning and covering assignments. The statement narrows by plain columns to a superset
 * (Active or Pending, and the instants the domain's idleSince chooses from at or before the cutoff); the
 * domain decides each seat (idleSince, decideIdle), so no rule is decided here. A Pending seat's
 * `pendingSince` is its row's last change: only its creation, being subscribed again or a Pending tier
 * change write a Pending row (usage that activates it makes it Active).
 */
export async function loadIdleSeats(db: Executor, accountId: string, profileId: string, floorDays: number, now: Date): Promise<IdleSeatRow[]> {
  const cutoff = new Date(now.getTime() - floorDays * idleDayMs);
  const rows = await db
    .select({ sub: subscriptions, displayName: directoryUsers.displayName, email: directoryUsers.email })
    .from(subscriptions)
    .innerJoin(directoryUsers, and(eq(directoryUsers.accountId, subscriptions.accountId), eq(directoryUsers.id, subscriptions.userId)))
    .where(
      and(
        eq(subscriptions.accountId, accountId),
        eq(subscriptions.profileId, profileId),
        inArray(subscriptions.status, ["active", "pending"]),
        or(
          sql`coalesce(${subscriptions.lastActiveAt}, ${subscriptions.activatedAt}, ${subscriptions.updatedAt}) <= ${cutoff.toISOString()}::timestamptz`,
          lte(subscriptions.updatedAt, cutoff),
        ),
      ),
    );
  const seats = rows
    .map((r) => ({ userId: r.sub.userId, displayName: r.displayName, email: r.email, subscription: subscriptionOf(r.sub), pendingSince: r.sub.updatedAt }))
    .filter((s) => {
      const since = idleSince(s, now);
      return since !== null && since.getTime() <= cutoff.getTime();
    });
  const warned = new Map<string, Date>();
  const direct = new Set<string>();
  const groupTiers = new Map<string, IdleSeatState["groupTiers"][number][]>();
  for (const ids of chunk(
    seats.map((s) => s.userId),
    5_000,
  )) {
    const warnings = await db
      .select({ userId: notices.userId, at: max(notices.createdAt) })
      .from(notices)
      .where(and(eq(notices.accountId, accountId), eq(notices.profileId, profileId), eq(notices.kind, idleWarningKind), inArray(notices.userId, ids)))
      .groupBy(notices.userId);
    for (const w of warnings) if (w.userId && w.at) warned.set(w.userId, w.at);
    const { covers } = await loadCovers(db, { accountId, id: profileId }, ids);
    for (const [userId, list] of covers) {
      for (const c of list) {
        if (c.groupId === null) direct.add(userId);
        else groupTiers.set(userId, [...(groupTiers.get(userId) ?? []), c.tier]);
      }
    }
  }
  return seats.map((s) => ({ ...s, warnedAt: warned.get(s.userId) ?? null, direct: direct.has(s.userId), groupTiers: groupTiers.get(s.userId) ?? [] }));
}

/** The seats a setting would act on at `now`, each with the domain's decision (the job and the preview share it). */
export async function decideProfile(db: Executor, accountId: string, profileId: string, settings: IdleSettings, now: Date) {
  const floor = idleActionFloorDays(settings);
  if (floor === null) return [];
  const seats = await loadIdleSeats(db, accountId, profileId, floor, now);
  return seats.map((seat) => ({ seat, decision: decideIdle(settings, seat, now) })).filter((d) => d.decision.action !== "none");
}

export interface IdleListRow {
  userId: string;
  displayName: string;
  email: string;
  tier: string;
  status: "active" | "pending";
  lastActiveAt: string | null;
  idleSince: string;
  idleDays: number;
  monthlyCostCents: number;
  warnedAt: string | null;
}

/**
 * The "idle for N days" view (issue 15): seats idle `days` or more, longest idle first, with the number of
 * them and what they cost a month in all (the domain's seatMonthlyCostCents), one page after `after`.
 */
export async function listIdleSeats(
  db: Executor,
  catalog: Catalog,
  q: { accountId: string; profileId: string; days: number; now: Date; after: [string, string] | null; limit: number },
): Promise<{ rows: IdleListRow[]; total: { count: number; monthlyCostCents: number }; nextCursor: [string, string] | null }> {
  const seats = await loadIdleSeats(db, q.accountId, q.profileId, q.days, q.now);
  const all = seats
    .map((s) => {
      const since = idleSince(s, q.now)!;
      const status = s.subscription.status as "active" | "pending";
      return {
        userId: s.userId,
        displayName: s.displayName,
        email: s.email,
        tier: inForce(s.subscription, q.now)!.tier,
        status,
        lastActiveAt: s.subscription.lastActiveAt?.toISOString() ?? null,
        idleSince: since.toISOString(),
        idleDays: idleDays(s, q.now)!,
        monthlyCostCents: seatMonthlyCostCents(catalog, s.subscription, q.now),
        warnedAt: s.warnedAt && s.warnedAt > since ? s.warnedAt.toISOString() : null,
      };
    })
    .sort((a, b) => a.idleSince.localeCompare(b.idleSince) || a.userId.localeCompare(b.userId));
  const total = { count: all.length, monthlyCostCents: all.reduce((sum, r) => sum + r.monthlyCostCents, 0) };
  const start = q.after ? all.findIndex((r) => r.idleSince > q.after![0] || (r.idleSince === q.after![0] && r.userId > q.after![1])) : 0;
  const rows = start < 0 ? [] : all.slice(start, start + q.limit);
  const last = rows[rows.length - 1];
  const more = start >= 0 && start + q.limit < all.length;
  return { rows, total, nextCursor: more && last ? [last.idleSince, last.userId] : null };
}
