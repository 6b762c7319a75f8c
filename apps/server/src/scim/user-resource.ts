import { maxEmailLength, maxNameLength, type DirectoryGroupRef } from "../services/directory";
import { meta, ScimError, schemas } from "./common";

/**
 * The SCIM User (RFC 7643 §4.1) as Seatdesk stores it: userName, externalId and active in their own
 * columns; displayName and email derived into columns the console reads; every other attribute the
 * identity provider sent (name, emails, title, the enterprise extension…) kept in the `scim` jsonb
 * column as sent, so a GET returns what a PUT sent.
 */

/** A directory_users row as the SCIM code reads it. */
export interface UserRow {
  id: string;
  userName: string;
  displayName: string;
  email: string;
  externalId: string | null;
  active: boolean;
  scim: unknown;
  createdAt: Date;
  updatedAt: Date | null;
}

/** What a write stores: the columns, and the other attributes for the jsonb column. */
export interface UserFields {
  userName: string;
  externalId: string | null;
  active: boolean;
  displayName: string;
  email: string;
  scim: Record<string, unknown>;
}

type Json = Record<string, unknown>;

/** Core User attribute names (RFC 7643 §4.1), by lower case: attribute names are case-insensitive (§2.1). */
const topLevel = new Map(
  [
    "id", "externalId", "meta", "schemas", "userName", "name", "displayName", "nickName", "profileUrl", "title", "userType",
    "preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers", "ims", "photos", "addresses",
    "groups", "entitlements", "roles", "x509Certificates",
  ].map((n) => [n.toLowerCase(), n]),
);
const subAttributes = new Map(
  [
    "formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix", "value", "display", "type",
    "primary", "$ref", "streetAddress", "locality", "region", "postalCode", "country",
  ].map((n) => [n.toLowerCase(), n]),
);
const multiValued = new Set(["emails", "phoneNumbers", "ims", "photos", "addresses", "groups", "entitlements", "roles", "x509Certificates"]);
/** Attributes that a client cannot write (RFC 7643 §4.1, §3.1): ignored in a body, refused as a PATCH path. */
export const readOnlyAttributes = new Set(["id", "meta", "groups"]);
/** Kept in columns (or derived, or never kept: a password is not Seatdesk's business), not in the jsonb. */
const notInJsonb = new Set(["id", "meta", "groups", "schemas", "userName", "externalId", "active", "password"]);

const coreUserPrefix = `${schemas.user.toLowerCase()}:`;
const isPlainObject = (v: unknown): v is Json => !!v && typeof v === "object" && !Array.isArray(v);

/** The canonical spelling of a top-level attribute name; an extension URN or an unknown name stays as sent. */
export function canonicalAttribute(name: string): string {
  const lower = name.toLowerCase();
  if (lower.startsWith(coreUserPrefix)) return canonicalAttribute(name.slice(coreUserPrefix.length));
  return topLevel.get(lower) ?? name;
}

export const canonicalSubAttribute = (name: string): string => subAttributes.get(name.toLowerCase()) ?? name;

function canonicalKeys(value: Json): Json {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [canonicalSubAttribute(k), v]));
}

/** One attribute's value with its sub-attribute names spelled canonically (name.givenName, emails[].value…). */
export function canonicalValue(attribute: string, value: unknown): unknown {
  if (attribute === "name" && isPlainObject(value)) return canonicalKeys(value);
  if (multiValued.has(attribute)) {
    if (Array.isArray(value)) return value.map((v) => (isPlainObject(v) ? canonicalKeys(v) : v));
    if (isPlainObject(value)) return canonicalKeys(value);
  }
  return value;
}

/** A resource body with the core attribute names spelled canonically; a dotted key ("name.givenName", from a PATCH value) too. */
export function canonicalResource(body: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(body)) {
    if (!key.toLowerCase().startsWith("urn:") && key.includes(".")) {
      const [attr = "", ...rest] = key.split(".");
      out[[canonicalAttribute(attr), ...rest.map(canonicalSubAttribute)].join(".")] = value;
      continue;
    }
    const name = canonicalAttribute(key);
    out[name] = canonicalValue(name, value);
  }
  return out;
}

/** Deepest nesting of attributes kept. */
const maxDepth = 16;

/** A JSON value holds a NUL character, which PostgreSQL text and jsonb cannot store. */
function hasNul(value: unknown, depth = 0): boolean {
  if (depth > maxDepth) throw invalid(`The user's attributes are nested more than ${maxDepth} levels deep`);
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some((v) => hasNul(v, depth + 1));
  if (isPlainObject(value)) return Object.entries(value).some(([k, v]) => k.includes("\u0000") || hasNul(v, depth + 1));
  return false;
}

const invalid = (detail: string) => new ScimError(400, detail, "invalidValue");
/** Largest set of other attributes kept per user. */
const maxStoredBytes = 64 * 1024;

/** A SCIM boolean; identity providers send "True"/"False" strings too (Entra's PATCH does). */
export function readBoolean(value: unknown, field: string): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === "true";
  throw invalid(`${field}: must be true or false`);
}

function optionalString(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw invalid(`${field}: must be a string`);
  if (value.length > max) throw invalid(`${field}: at most ${max} characters`);
  return value;
}

/**
 * Reads a User body (POST, PUT, or the result of a PATCH) into what is stored, or 400 invalidValue naming
 * the attribute. `active` missing keeps `activeIfMissing`: a PUT that leaves it out deactivates no one.
 */
export function readUser(input: Json, activeIfMissing: boolean): UserFields {
  if (hasNul(input)) throw invalid("The user's attributes must not contain NUL characters");
  const body = canonicalResource(input);
  const userName = body.userName;
  if (typeof userName !== "string" || userName.trim() === "") throw invalid("userName: required, a non-empty string");
  if (userName.length > maxEmailLength) throw invalid(`userName: at most ${maxEmailLength} characters`);
  const externalId = optionalString(body.externalId, "externalId", 1000);
  const active = body.active === undefined || body.active === null ? activeIfMissing : readBoolean(body.active, "active");
  const displayName = optionalString(body.displayName, "displayName", maxNameLength);

  let name: Json | null = null;
  if (body.name !== undefined && body.name !== null) {
    if (!isPlainObject(body.name)) throw invalid("name: must be an object");
    name = body.name;
    for (const [k, v] of Object.entries(name)) optionalString(v, `name.${k}`, maxNameLength);
  }

  let emails: Json[] | null = null;
  if (body.emails !== undefined && body.emails !== null) {
    if (!Array.isArray(body.emails)) throw invalid("emails: must be a list");
    emails = body.emails.map((e, i) => {
      if (!isPlainObject(e)) throw invalid(`emails.${i}: must be an object with a value`);
      if (typeof e.value !== "string" || e.value.trim() === "") throw invalid(`emails.${i}.value: required, a non-empty string`);
      if (e.value.length > maxEmailLength) throw invalid(`emails.${i}.value: at most ${maxEmailLength} characters`);
      optionalString(e.type, `emails.${i}.type`, 100);
      return e.primary === undefined || e.primary === null ? e : { ...e, primary: readBoolean(e.primary, `emails.${i}.primary`) };
    });
    if (emails.filter((e) => e.primary === true).length > 1) throw invalid("emails: at most one may be primary");
  }

  const scim: Json = {};
  for (const [key, value] of Object.entries(body)) {
    if (notInJsonb.has(key) || value === undefined || value === null) continue;
    if (key === "emails") {
      if (emails && emails.length > 0) scim.emails = emails;
    } else scim[key] = value;
  }
  if (JSON.stringify(scim).length > maxStoredBytes) throw invalid(`The user's attributes are larger than ${maxStoredBytes / 1024} KB`);

  const primary = emails?.find((e) => e.primary === true) ?? emails?.[0];
  return {
    userName,
    externalId,
    active,
    displayName: derivedDisplayName(displayName, name, userName),
    email: typeof primary?.value === "string" ? primary.value : userName,
    scim,
  };
}

/** displayName, else name.formatted, else given and family name, else userName. */
function derivedDisplayName(displayName: string | null, name: Json | null, userName: string): string {
  if (displayName && displayName.trim()) return displayName;
  const formatted = typeof name?.formatted === "string" ? name.formatted.trim() : "";
  if (formatted) return formatted;
  const parts = [name?.givenName, name?.familyName].filter((p): p is string => typeof p === "string" && p.trim() !== "").map((p) => p.trim());
  if (parts.length) return parts.join(" ").slice(0, maxNameLength);
  return userName.slice(0, maxNameLength);
}

/** The other attributes of a row: as the identity provider sent them, or for a user added by hand, their name and e-mail. */
function storedAttributes(row: UserRow): Json {
  if (isPlainObject(row.scim)) return row.scim;
  return { displayName: row.displayName, emails: [{ value: row.email, type: "work", primary: true }] };
}

/**
 * The user as SCIM JSON without the read-only parts (id, meta, groups): what a PATCH applies its operations
 * to and what a write compares with. A deep copy, so patching it never touches the row.
 */
export function writableView(row: UserRow): Json {
  const attrs = structuredClone(storedAttributes(row));
  return { schemas: [schemas.user], userName: row.userName, ...(row.externalId !== null ? { externalId: row.externalId } : {}), ...attrs, active: row.active };
}

/** Extension schemas are named by their attribute's URN key (RFC 7643 §3.3). */
const extensionUrns = (attrs: Json) => Object.keys(attrs).filter((k) => k.toLowerCase().startsWith("urn:") && isPlainObject(attrs[k]));

/** The full User resource a GET answers. */
export function toResource(row: UserRow, groups: DirectoryGroupRef[], baseUrl: string): Json {
  const attrs = storedAttributes(row);
  const { displayName: _sent, ...rest } = attrs;
  return {
    schemas: [schemas.user, ...extensionUrns(attrs)],
    id: row.id,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    userName: row.userName,
    displayName: row.displayName,
    ...rest,
    active: row.active,
    groups: groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${baseUrl}/Groups/${g.id}` })),
    meta: meta("User", row.id, row.createdAt, row.updatedAt, baseUrl),
  };
}

/** What the audit log keeps of a user, before and after a change. */
export function auditView(u: Pick<UserRow, "userName" | "displayName" | "email" | "externalId" | "active">) {
  return { userName: u.userName, displayName: u.displayName, email: u.email, externalId: u.externalId, active: u.active };
}

/** Whether a write changes anything that is stored. */
export function sameFields(row: UserRow, f: UserFields): boolean {
  return (
    row.userName === f.userName &&
    row.externalId === f.externalId &&
    row.active === f.active &&
    row.displayName === f.displayName &&
    row.email === f.email &&
    isPlainObject(row.scim) &&
    JSON.stringify(sortedKeys(row.scim)) === JSON.stringify(sortedKeys(f.scim))
  );
}

function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (isPlainObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys(v[k])]));
  return v;
}
