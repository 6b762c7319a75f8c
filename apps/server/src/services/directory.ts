import { and, asc, count, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { DomainError, type Catalog, type ChangeOutcome, type Subscription, type SubscriptionStatus, type TierId } from "@seatdesk/domain";
import { assignments, directoryGroups, directoryUsers, foldName, foldSql, groupMembers, profiles, type Executor } from "@seatdesk/db";
import { reconcileUsers, type ProfileRef } from "./reconcile";
import { decodeCursor, encodeCursor } from "./cursor";
import { likeEscape } from "./users-tab";

/**
 * The account's directory (DESIGN.md §1, "directory"): users and groups as the identity provider sees them.
 * Everything here belongs to the account, not to a profile; every query filters by account id.
 */

export interface DirectoryGroupRef {
  id: string;
  displayName: string;
}

export interface DirectoryUser {
  id: string;
  userName: string;
  displayName: string;
  email: string;
  /** false: set inactive by the identity provider. */
  active: boolean;
  groups: DirectoryGroupRef[];
}

export interface DirectoryGroup {
  id: string;
  displayName: string;
  /** Members that the identity provider has not deleted. */
  memberCount: number;
}

export interface Page<T> {
  rows: T[];
  nextCursor: string | null;
}

export const directoryUserStatuses = ["active", "inactive"] as const;
export type DirectoryUserStatus = (typeof directoryUserStatuses)[number];

/** Longest display name, user name or group name the directory keeps. */
export const maxNameLength = 200;
/** Longest e-mail address (RFC 5321 path limit) and user name. */
export const maxEmailLength = 320;

const uuid = z.uuid();

/** A cursor this API gave out: (display_name, id) of the last row; anything else is the caller's mistake. */
export function readCursor(cursor: string | null | undefined): [string, string] | null {
  if (!cursor) return null;
  const after = decodeCursor(cursor);
  if (!after || !uuid.safeParse(after[1]).success) throw new DomainError("INVALID_INPUT", "cursor: not a cursor this list gave out", "cursor");
  return after;
}

const searchPattern = (search: string | undefined): string | null => {
  const s = search?.trim().toLowerCase();
  return s ? `%${likeEscape(s)}%` : null;
};

function pageOf<T extends { id: string; displayName: string }>(rows: T[], limit: number): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor(last.displayName, last.id) : null };
}

const userColumns = {
  id: directoryUsers.id,
  userName: directoryUsers.userName,
  displayName: directoryUsers.displayName,
  email: directoryUsers.email,
  active: directoryUsers.active,
};

/** The groups of each user, in name order. */
export async function groupsOfUsers(db: Executor, accountId: string, userIds: string[]): Promise<Map<string, DirectoryGroupRef[]>> {
  const out = new Map<string, DirectoryGroupRef[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return out;
  const rows = await db
    .select({ userId: groupMembers.userId, id: directoryGroups.id, displayName: directoryGroups.displayName })
    .from(groupMembers)
    .innerJoin(directoryGroups, and(eq(directoryGroups.accountId, groupMembers.accountId), eq(directoryGroups.id, groupMembers.groupId)))
    .where(and(eq(groupMembers.accountId, accountId), inArray(groupMembers.userId, userIds)))
    .orderBy(asc(directoryGroups.displayName), asc(directoryGroups.id));
  for (const r of rows) out.get(r.userId)?.push({ id: r.id, displayName: r.displayName });
  return out;
}

/**
 * Directory users in (display_name, id) order, keyset-paginated; the identity provider's deleted users
 * never appear. Same search expression as the Users tab, so the trigram index serves both.
 */
export async function listDirectoryUsers(
  db: Executor,
  params: { accountId: string; search?: string | undefined; status?: DirectoryUserStatus | undefined; after: [string, string] | null; limit: number },
): Promise<Page<DirectoryUser>> {
  const conditions: SQL[] = [eq(directoryUsers.accountId, params.accountId), isNull(directoryUsers.deletedAt)];
  const pattern = searchPattern(params.search);
  if (pattern) conditions.push(sql`${directoryUsers.searchText} like ${pattern}`);
  if (params.status) conditions.push(eq(directoryUsers.active, params.status === "active"));
  if (params.after) conditions.push(sql`(${directoryUsers.displayName}, ${directoryUsers.id}) > (${params.after[0]}, ${params.after[1]}::uuid)`);
  const rows = await db
    .select(userColumns)
    .from(directoryUsers)
    .where(and(...conditions))
    .orderBy(asc(directoryUsers.displayName), asc(directoryUsers.id))
    .limit(params.limit + 1);
  const page = pageOf(rows, params.limit);
  const groups = await groupsOfUsers(db, params.accountId, page.rows.map((r) => r.id));
  return { rows: page.rows.map((r) => ({ ...r, groups: groups.get(r.id) ?? [] })), nextCursor: page.nextCursor };
}

/** One directory user with their groups; a deleted one, or another account's, is NOT_FOUND. */
export async function getDirectoryUser(db: Executor, accountId: string, userId: string): Promise<DirectoryUser> {
  const [row] = await db
    .select(userColumns)
    .from(directoryUsers)
    .where(and(eq(directoryUsers.accountId, accountId), eq(directoryUsers.id, userId), isNull(directoryUsers.deletedAt)));
  if (!row) throw new DomainError("NOT_FOUND", `userId: no user ${userId} in this account`, "userId");
  const groups = await groupsOfUsers(db, accountId, [row.id]);
  return { ...row, groups: groups.get(row.id) ?? [] };
}

/** Members of each group that the identity provider has not deleted. */
async function memberCounts(db: Executor, accountId: string, groupIds: string[]): Promise<Map<string, number>> {
  if (groupIds.length === 0) return new Map();
  const rows = await db
    .select({ groupId: groupMembers.groupId, n: count() })
    .from(groupMembers)
    .innerJoin(directoryUsers, and(eq(directoryUsers.accountId, groupMembers.accountId), eq(directoryUsers.id, groupMembers.userId)))
    .where(and(eq(groupMembers.accountId, accountId), inArray(groupMembers.groupId, groupIds), isNull(directoryUsers.deletedAt)))
    .groupBy(groupMembers.groupId);
  return new Map(rows.map((r) => [r.groupId, r.n]));
}

/** Groups in (display_name, id) order, keyset-paginated, with their member counts. */
export async function listDirectoryGroups(
  db: Executor,
  params: { accountId: string; search?: string | undefined; after: [string, string] | null; limit: number },
): Promise<Page<DirectoryGroup>> {
  const conditions: SQL[] = [eq(directoryGroups.accountId, params.accountId)];
  const pattern = searchPattern(params.search);
  if (pattern) conditions.push(sql`lower(${directoryGroups.displayName}) like ${pattern}`);
  if (params.after) conditions.push(sql`(${directoryGroups.displayName}, ${directoryGroups.id}) > (${params.after[0]}, ${params.after[1]}::uuid)`);
  const rows = await db
    .select({ id: directoryGroups.id, displayName: directoryGroups.displayName })
    .from(directoryGroups)
    .where(and(...conditions))
    .orderBy(asc(directoryGroups.displayName), asc(directoryGroups.id))
    .limit(params.limit + 1);
  const page = pageOf(rows, params.limit);
  const counts = await memberCounts(db, params.accountId, page.rows.map((g) => g.id));
  return { rows: page.rows.map((g) => ({ ...g, memberCount: counts.get(g.id) ?? 0 })), nextCursor: page.nextCursor };
}

/** The group, or NOT_FOUND naming the field when it is not one of this account's. */
export async function requireGroup(db: Executor, accountId: string, groupId: string, field = "groupId"): Promise<DirectoryGroupRef> {
  const [group] = await db
    .select({ id: directoryGroups.id, displayName: directoryGroups.displayName })
    .from(directoryGroups)
    .where(and(eq(directoryGroups.accountId, accountId), eq(directoryGroups.id, groupId)));
  if (!group) throw new DomainError("NOT_FOUND", `${field}: no group ${groupId} in this account`, field);
  return group;
}

/** Members of one group in (display_name, id) order, keyset-paginated; search by name or e-mail. */
export async function listGroupMembers(
  db: Executor,
  params: { accountId: string; groupId: string; search?: string | undefined; after: [string, string] | null; limit: number },
): Promise<Page<Omit<DirectoryUser, "groups">> & { group: DirectoryGroupRef }> {
  const group = await requireGroup(db, params.accountId, params.groupId);
  const conditions: SQL[] = [eq(groupMembers.accountId, params.accountId), eq(groupMembers.groupId, params.groupId), isNull(directoryUsers.deletedAt)];
  const pattern = searchPattern(params.search);
  if (pattern) conditions.push(sql`${directoryUsers.searchText} like ${pattern}`);
  if (params.after) conditions.push(sql`(${directoryUsers.displayName}, ${directoryUsers.id}) > (${params.after[0]}, ${params.after[1]}::uuid)`);
  const rows = await db
    .select(userColumns)
    .from(groupMembers)
    .innerJoin(directoryUsers, and(eq(directoryUsers.accountId, groupMembers.accountId), eq(directoryUsers.id, groupMembers.userId)))
    .where(and(...conditions))
    .orderBy(asc(directoryUsers.displayName), asc(directoryUsers.id))
    .limit(params.limit + 1);
  return { group, ...pageOf(rows, params.limit) };
}

/** Why a user name cannot be taken: held by a listed user, or by one the identity provider deleted. */
async function userNameConflict(db: Executor, accountId: string, userName: string, field: string): Promise<DomainError> {
  const [holder] = await db
    .select({ deletedAt: directoryUsers.deletedAt })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.accountId, accountId), sql`${foldSql(directoryUsers.userName)} = ${foldName(userName)}`));
  return new DomainError(
    "CONFLICT",
    holder?.deletedAt
      ? `${field}: a user with this user name was deleted by the identity provider and cannot be created again by hand`
      : `${field}: a user with this user name already exists`,
    field,
  );
}

/**
 * Adds one user by hand (the demo, DESIGN.md §1). The user name defaults to the e-mail and is unique per
 * account whatever its case; the database's unique index decides, so two concurrent adds cannot both win.
 */
export async function createDirectoryUser(
  tx: Executor,
  accountId: string,
  input: { userName?: string | undefined; displayName: string; email: string },
  now: Date,
): Promise<DirectoryUser> {
  const userName = input.userName ?? input.email;
  const [row] = await tx
    .insert(directoryUsers)
    .values({ accountId, userName, displayName: input.displayName, email: input.email, createdAt: now })
    .onConflictDoNothing()
    .returning(userColumns);
  if (!row) throw await userNameConflict(tx, accountId, userName, input.userName === undefined ? "email" : "userName");
  return { ...row, groups: [] };
}

/** Adds one group by hand; names are unique per account whatever their case. */
export async function createDirectoryGroup(tx: Executor, accountId: string, displayName: string, now: Date): Promise<DirectoryGroup> {
  const [row] = await tx
    .insert(directoryGroups)
    .values({ accountId, displayName, createdAt: now })
    .onConflictDoNothing()
    .returning({ id: directoryGroups.id, displayName: directoryGroups.displayName });
  if (!row) throw new DomainError("CONFLICT", "displayName: a group with this name already exists", "displayName");
  return { ...row, memberCount: 0 };
}

/**
 * Checks that every id is a listed user of this account; the first that is not is NOT_FOUND,
 * named by its position in the input ("userIds.3: ..."), before anything is written.
 */
export async function requireUsers(db: Executor, accountId: string, userIds: string[], field = "userIds"): Promise<void> {
  const unique = [...new Set(userIds)];
  const found = await db
    .select({ id: directoryUsers.id })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.accountId, accountId), inArray(directoryUsers.id, unique), isNull(directoryUsers.deletedAt)));
  const known = new Set(found.map((r) => r.id));
  const missing = userIds.findIndex((id) => !known.has(id));
  if (missing >= 0) throw new DomainError("NOT_FOUND", `${field}.${missing}: no user ${userIds[missing]} in this account`, `${field}.${missing}`);
}

export interface MembershipEffect {
  userId: string;
  profileId: string;
  outcome: ChangeOutcome;
  before: Subscription | null;
  after: Subscription | null;
}

/** A subscription's tier and status, as an effect record shows it. */
export interface SubscriptionState {
  tier: TierId;
  status: SubscriptionStatus;
}

/**
 * What a directory change did to one user's subscription in one profile, as the console's member calls
 * answer it (userId, profileId, the domain's outcome, the status and tier after) with the state before:
 * the audit entry of every SCIM directory change carries these records.
 */
export interface EffectRecord {
  userId: string;
  profileId: string;
  outcome: ChangeOutcome;
  status: SubscriptionStatus | null;
  tier: TierId | null;
  before: SubscriptionState | null;
}

export const effectRecord = (e: MembershipEffect): EffectRecord => ({
  userId: e.userId,
  profileId: e.profileId,
  outcome: e.outcome,
  status: e.after?.status ?? null,
  tier: e.after?.tier ?? null,
  before: e.before ? { tier: e.before.tier, status: e.before.status } : null,
});

/** At most this many effect records in one audit entry; the per-subscription entries still name every one. */
export const maxAuditEffects = 1000;

/** The effect records an audit entry carries: those that changed something, the first maxAuditEffects, and how many more there were. */
export function auditEffects(effects: MembershipEffect[]): { effects: EffectRecord[]; effectsNotShown?: number } {
  const moved = effects.filter(changedSomething);
  const shown = moved.slice(0, maxAuditEffects).map(effectRecord);
  return moved.length > shown.length ? { effects: shown, effectsNotShown: moved.length - shown.length } : { effects: shown };
}

/**
 * Group membership feeds the rules (DESIGN.md §2, "A change made on a group applies to each member"):
 * after memberships change, each affected user is reconciled in every profile of the account where one
 * of their changed groups has an assignment. The domain decides what that means (Pending at once,
 * a recomputed tier, Canceled or removed when nothing covers them any more).
 */
export async function rerunRulesForMemberships(
  tx: Executor,
  catalog: Catalog,
  accountId: string,
  memberships: { groupId: string; userId: string }[],
  now: Date,
): Promise<MembershipEffect[]> {
  const groupIds = [...new Set(memberships.map((m) => m.groupId))];
  if (groupIds.length === 0) return [];
  const assigned = await tx
    .select({ profileId: profiles.id, cancelAccess: profiles.cancelAccess, groupId: assignments.groupId })
    .from(assignments)
    .innerJoin(profiles, and(eq(profiles.accountId, assignments.accountId), eq(profiles.id, assignments.profileId)))
    .where(and(eq(assignments.accountId, accountId), inArray(assignments.groupId, groupIds)))
    .orderBy(asc(profiles.region), asc(profiles.id));
  const perProfile = new Map<string, { ref: ProfileRef; groups: Set<string> }>();
  for (const a of assigned) {
    if (!a.groupId) continue;
    const entry = perProfile.get(a.profileId) ?? { ref: { accountId, id: a.profileId }, groups: new Set<string>() };
    entry.groups.add(a.groupId);
    perProfile.set(a.profileId, entry);
  }
  const effects: MembershipEffect[] = [];
  for (const { ref, groups } of perProfile.values()) {
    const userIds = [...new Set(memberships.filter((m) => groups.has(m.groupId)).map((m) => m.userId))];
    const changes = await reconcileUsers(tx, catalog, ref, userIds, now);
    for (const c of changes) effects.push({ userId: c.userId, profileId: ref.id, outcome: c.outcome, before: c.before, after: c.after });
  }
  // Per user in the order given, then per profile in region order.
  const order = new Map<string, number>();
  for (const m of memberships) if (!order.has(m.userId)) order.set(m.userId, order.size);
  return effects.sort((a, b) => order.get(a.userId)! - order.get(b.userId)!);
}

/** Adds users to a group; already a member is no change. Returns the users actually added. */
export async function insertMemberships(tx: Executor, accountId: string, memberships: { groupId: string; userId: string }[]): Promise<{ groupId: string; userId: string }[]> {
  const added: { groupId: string; userId: string }[] = [];
  // Chunked so a 10,000-row import stays well under the bind-parameter limit.
  for (let i = 0; i < memberships.length; i += 5000) {
    const chunk = memberships.slice(i, i + 5000);
    added.push(
      ...(await tx
        .insert(groupMembers)
        .values(chunk.map((m) => ({ accountId, groupId: m.groupId, userId: m.userId })))
        .onConflictDoNothing()
        .returning({ groupId: groupMembers.groupId, userId: groupMembers.userId })),
    );
  }
  return added;
}

/** Removes users from a group; not a member is no change. Returns the users actually removed. */
export async function deleteMemberships(tx: Executor, accountId: string, groupId: string, userIds: string[]): Promise<string[]> {
  const removed = await tx
    .delete(groupMembers)
    .where(and(eq(groupMembers.accountId, accountId), eq(groupMembers.groupId, groupId), inArray(groupMembers.userId, userIds)))
    .returning({ userId: groupMembers.userId });
  return removed.map((r) => r.userId);
}

/** A change that the audit log should show: the subscription moved, not merely looked at. */
export const changedSomething = (e: { outcome: ChangeOutcome }) => e.outcome.kind !== "unchanged" && e.outcome.kind !== "none";
