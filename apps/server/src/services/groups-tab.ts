import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type { TierId } from "@seatdesk/domain";
import { assignments, directoryGroups, inForceAt, type Executor } from "@seatdesk/db";
import { encodeCursor } from "./cursor";
import { likeEscape } from "./users-tab";

export interface GroupsTabRow {
  groupId: string;
  displayName: string;
  /** The tier assigned to the group in this profile; null: not assigned. Groups have no status (DESIGN.md §2). */
  tier: TierId | null;
  members: number;
  /** Members with a current subscription in this profile (through this group or otherwise). */
  subscribedMembers: number;
}

/** The Groups tab: the account's groups with their assignment in this profile, in name order, keyset-paged. */
export async function listGroupsTab(
  db: Executor,
  params: { accountId: string; profileId: string; search?: string | undefined; assignedOnly?: boolean | undefined; after: [string, string] | null; limit: number; now: Date },
): Promise<{ rows: GroupsTabRow[]; nextCursor: string | null }> {
  const conditions: SQL[] = [eq(directoryGroups.accountId, params.accountId)];
  const search = params.search?.trim().toLowerCase();
  if (search) conditions.push(sql`lower(${directoryGroups.displayName}) like ${`%${likeEscape(search)}%`}`);
  if (params.assignedOnly) conditions.push(sql`${assignments.id} is not null`);
  if (params.after) conditions.push(sql`(${directoryGroups.displayName}, ${directoryGroups.id}) > (${params.after[0]}, ${params.after[1]}::uuid)`);
  const rows = await db
    .select({
      groupId: directoryGroups.id,
      displayName: directoryGroups.displayName,
      tier: assignments.tier,
      members: sql<number>`(select count(*)::int from group_members gm where gm.account_id = ${directoryGroups.accountId} and gm.group_id = ${directoryGroups.id})`,
      subscribedMembers: sql<number>`(select count(*)::int from group_members gm join subscriptions on subscriptions.account_id = gm.account_id and subscriptions.profile_id = ${params.profileId}::uuid and subscriptions.user_id = gm.user_id where gm.account_id = ${directoryGroups.accountId} and gm.group_id = ${directoryGroups.id} and ${inForceAt(params.now)})`,
    })
    .from(directoryGroups)
    .leftJoin(
      assignments,
      and(eq(assignments.accountId, directoryGroups.accountId), eq(assignments.profileId, params.profileId), eq(assignments.groupId, directoryGroups.id)),
    )
    .where(and(...conditions))
    .orderBy(asc(directoryGroups.displayName), asc(directoryGroups.id))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit).map((r) => ({ ...r, members: Number(r.members), subscribedMembers: Number(r.subscribedMembers) }));
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > params.limit && last ? encodeCursor(last.displayName, last.groupId) : null };
}
