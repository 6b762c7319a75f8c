import { sql, type SQL } from "drizzle-orm";
import { foldName, foldSql } from "@seatdesk/db";
import type { Filter } from "scim2-parse-filter";
import { likeEscape } from "../services/users-tab";
import { ScimError, schemas, uuidPattern } from "./common";

/**
 * SCIM filters over Users (RFC 7644 §3.4.2.2), two ways that agree with each other:
 * - `userFilterSql`: the filter as a SQL condition on directory_users, when every attribute it names is
 *   one Seatdesk can read in SQL (userName, externalId, id, displayName, active, emails, name.*, the
 *   core string attributes, meta.created / meta.lastModified). `userName eq "x"` then uses the
 *   (account_id, seatdesk_fold(user_name)) unique index, the lookup every identity provider makes before a
 *   create, so the lookup and the uniqueness it predicts fold names the same way (name-fold.ts).
 * - `matchesUser`: the same semantics in memory over the SCIM resource, for anything else (the
 *   enterprise extension, groups, value filters on other attributes), over a bounded set of rows.
 * Strings compare case-insensitively (folded: NFC and simple lowercase, name-fold.ts) except id and externalId (caseExact in RFC 7643 §4.1); a missing
 * attribute is not "present" and matches no comparison but `ne`.
 * SQL leaves may be NULL for a missing attribute; in a WHERE clause NULL under and/or acts as false, so
 * only `not` and `ne` need coalesce, and `userName eq` stays a plain seatdesk_fold(user_name) = … the index serves.
 */

type Op = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "lt" | "ge" | "le";
type Value = boolean | null | number | string;

const bad = (detail: string) => new ScimError(400, `filter: ${detail}`, "invalidFilter");

const corePrefix = `${schemas.user.toLowerCase()}:`;
/** The attribute path in lower case, without the core User schema's URN. */
function pathOf(attrPath: string): string {
  const lower = attrPath.toLowerCase();
  return lower.startsWith(corePrefix) ? lower.slice(corePrefix.length) : lower;
}

const caseExact = new Set(["id", "externalid"]);
const dateAttributes = new Set(["meta.created", "meta.lastmodified"]);

// ---- SQL ----

type Column = { kind: "string"; expr: SQL; exact: boolean } | { kind: "boolean"; expr: SQL } | { kind: "date"; expr: SQL } | { kind: "id" };

const scimCol = sql.raw("directory_users.scim");
/** The e-mails a resource shows: the stored list, or for a user added by hand their one e-mail. */
const emailList = sql`(case when ${scimCol} is null then jsonb_build_array(jsonb_build_object('value', directory_users.email, 'type', 'work', 'primary', true))
  when jsonb_typeof(${scimCol}->'emails') = 'array' then ${scimCol}->'emails' else '[]'::jsonb end)`;
const jsonStrings = new Map(
  ["nickName", "profileUrl", "title", "userType", "preferredLanguage", "locale", "timezone"].map((n) => [n.toLowerCase(), n]),
);
const nameParts = new Map(["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"].map((n) => [n.toLowerCase(), n]));

function column(path: string): Column | null {
  switch (path) {
    case "id":
      return { kind: "id" };
    case "username":
      return { kind: "string", expr: sql.raw("directory_users.user_name"), exact: false };
    case "externalid":
      return { kind: "string", expr: sql.raw("directory_users.external_id"), exact: true };
    case "displayname":
      return { kind: "string", expr: sql.raw("directory_users.display_name"), exact: false };
    case "active":
      return { kind: "boolean", expr: sql.raw("directory_users.active") };
    case "meta.created":
      return { kind: "date", expr: sql.raw("directory_users.created_at") };
    case "meta.lastmodified":
      return { kind: "date", expr: sql.raw("coalesce(directory_users.updated_at, directory_users.created_at)") };
  }
  const json = jsonStrings.get(path);
  if (json) return { kind: "string", expr: sql`(${scimCol}->>${json})`, exact: false };
  if (path.startsWith("name.")) {
    const part = nameParts.get(path.slice(5));
    if (part) return { kind: "string", expr: sql`(${scimCol}->'name'->>${part})`, exact: false };
  }
  return null;
}

/** An e-mail's sub-attribute inside `exists (… jsonb_array_elements(emails) e …)`. */
function emailColumn(sub: string): Column | null {
  if (sub === "value" || sub === "type" || sub === "display") return { kind: "string", expr: sql`(e.value->>${sub})`, exact: false };
  if (sub === "primary") return { kind: "boolean", expr: sql`(case when jsonb_typeof(e.value->'primary') = 'boolean' then (e.value->>'primary')::boolean else false end)` };
  return null;
}

function booleanOf(v: Value, attr: string): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  throw bad(`${attr} is a boolean; compare it with true or false`);
}

function compareSql(col: Column, op: Op | "pr", v: Value, attr: string): SQL {
  if (col.kind === "id") {
    if (op === "pr") return sql`true`;
    if ((op === "eq" || op === "ne") && typeof v === "string") {
      const hit = uuidPattern.test(v) ? sql`directory_users.id = ${v.toLowerCase()}::uuid` : sql`false`;
      return op === "eq" ? hit : sql`not ${hit}`;
    }
    return compareSql({ kind: "string", expr: sql.raw("directory_users.id::text"), exact: true }, op, v, attr);
  }
  if (col.kind === "boolean") {
    if (op === "pr") return sql`(${col.expr} is not null)`;
    if (op !== "eq" && op !== "ne") throw bad(`${attr} is a boolean; only eq, ne and pr apply`);
    const hit = sql`${col.expr} = ${booleanOf(v, attr)}`;
    return op === "eq" ? hit : sql`not coalesce(${hit}, false)`;
  }
  if (col.kind === "date") {
    if (op === "pr") return sql`true`;
    if (op === "co" || op === "sw" || op === "ew") throw bad(`${attr} is a date; compare it with eq, ne, gt, ge, lt or le`);
    const at = typeof v === "string" ? new Date(v) : null;
    if (!at || Number.isNaN(at.getTime())) throw bad(`${attr} needs a date such as "2026-01-08T12:00:00Z"`);
    const t = sql`${at.toISOString()}::timestamptz`;
    const cmp = { eq: sql`=`, ne: sql`<>`, gt: sql`>`, ge: sql`>=`, lt: sql`<`, le: sql`<=` }[op];
    return op === "ne" ? sql`not coalesce(${col.expr} = ${t}, false)` : sql`${col.expr} ${cmp} ${t}`;
  }
  if (op === "pr") return sql`${col.expr} <> ''`;
  if (v === null) {
    if (op === "eq") return sql`(${col.expr} is null)`;
    if (op === "ne") return sql`(${col.expr} is not null)`;
    throw bad(`${attr} ${op} null compares with nothing`);
  }
  if (typeof v !== "string") throw bad(`${attr} is a string; put the value in double quotes`);
  const left = col.exact ? col.expr : foldSql(col.expr);
  const right = col.exact ? v : foldName(v);
  const like = (pattern: string) => sql`${left} like ${pattern}`;
  switch (op) {
    case "eq":
      return sql`${left} = ${right}`;
    case "ne":
      return sql`not coalesce(${left} = ${right}, false)`;
    case "co":
      return like(`%${likeEscape(right)}%`);
    case "sw":
      return like(`${likeEscape(right)}%`);
    case "ew":
      return like(`%${likeEscape(right)}`);
    case "gt":
      return sql`${left} > ${right} collate "C"`;
    case "ge":
      return sql`${left} >= ${right} collate "C"`;
    case "lt":
      return sql`${left} < ${right} collate "C"`;
    case "le":
      return sql`${left} <= ${right} collate "C"`;
  }
}

/** `emails…` as SQL: some e-mail matches (`emails` alone means `emails.value`, RFC 7644 §3.4.2.2). */
function emailsSql(sub: string, op: Op | "pr", v: Value, attr: string): SQL | null {
  const col = emailColumn(sub);
  if (!col) return null;
  if (op === "ne") return sql`not exists (select 1 from jsonb_array_elements(${emailList}) e where ${compareSql(col, "eq", v, attr)})`;
  return sql`exists (select 1 from jsonb_array_elements(${emailList}) e where ${compareSql(col, op, v, attr)})`;
}

/** Inside `emails[…]`: the filter over one e-mail, or null when it names something else. */
function emailElementSql(f: Filter): SQL | null {
  switch (f.op) {
    case "and":
    case "or": {
      const parts = f.filters.map(emailElementSql);
      if (parts.some((p) => p === null)) return null;
      return sql`(${sql.join(parts as SQL[], f.op === "and" ? sql` and ` : sql` or `)})`;
    }
    case "not": {
      const inner = emailElementSql(f.filter);
      return inner ? sql`not coalesce(${inner}, false)` : null;
    }
    case "[]":
      return null;
    default: {
      const col = emailColumn(f.attrPath.toLowerCase());
      return col ? compareSql(col, f.op, f.op === "pr" ? null : f.compValue, `emails.${f.attrPath}`) : null;
    }
  }
}

/** The whole filter as a SQL condition on directory_users, or null when some part of it can only be evaluated in memory. */
export function userFilterSql(f: Filter): SQL | null {
  switch (f.op) {
    case "and":
    case "or": {
      const parts = f.filters.map(userFilterSql);
      if (parts.some((p) => p === null)) return null;
      return sql`(${sql.join(parts as SQL[], f.op === "and" ? sql` and ` : sql` or `)})`;
    }
    case "not": {
      const inner = userFilterSql(f.filter);
      return inner ? sql`not coalesce(${inner}, false)` : null;
    }
    case "[]": {
      if (pathOf(f.attrPath) !== "emails") return null;
      const inner = emailElementSql(f.valFilter);
      return inner ? sql`exists (select 1 from jsonb_array_elements(${emailList}) e where ${inner})` : null;
    }
    default: {
      const path = pathOf(f.attrPath);
      const v = f.op === "pr" ? null : f.compValue;
      if (path === "emails") return f.op === "pr" ? sql`(jsonb_array_length(${emailList}) > 0)` : emailsSql("value", f.op, v, f.attrPath);
      if (path.startsWith("emails.")) return emailsSql(path.slice(7), f.op, v, f.attrPath);
      const col = column(path);
      return col ? compareSql(col, f.op, v, f.attrPath) : null;
    }
  }
}

/**
 * The parts of a filter SQL can answer, when the rest must be evaluated in memory: the conditions of a
 * top-level `and` that translate. Every user the whole filter matches also matches these.
 */
export function userPrefilterSql(f: Filter): SQL | null {
  if (f.op !== "and") return null;
  const parts = f.filters.map((c) => userFilterSql(c) ?? userPrefilterSql(c)).filter((p): p is SQL => p !== null);
  return parts.length ? sql`(${sql.join(parts, sql` and `)})` : null;
}

// ---- in memory ----

type Resource = Record<string, unknown>;

/** The values at a path, arrays flattened; `emails` alone is its values. */
function valuesAt(resource: unknown, path: string[]): unknown[] {
  if (path.length === 0) return Array.isArray(resource) ? resource : [resource];
  if (Array.isArray(resource)) return resource.flatMap((r) => valuesAt(r, path));
  if (!resource || typeof resource !== "object") return [];
  const [head, ...rest] = path;
  const key = Object.keys(resource).find((k) => k.toLowerCase() === head);
  return key === undefined ? [] : valuesAt((resource as Resource)[key], rest);
}

function splitPath(path: string): string[] {
  const i = path.lastIndexOf(":");
  return i === -1 ? path.split(".") : [path.slice(0, i), ...path.slice(i + 1).split(".")];
}

function compareValue(actual: unknown, op: Op, v: Value, attr: string, lastSegment: string): boolean {
  if (actual && typeof actual === "object" && !Array.isArray(actual)) {
    // A complex value compared directly: compare its `value` sub-attribute.
    const key = Object.keys(actual).find((k) => k.toLowerCase() === "value");
    return key === undefined ? false : compareValue((actual as Resource)[key], op, v, attr, "value");
  }
  if (actual === null || actual === undefined) return false;
  if (typeof actual === "boolean") {
    if (op !== "eq") throw bad(`${attr} is a boolean; only eq, ne and pr apply`);
    return actual === booleanOf(v, attr);
  }
  if (dateAttributes.has(attr.toLowerCase().replace(corePrefix, "")) && typeof actual === "string") {
    if (op === "co" || op === "sw" || op === "ew") throw bad(`${attr} is a date; compare it with eq, ne, gt, ge, lt or le`);
    const at = typeof v === "string" ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(at)) throw bad(`${attr} needs a date such as "2026-01-08T12:00:00Z"`);
    const t = Date.parse(actual);
    return { eq: t === at, gt: t > at, ge: t >= at, lt: t < at, le: t <= at }[op as "eq" | "gt" | "ge" | "lt" | "le"];
  }
  if (typeof actual === "number") {
    if (typeof v !== "number") return false;
    return { eq: actual === v, gt: actual > v, ge: actual >= v, lt: actual < v, le: actual <= v, co: false, sw: false, ew: false }[op as Exclude<Op, "ne">];
  }
  if (typeof actual !== "string" || typeof v !== "string") return false;
  const exact = caseExact.has(lastSegment);
  const a = exact ? actual : foldName(actual);
  const b = exact ? v : foldName(v);
  switch (op) {
    case "eq":
      return a === b;
    case "co":
      return a.includes(b);
    case "sw":
      return a.startsWith(b);
    case "ew":
      return a.endsWith(b);
    case "gt":
      return a > b;
    case "ge":
      return a >= b;
    case "lt":
      return a < b;
    case "le":
      return a <= b;
    default:
      return false;
  }
}

const present = (v: unknown) => v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0);

/** The filter over one SCIM resource, with the semantics of userFilterSql. */
export function matchesUser(resource: Resource, f: Filter): boolean {
  switch (f.op) {
    case "and":
      return f.filters.every((c) => matchesUser(resource, c));
    case "or":
      return f.filters.some((c) => matchesUser(resource, c));
    case "not":
      return !matchesUser(resource, f.filter);
    case "[]":
      return valuesAt(resource, splitPath(pathOf(f.attrPath))).some((v) => !!v && typeof v === "object" && matchesUser(v as Resource, f.valFilter));
    case "pr":
      return valuesAt(resource, splitPath(pathOf(f.attrPath))).some(present);
    default: {
      const path = splitPath(pathOf(f.attrPath));
      const last = path.at(-1) ?? "";
      if (f.compValue === null) {
        if (f.op === "eq") return !valuesAt(resource, path).some(present);
        if (f.op === "ne") return valuesAt(resource, path).some(present);
        throw bad(`${f.attrPath} ${f.op} null compares with nothing`);
      }
      if (f.op === "ne") return !valuesAt(resource, path).some((v) => compareValue(v, "eq", f.compValue, f.attrPath, last));
      return valuesAt(resource, path).some((v) => compareValue(v, f.op as Op, f.compValue, f.attrPath, last));
    }
  }
}
