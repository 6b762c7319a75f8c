import { TRPCError } from "@trpc/server";
import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { maxTargetsPerCall, type TierId } from "@seatdesk/domain";
import { assignments, directoryGroups, directoryUsers, groupMembers, type Executor } from "@seatdesk/db";

const targetsShape = {
  userIds: z.array(z.uuid()).max(maxTargetsPerCall, `at most ${maxTargetsPerCall} users in one call`).default([]),
  groupIds: z.array(z.uuid()).max(maxTargetsPerCall, `at most ${maxTargetsPerCall} groups in one call`).default([]),
};

/**
 * Users and groups to act on, many at once (DESIGN.md §4: "each taking users or groups, many at once"),
 * with the call's other fields in the same schema so every bad field is named at once.
 */
const targetCount = (t: unknown) => {
  const { userIds, groupIds } = t as { userIds: string[]; groupIds: string[] };
  return userIds.length + groupIds.length;
};

export function targetsSchema<T extends z.ZodRawShape>(extra: T) {
  return z
    .object({ ...targetsShape, ...extra })
    .refine((t) => targetCount(t) > 0, { message: "choose at least one user or group", path: ["userIds"] })
    .refine((t) => targetCount(t) <= maxTargetsPerCall, {
      message: `at most ${maxTargetsPerCall} users and groups in one call`,
      path: ["userIds"],
    });
}
export const targetsInput = targetsSchema({});
export type Targets = z.infer<typeof targetsInput>;

export interface ResolvedTargets {
  userIds: string[];
  groupIds: string[];
  names: Map<string, string>;
  /** Members of each target group in name order (active or not: the rules decide who is covered). */
  members: Map<string, string[]>;
}

/** Checks every target belongs to the account (another account's id is simply unknown) and loads group members. */
export async function resolveTargets(tx: Executor, accountId: string, targets: Targets): Promise<ResolvedTargets> {
  const userIds = [...new Set(targets.userIds)];
  const groupIds = [...new Set(targets.groupIds)];
  const users = userIds.length
    ? await tx
        .select({ id: directoryUsers.id, name: directoryUsers.displayName })
        .from(directoryUsers)
        .where(and(eq(directoryUsers.accountId, accountId), inArray(directoryUsers.id, userIds), isNull(directoryUsers.deletedAt)))
    : [];
  const groups = groupIds.length
    ? await tx
        .select({ id: directoryGroups.id, name: directoryGroups.displayName })
        .from(directoryGroups)
        .where(and(eq(directoryGroups.accountId, accountId), inArray(directoryGroups.id, groupIds)))
    : [];
  const names = new Map([...users, ...groups].map((r) => [r.id, r.name]));
  const missingUser = targets.userIds.findIndex((id) => !names.has(id));
  if (missingUser >= 0) throw new TRPCError({ code: "NOT_FOUND", message: `userIds.${missingUser}: no user ${targets.userIds[missingUser]} in this account` });
  const missingGroup = targets.groupIds.findIndex((id) => !names.has(id));
  if (missingGroup >= 0) throw new TRPCError({ code: "NOT_FOUND", message: `groupIds.${missingGroup}: no group ${targets.groupIds[missingGroup]} in this account` });

  const members = new Map<string, string[]>(groupIds.map((g) => [g, []]));
  if (groupIds.length) {
    const rows = await tx
      .select({ groupId: groupMembers.groupId, userId: groupMembers.userId, name: directoryUsers.displayName })
      .from(groupMembers)
      .innerJoin(directoryUsers, and(eq(directoryUsers.accountId, groupMembers.accountId), eq(directoryUsers.id, groupMembers.userId)))
      .where(and(eq(groupMembers.accountId, accountId), inArray(groupMembers.groupId, groupIds)))
      .orderBy(asc(directoryUsers.displayName), asc(directoryUsers.id));
    for (const r of rows) {
      members.get(r.groupId)?.push(r.userId);
      names.set(r.userId, r.name);
    }
  }
  return { userIds, groupIds, names, members };
}

/** Every user a change to these targets can touch. */
export function affectedUsers(t: ResolvedTargets): string[] {
  return [...new Set([...t.userIds, ...[...t.members.values()].flat()])];
}

/** The current assignments of these targets in a profile: user or group id → tier. */
export async function currentAssignments(tx: Executor, accountId: string, profileId: string, t: ResolvedTargets): Promise<Map<string, TierId>> {
  const out = new Map<string, TierId>();
  if (t.userIds.length) {
    const rows = await tx
      .select({ id: assignments.userId, tier: assignments.tier })
      .from(assignments)
      .where(and(eq(assignments.accountId, accountId), eq(assignments.profileId, profileId), inArray(assignments.userId, t.userIds)));
    for (const r of rows) if (r.id) out.set(r.id, r.tier);
  }
  if (t.groupIds.length) {
    const rows = await tx
      .select({ id: assignments.groupId, tier: assignments.tier })
      .from(assignments)
      .where(and(eq(assignments.accountId, accountId), eq(assignments.profileId, profileId), inArray(assignments.groupId, t.groupIds)));
    for (const r of rows) if (r.id) out.set(r.id, r.tier);
  }
  return out;
}

/** Sets (tier) or removes (null) the assignments of these targets. */
export async function writeAssignments(tx: Executor, accountId: string, profileId: string, t: ResolvedTargets, tier: TierId | null, now: Date): Promise<void> {
  if (tier === null) {
    if (t.userIds.length) {
      await tx.delete(assignments).where(and(eq(assignments.accountId, accountId), eq(assignments.profileId, profileId), inArray(assignments.userId, t.userIds)));
    }
    if (t.groupIds.length) {
      await tx.delete(assignments).where(and(eq(assignments.accountId, accountId), eq(assignments.profileId, profileId), inArray(assignments.groupId, t.groupIds)));
    }
    return;
  }
  if (t.userIds.length) {
    await tx
      .insert(assignments)
      .values(t.userIds.map((userId) => ({ accountId, profileId, userId, tier, createdAt: now })))
      .onConflictDoUpdate({ target: [assignments.accountId, assignments.profileId, assignments.userId], targetWhere: sql`${assignments.userId} is not null`, set: { tier } });
  }
  if (t.groupIds.length) {
    await tx
      .insert(assignments)
      .values(t.groupIds.map((groupId) => ({ accountId, profileId, groupId, tier, createdAt: now })))
      .onConflictDoUpdate({ target: [assignments.accountId, assignments.profileId, assignments.groupId], targetWhere: sql`${assignments.groupId} is not null`, set: { tier } });
  }
}
