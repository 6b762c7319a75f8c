import { and, eq, isNotNull, or } from "drizzle-orm";
import { deactivationSavingCents, idleAutomationOn, idlePlanTotals, periodOf, type Catalog, type IdleSettings } from "@seatdesk/domain";
import { notices, profiles, type Db, type Executor } from "@seatdesk/db";
import type { ScheduledJob } from "@seatdesk/scheduler";
import { applyAssignments } from "./assign";
import { recordAudit, type Actor } from "./audit";
import { decideProfile, describeIdleSettings, idleSettingsOf, idleWarningKind } from "./idle";
import type { ResolvedTargets } from "./targets";

const actor = (what: string): Actor => ({ type: "system", id: null, label: `idle-seat automation (${what})` });

/**
 * What a setting would do at `now` if saved (settings.previewIdle): the same decisions the job makes
 * (decideProfile → the domain's decideIdle), counted with the money by the domain's idlePlanTotals.
 */
export async function previewIdle(db: Executor, catalog: Catalog, accountId: string, profileId: string, settings: IdleSettings, now: Date) {
  const decided = await decideProfile(db, accountId, profileId, settings, now);
  const totals = idlePlanTotals(
    catalog,
    settings,
    decided.map((d) => d.seat),
    now,
  );
  const deactivateOn = decided.find((d) => d.decision.action === "warn")?.decision.deactivateOn ?? null;
  return { ...totals, deactivateOn: deactivateOn?.toISOString() ?? null };
}

/**
 * Removes the direct assignment of these users as the console's "Deactivate plan" does (subscriptions.unsubscribe,
 * through applyAssignments): an Active seat is Canceled by the profile's cancelAccess, a Pending one
 * removed, and a user a group still covers keeps the group's tier (DESIGN.md §2 edge case 2). Audited like the
 * console's change, by the automation.
 */
async function unassign(tx: Executor, catalog: Catalog, profile: { accountId: string; id: string }, userIds: string[], by: Actor, extra: Record<string, unknown>, now: Date) {
  if (userIds.length === 0) return 0;
  const resolved: ResolvedTargets = { userIds, groupIds: [], names: new Map(), members: new Map() };
  const { before } = await applyAssignments(tx, catalog, profile, resolved, null, { action: "unsubscribe", by, extra }, now);
  return before.size;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * One profile's run at `now`, in one transaction holding the profile row: a second worker skips a profile
 * another is acting on (SKIP LOCKED) and finds nothing left to do when it next comes, as every action
 * changes what the domain decides (a warning stands, a deactivated seat is Canceled, an expired one gone).
 */
async function runProfile(db: Db, catalog: Catalog, ref: { accountId: string; id: string }, now: Date) {
  return db.transaction(async (tx) => {
    const [p] = await tx
      .select()
      .from(profiles)
      .where(and(eq(profiles.accountId, ref.accountId), eq(profiles.id, ref.id)))
      .for("no key update", { skipLocked: true });
    const counts = { warned: 0, deactivated: 0, expired: 0, skipped: 0 };
    if (!p) return { ...counts, skipped: 1 };
    const settings = idleSettingsOf(p);
    if (!idleAutomationOn(settings)) return counts;
    const decided = await decideProfile(tx, p.accountId, p.id, settings, now);

    const warn = decided.filter((d) => d.decision.action === "warn");
    if (warn.length > 0) {
      const period = periodOf(now).id;
      const rows = warn.map((d) => ({
        accountId: p.accountId,
        profileId: p.id,
        userId: d.seat.userId,
        period,
        kind: idleWarningKind,
        detail:
          `Idle for ${d.decision.idleDays} days.` +
          (d.decision.deactivateOn ? ` Their plan will be deactivated on ${day(d.decision.deactivateOn)} (UTC) if they stay idle.` : ""),
        createdAt: now,
      }));
      // One warning per user a month (notices_once_uq): a seat warned, active again and idle again within the
      // same month is warned again on the 1st.
      const inserted = await tx.insert(notices).values(rows).onConflictDoNothing().returning({ userId: notices.userId });
      const done = new Set(inserted.map((r) => r.userId));
      counts.warned = done.size;
      await recordAudit(
        tx,
        p.accountId,
        actor(`warn after ${settings.warnDays} days idle`),
        warn
          .filter((d) => done.has(d.seat.userId))
          .map((d) => ({
            profileId: p.id,
            action: "idle.warn",
            targetType: "user",
            targetId: d.seat.userId,
            after: { idleDays: d.decision.idleDays, deactivateOn: d.decision.deactivateOn?.toISOString() ?? null },
          })),
        now,
      );
    }

    const deactivate = decided.filter((d) => d.decision.action === "deactivate");
    const saving = deactivate.reduce((sum, d) => sum + deactivationSavingCents(catalog, d.seat.subscription, d.seat.groupTiers, now), 0);
    counts.deactivated = await unassign(
      tx,
      catalog,
      p,
      deactivate.map((d) => d.seat.userId),
      actor(`deactivate ${settings.deactivateDays} days after the warning`),
      { reason: "idle", setting: describeIdleSettings(settings) },
      now,
    );
    counts.expired = await unassign(
      tx,
      catalog,
      p,
      decided.filter((d) => d.decision.action === "expire").map((d) => d.seat.userId),
      actor(`Pending seats expire after ${settings.expireDays} days`),
      { reason: "never-activated", setting: describeIdleSettings(settings) },
      now,
    );
    return { ...counts, savingCents: saving };
  });
}

/**
 * The idle-seat job (issue 15): for each profile with the automation on, warn, deactivate and expire at `now`.
 * Its decisions depend only on the state at `now`, so a run after a pause does all that fell due.
 */
export const idleSeatsJob: ScheduledJob = {
  name: "idle-seats",
  async run(db, now, { catalog, accountId, signal }) {
    const on = or(isNotNull(profiles.idleWarnDays), isNotNull(profiles.idleExpireDays));
    const list = await db
      .select({ accountId: profiles.accountId, id: profiles.id })
      .from(profiles)
      .where(accountId ? and(eq(profiles.accountId, accountId), on) : on);
    const totals = { profiles: 0, warned: 0, deactivated: 0, expired: 0, skipped: 0, savingCents: 0 };
    for (const ref of list) {
      if (signal?.aborted) break;
      const r = await runProfile(db, catalog, ref, now);
      totals.profiles++;
      totals.warned += r.warned;
      totals.deactivated += r.deactivated;
      totals.expired += r.expired;
      totals.skipped += r.skipped;
      totals.savingCents += "savingCents" in r ? (r.savingCents ?? 0) : 0;
    }
    return totals;
  },
};
