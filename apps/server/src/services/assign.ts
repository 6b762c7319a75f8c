import type { Catalog, TierId } from "@seatdesk/domain";
import type { Executor } from "@seatdesk/db";
import { recordAudit, type Actor, type AuditEntry } from "./audit";
import { changedSomething } from "./directory";
import { reconcileUsers, type ProfileRef, type UserChange } from "./reconcile";
import { affectedUsers, currentAssignments, writeAssignments, type ResolvedTargets } from "./targets";

/**
 * Sets (or with null removes) the assignments of these targets, re-runs the rules for every user they touch and
 * audits each target whose tier moved and each subscription the domain says changed (DESIGN.md §2 edge case 15: a
 * change that changes nothing writes no entry) — inside the caller's transaction. The console's subscribe, change
 * and unsubscribe and the idle-seat automation all go through it. `guard` sees the assignments before anything is
 * written (and may refuse); `auditExtra` is added to each target entry's `after`.
 */
export async function applyAssignments(
  tx: Executor,
  catalog: Catalog,
  profile: ProfileRef,
  resolved: ResolvedTargets,
  tier: TierId | null,
  audit: { action: "subscribe" | "change-plan" | "unsubscribe"; by: Actor; extra?: Record<string, unknown> },
  now: Date,
  guard?: (assigned: Map<string, TierId>) => void,
): Promise<{ before: Map<string, TierId>; changes: UserChange[] }> {
  const before = await currentAssignments(tx, profile.accountId, profile.id, resolved);
  guard?.(before);
  await writeAssignments(tx, profile.accountId, profile.id, resolved, tier, now);
  const changes = await reconcileUsers(tx, catalog, profile, affectedUsers(resolved), now);
  const entries: AuditEntry[] = [
    ...[...resolved.userIds.map((id) => ["user", id] as const), ...resolved.groupIds.map((id) => ["group", id] as const)]
      .filter(([, id]) => (before.get(id) ?? null) !== tier)
      .map(([type, id]) => ({
        profileId: profile.id,
        action: `assignment.${audit.action}`,
        targetType: type,
        targetId: id,
        before: { tier: before.get(id) ?? null },
        after: { tier, ...audit.extra },
      })),
    ...changes
      .filter((c) => c.after !== c.before && changedSomething(c))
      .map((c) => ({ profileId: profile.id, action: "subscription.changed", targetType: "user", targetId: c.userId, before: c.before, after: c.after })),
  ];
  await recordAudit(tx, profile.accountId, audit.by, entries, now);
  return { before, changes };
}
