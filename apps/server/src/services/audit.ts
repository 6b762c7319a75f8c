import { auditLog, type Executor } from "@seatdesk/db";
import type { ConsoleSession } from "../auth/sessions";

export interface AuditEntry {
  profileId?: string | null;
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
}

export interface Actor {
  type: "admin" | "system" | "scim" | "operator";
  id: string | null;
  label: string;
}

export const adminActor = (s: ConsoleSession): Actor => ({ type: "admin", id: s.adminId, label: s.email });

/** Writes audit entries; callers pass their transaction so the entry commits with the change or not at all. */
export async function recordAudit(tx: Executor, accountId: string, actor: Actor, entries: AuditEntry[], at: Date): Promise<void> {
  if (entries.length === 0) return;
  await tx.insert(auditLog).values(
    entries.map((e) => ({
      accountId,
      at,
      profileId: e.profileId ?? null,
      actorType: actor.type,
      actorId: actor.id,
      actorLabel: actor.label,
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId ?? null,
      before: e.before ?? null,
      after: e.after ?? null,
    })),
  );
}
