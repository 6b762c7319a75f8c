import { and, asc, count, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import type { Filter } from "scim2-parse-filter";
import { directoryGroups, directoryUsers, foldName, foldSql, groupMembers, type Executor } from "@seatdesk/db";
import { likeEscape } from "../services/users-tab";
import { filterPredicate, listResponse, meta, paging, parseFilter, project, schemas, uuidPattern, type ScimRequest } from "./common";

/** The read side of /scim/v2/Groups (RFC 7643 §4.2, RFC 7644 §3.4): rows, members, the SCIM form, filtered lists. */

export interface GroupRow {
  id: string;
  displayName: string;
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date | null;
}

export interface MemberRef {
  id: string;
  displayName: string;
}

export const groupColumns = {
  id: directoryGroups.id,
  displayName: directoryGroups.displayName,
  externalId: directoryGroups.externalId,
  createdAt: directoryGroups.createdAt,
  updatedAt: directoryGroups.updatedAt,
};

/** Bind parameters per statement stay far below PostgreSQL's 65,535 whatever the size of a group. */
export const chunkSize = 2000;

export function chunks<T>(items: T[], size = chunkSize): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Canonical attribute name for a SCIM path segment: the core Group URN prefix dropped, compared in any case. */
export function attributeName(path: string): string {
  return path.replace(/^urn:ietf:params:scim:schemas:core:2\.0:group:/i, "").toLowerCase();
}

/**
 * One group of the account, or null (another account's id is simply not there). With a lock, writes to
 * the same group serialize: "no key update" for a PATCH or PUT (the console adding members meanwhile only
 * needs a key-share lock for its foreign key, and does not wait), "update" for a delete.
 */
export async function findGroup(db: Executor, accountId: string, groupId: string, lock?: "no key update" | "update"): Promise<GroupRow | null> {
  const query = db
    .select(groupColumns)
    .from(directoryGroups)
    .where(and(eq(directoryGroups.accountId, accountId), eq(directoryGroups.id, groupId)));
  const [row] = lock ? await query.for(lock) : await query;
  return row ?? null;
}

/**
 * Members of the groups, in (display name, id) order; users the identity provider deleted are not
 * members any more and never appear.
 */
export async function membersOf(db: Executor, accountId: string, groupIds: string[]): Promise<Map<string, MemberRef[]>> {
  const out = new Map<string, MemberRef[]>(groupIds.map((id) => [id, []]));
  for (const part of chunks(groupIds)) {
    const rows = await db
      .select({ groupId: groupMembers.groupId, id: directoryUsers.id, displayName: directoryUsers.displayName })
      .from(groupMembers)
      .innerJoin(directoryUsers, and(eq(directoryUsers.accountId, groupMembers.accountId), eq(directoryUsers.id, groupMembers.userId)))
      .where(and(eq(groupMembers.accountId, accountId), inArray(groupMembers.groupId, part), isNull(directoryUsers.deletedAt)))
      .orderBy(asc(directoryUsers.displayName), asc(directoryUsers.id));
    for (const r of rows) out.get(r.groupId)?.push({ id: r.id, displayName: r.displayName });
  }
  return out;
}

/** Every membership row of one group (deleted users included: a full replace removes them too). */
export async function memberIdsOf(db: Executor, accountId: string, groupId: string): Promise<string[]> {
  const rows = await db
    .select({ userId: groupMembers.userId })
    .from(groupMembers)
    .where(and(eq(groupMembers.accountId, accountId), eq(groupMembers.groupId, groupId)));
  return rows.map((r) => r.userId);
}

/** The SCIM Group (RFC 7643 §4.2); `members` is left out when the caller does not want it loaded. */
export function toScimGroup(row: GroupRow, members: MemberRef[] | null, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [schemas.group],
    id: row.id,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    displayName: row.displayName,
    ...(members ? { members: members.map((m) => ({ value: m.id, display: m.displayName, type: "User", $ref: `${baseUrl}/Users/${m.id}` })) } : {}),
    meta: meta("Group", row.id, row.createdAt, row.updatedAt, baseUrl),
  };
}

const attributeList = (query: URLSearchParams, name: string) =>
  (query.get(name) ?? "")
    .split(",")
    .map((a) => attributeName(a.trim()))
    .filter(Boolean);

/**
 * Whether the answer will show members, so they are loaded only then: Entra asks for groups with
 * `excludedAttributes=members`, and a group of 100,000 people is not read to be thrown away.
 */
export function wantsMembers(query: URLSearchParams): boolean {
  const only = attributeList(query, "attributes");
  if (only.length > 0) return only.some((a) => a === "members" || a.startsWith("members."));
  return !attributeList(query, "excludedAttributes").includes("members");
}

/** attributes / excludedAttributes, including sub-attributes of members (`members.value`). */
export function projectGroup(resource: Record<string, unknown>, query: URLSearchParams): Record<string, unknown> {
  const out = project(resource, query);
  const members = resource.members as Record<string, unknown>[] | undefined;
  if (!members) return out;
  const only = attributeList(query, "attributes");
  const subsOnly = only.filter((a) => a.startsWith("members.")).map((a) => a.slice("members.".length));
  const subsWithout = attributeList(query, "excludedAttributes")
    .filter((a) => a.startsWith("members."))
    .map((a) => a.slice("members.".length));
  if (only.length > 0 && !only.includes("members") && subsOnly.length > 0) {
    out.members = members.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => subsOnly.includes(k.toLowerCase()))));
  } else if (subsWithout.length > 0 && out.members) {
    out.members = members.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !subsWithout.includes(k.toLowerCase()))));
  }
  return out;
}

// ---- Filters ----

/** A comparison with a string value (the only kind the SQL form takes). */
interface StringCompare {
  op: "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "lt" | "ge" | "le";
  attrPath: string;
  compValue: string;
}

const isStringCompare = (f: Filter): f is Filter & StringCompare =>
  ["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"].includes(f.op) && typeof (f as { compValue?: unknown }).compValue === "string";

/**
 * The SQL form of a filter over id, displayName and externalId, or null when some part of it needs
 * the in-memory filter (members, meta, non-string values). displayName compares in any case
 * (caseExact false, RFC 7643 §4.2), externalId exactly; each leaf is two-valued so `not` means not.
 */
export function filterSql(f: Filter): SQL | null {
  switch (f.op) {
    case "and":
    case "or": {
      const parts = (f as { filters: Filter[] }).filters.map(filterSql);
      if (parts.some((p) => p === null)) return null;
      return sql`(${sql.join(parts as SQL[], sql` ${sql.raw(f.op)} `)})`;
    }
    case "not": {
      const inner = filterSql((f as { filter: Filter }).filter);
      return inner ? sql`(not ${inner})` : null;
    }
    case "pr": {
      const name = attributeName((f as { attrPath: string }).attrPath);
      if (name === "id" || name === "displayname") return sql`true`;
      if (name === "externalid") return sql`(${directoryGroups.externalId} is not null and ${directoryGroups.externalId} <> '')`;
      return null;
    }
    default:
      if (!isStringCompare(f)) return null;
      return compareSql(attributeName(f.attrPath), f.op, f.compValue);
  }
}

function compareSql(name: string, op: StringCompare["op"], value: string): SQL | null {
  let column: SQL;
  let v: string;
  if (name === "id") {
    if (op === "eq") return uuidPattern.test(value) ? sql`(${directoryGroups.id} = ${value.toLowerCase()}::uuid)` : sql`false`;
    if (op === "ne") return uuidPattern.test(value) ? sql`(${directoryGroups.id} <> ${value.toLowerCase()}::uuid)` : sql`true`;
    column = sql`(${directoryGroups.id}::text)`;
    v = value.toLowerCase();
  } else if (name === "displayname") {
    column = foldSql(directoryGroups.displayName);
    v = foldName(value);
  } else if (name === "externalid") {
    column = sql`${directoryGroups.externalId}`;
    v = value;
  } else return null;
  const like = (pattern: string) => sql`coalesce(${column} like ${pattern}, false)`;
  switch (op) {
    case "eq":
      return sql`coalesce(${column} = ${v}, false)`;
    case "ne":
      return sql`coalesce(${column} <> ${v}, false)`;
    case "co":
      return like(`%${likeEscape(v)}%`);
    case "sw":
      return like(`${likeEscape(v)}%`);
    case "ew":
      return like(`%${likeEscape(v)}`);
    case "gt":
      return sql`coalesce(${column} > ${v}, false)`;
    case "ge":
      return sql`coalesce(${column} >= ${v}, false)`;
    case "lt":
      return sql`coalesce(${column} < ${v}, false)`;
    case "le":
      return sql`coalesce(${column} <= ${v}, false)`;
  }
}

/** Whether the filter looks into members (then members are loaded for the candidates). */
function mentionsMembers(f: Filter): boolean {
  if ("filters" in f) return (f as { filters: Filter[] }).filters.some(mentionsMembers);
  if (f.op === "not") return mentionsMembers((f as { filter: Filter }).filter);
  return attributeName((f as { attrPath: string }).attrPath).split(".")[0]!.replace(/\[.*$/, "") === "members";
}

/** Case-insensitive attributes (displayName, members.display) compare folded in memory (name-fold.ts), as in SQL; ids lower-cased. */
const foldedPaths = new Set(["id", "displayname", "members.display", "members.value"]);
export function foldCase(f: Filter, prefix = ""): Filter {
  if ("filters" in f) return { ...f, filters: (f as { filters: Filter[] }).filters.map((c) => foldCase(c, prefix)) } as Filter;
  if (f.op === "not") return { ...f, filter: foldCase((f as { filter: Filter }).filter, prefix) } as Filter;
  if (f.op === "[]") {
    const vp = f as { attrPath: string; valFilter: Filter };
    return { ...vp, valFilter: foldCase(vp.valFilter, `${prefix}${attributeName(vp.attrPath)}.`) } as Filter;
  }
  const c = f as { attrPath: string; compValue?: unknown };
  if (typeof c.compValue === "string" && foldedPaths.has(`${prefix}${attributeName(c.attrPath)}`)) return { ...f, compValue: /(^|\.)(id|value)$/.test(`${prefix}${attributeName(c.attrPath)}`) ? c.compValue.toLowerCase() : foldName(c.compValue) } as Filter;
  return f;
}

/** The view of a group the in-memory filter reads: folded the same way as the filter's values. */
function filterView(row: GroupRow, members: MemberRef[] | undefined) {
  return {
    id: row.id,
    displayName: foldName(row.displayName),
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    ...(members ? { members: members.map((m) => ({ value: m.id, display: foldName(m.displayName), type: "User" })) } : {}),
    meta: { resourceType: "Group", created: row.createdAt.toISOString(), lastModified: (row.updatedAt ?? row.createdAt).toISOString() },
  };
}

const byName = (a: GroupRow, b: GroupRow) => {
  const x = a.displayName.toLowerCase();
  const y = b.displayName.toLowerCase();
  return x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
};

/**
 * GET /Groups (RFC 7644 §3.4.2): filter, startIndex/count paging, attributes. A filter over id,
 * displayName and externalId (what identity providers send: `displayName eq "x"`, `externalId eq "y"`)
 * runs in SQL with a count and a page; anything else (members, meta) narrows with the SQL-able part of
 * an `and` first, then filters the candidates in memory. Members are loaded for the page only, and only
 * when the answer shows them.
 */
export async function listGroups(req: ScimRequest): Promise<Record<string, unknown>> {
  const db = req.deps.database.db;
  const accountId = req.scope.accountId;
  const ast = parseFilter(req.query.get("filter"));
  const { startIndex, count: pageSize } = paging(req.query);
  const account = eq(directoryGroups.accountId, accountId);
  const order = [asc(sql`lower(${directoryGroups.displayName})`), asc(directoryGroups.id)];
  const whole = ast ? filterSql(ast) : sql`true`;

  let page: GroupRow[];
  let total: number;
  if (whole) {
    const where = and(account, whole);
    total = (await db.select({ n: count() }).from(directoryGroups).where(where))[0]?.n ?? 0;
    page =
      pageSize === 0 || startIndex > total
        ? []
        : await db
            .select(groupColumns)
            .from(directoryGroups)
            .where(where)
            .orderBy(...order)
            .offset(startIndex - 1)
            .limit(pageSize);
  } else {
    const f = ast!;
    // The SQL-able conjuncts of a top-level `and` narrow the candidates before the in-memory pass.
    const narrowing = f.op === "and" ? (f as { filters: Filter[] }).filters.map(filterSql).filter((p): p is SQL => p !== null) : [];
    const candidates = (
      await db
        .select(groupColumns)
        .from(directoryGroups)
        .where(and(account, ...narrowing))
    ).sort(byName);
    const members = mentionsMembers(f) ? await membersOf(db, accountId, candidates.map((g) => g.id)) : null;
    const test = filterPredicate(foldCase(f));
    const matched = candidates.filter((g) => test(filterView(g, members?.get(g.id))));
    total = matched.length;
    page = matched.slice(startIndex - 1, startIndex - 1 + pageSize);
  }
  const members = wantsMembers(req.query) ? await membersOf(db, accountId, page.map((g) => g.id)) : null;
  const resources = page.map((g) => projectGroup(toScimGroup(g, members?.get(g.id) ?? null, req.baseUrl), req.query));
  return listResponse(resources, total, startIndex);
}
