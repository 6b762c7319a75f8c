import { patchBodyValidation, scimPatch, type ScimPatch, type ScimPatchOperation, type ScimResource } from "scim-patch";
import { maxNameLength } from "../services/directory";
import { filterPredicate, objectBody, parseFilter, requireSchema, ScimError, schemas, uuidPattern, type ScimType } from "./common";
import { attributeName, foldCase, type MemberRef } from "./group-read";

/**
 * PATCH /Groups/{id} (RFC 7644 §3.5.2) turned into a plan: the group's displayName and externalId after the
 * operations, and what happens to its members. Scalar attributes go through the scim-patch library on the
 * group's SCIM form. Members do not: the library compares whole member objects (`{value, display}` sent by
 * Okta never equals `{value}` stored) and its array add is quadratic, so membership operations are applied
 * here as set operations on member ids, which keeps 10,000 members in one PATCH linear and lets an "add 3
 * people" PATCH to a group of 100,000 run without reading the group's members at all.
 */

export const maxExternalIdLength = 320;

/** Where an id came from in the request, for an error that names it: `Operations[0].value[12].value`. */
type Origins = Map<string, string>;

export type MemberPlan =
  /** Relative to what is stored: these ids added, those removed (the usual Okta / Entra PATCH). */
  | { kind: "delta"; add: Origins; remove: Set<string> }
  /** The whole member list after the PATCH (replace, remove all, or a filter that needed the members). */
  | { kind: "full"; members: Origins };

export interface GroupPatchPlan {
  displayName: string;
  externalId: string | null;
  /** null: the PATCH does not touch members. */
  members: MemberPlan | null;
}

/** Reads the group's current members with their names, once, when a filter other than `value eq` needs them. */
export type MemberLoader = () => Promise<MemberRef[]>;

const bad = (detail: string, scimType: ScimType = "invalidValue") => new ScimError(400, detail, scimType);

/** The library's errors as SCIM errors: their own scimType when it is one of ours, else invalidValue. */
export function libraryError(e: unknown, field: string): ScimError {
  if (e instanceof ScimError) return e;
  const code = (e as { scimCode?: unknown })?.scimCode;
  const message = e instanceof Error ? e.message.replace(/^Invalid SCIM Patch: /, "") : "cannot be applied";
  const type: ScimType = code === "noTarget" || code === "invalidPath" || code === "invalidSyntax" ? code : "invalidValue";
  return bad(`${field}: ${message}`, type);
}

/** `[{value: id}, ...]` (or one such object) → ids in order, each with the field that named it. */
export function memberIds(value: unknown, field: string): [string, string][] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((m, i) => {
    const f = Array.isArray(value) ? `${field}[${i}]` : field;
    const v = m && typeof m === "object" && !Array.isArray(m) ? (m as Record<string, unknown>).value : undefined;
    if (typeof v !== "string" || v.trim() === "") throw bad(`${f}.value: required, the id of a user of this account`);
    return [v.trim().toLowerCase(), `${f}.value`];
  });
}

/** Ids in the order sent, each with the field that first named it (a repeated id is one member). */
export function originsOf(entries: [string, string][]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, origin] of entries) if (!out.has(id)) out.set(id, origin);
  return out;
}

/** The validated displayName and externalId of a write, with the field names the errors use. */
export function checkDisplayName(value: unknown, field = "displayName"): string {
  if (typeof value !== "string" || value.trim() === "") throw bad(`${field}: required, a non-empty string`);
  const name = value.trim();
  if (name.length > maxNameLength) throw bad(`${field}: at most ${maxNameLength} characters`);
  // PostgreSQL text cannot hold NUL: refused here (400) rather than failing in the query (a 500).
  if (name.includes("\u0000")) throw bad(`${field}: must not contain the NUL character`);
  return name;
}

export function checkExternalId(value: unknown, field = "externalId"): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw bad(`${field}: must be a string`);
  if (value.length > maxExternalIdLength) throw bad(`${field}: at most ${maxExternalIdLength} characters`);
  if (value.includes("\u0000")) throw bad(`${field}: must not contain the NUL character`);
  return value === "" ? null : value;
}

interface ParsedPath {
  attr: "members" | "displayname" | "externalid";
  /** The value filter of `members[...]`. */
  filter: string | null;
}

function parsePath(path: string, field: string): ParsedPath {
  const m = /^([A-Za-z$][\w$-]*)(?:\[(.*)\])?(?:\.([A-Za-z$][\w$-]*))?$/s.exec(path.trim().replace(/^urn:ietf:params:scim:schemas:core:2\.0:group:/i, ""));
  if (!m) throw bad(`${field}: "${path}" is not a Group attribute path`, "invalidPath");
  const [, rawName = "", filter, sub] = m;
  const name = rawName.toLowerCase();
  if (name === "id" || name === "meta" || name === "schemas") throw bad(`${field}: ${name} is read-only`, "mutability");
  if (name !== "members" && name !== "displayname" && name !== "externalid") {
    throw bad(`${field}: "${path}" is not a Group attribute (displayName, externalId, members)`, "invalidPath");
  }
  if (sub !== undefined) throw bad(`${field}: ${name}.${sub} cannot be changed; add or remove the member instead`, name === "members" ? "mutability" : "invalidPath");
  if (filter !== undefined && name !== "members") throw bad(`${field}: ${name} is single-valued and takes no filter`, "invalidPath");
  return { attr: name, filter: filter ?? null };
}

/** The user ids a `members[...]` filter names when it is `value eq "id"` (or an `or` of them); null otherwise. */
function idsOfValueFilter(text: string, field: string): string[] | null {
  let ast;
  try {
    ast = parseFilter(text);
  } catch (e) {
    throw e instanceof ScimError ? bad(`${field}: ${e.detail}`, "invalidPath") : e;
  }
  if (!ast) throw bad(`${field}: the member filter is empty`, "invalidPath");
  const ids: string[] = [];
  const walk = (f: typeof ast): boolean => {
    if (f.op === "or") return (f as { filters: (typeof ast)[] }).filters.every(walk);
    const c = f as { op: string; attrPath?: string; compValue?: unknown };
    if (c.op === "eq" && c.attrPath?.toLowerCase() === "value" && typeof c.compValue === "string") {
      ids.push(c.compValue.trim().toLowerCase());
      return true;
    }
    return false;
  };
  return walk(ast) ? ids : null;
}

/** Canonical key of a no-path value object's attribute, or an error naming it. */
function valueKey(key: string, field: string): "members" | "displayName" | "externalId" | "id" | "schemas" {
  const name = attributeName(key);
  if (name === "members") return "members";
  if (name === "displayname") return "displayName";
  if (name === "externalid") return "externalId";
  if (name === "id") return "id";
  if (name === "schemas") return "schemas";
  if (name === "meta") throw bad(`${field}.${key}: is read-only`, "mutability");
  throw bad(`${field}.${key}: not a Group attribute (displayName, externalId, members)`, "invalidPath");
}

/**
 * Checks a PatchOp body (RFC 7644 §3.5.2): the PatchOp URN, a non-empty Operations array, op names in any
 * case ("Replace" from Entra); returns the operations with lower-case op names.
 */
export function patchOperations(raw: unknown): ScimPatchOperation[] {
  const body = objectBody(raw);
  requireSchema(body, schemas.patchOp);
  const key = Object.keys(body).find((k) => k.toLowerCase() === "operations");
  const ops = key ? body[key] : undefined;
  if (!Array.isArray(ops) || ops.length === 0) throw bad("Operations: required, a non-empty array of operations", "invalidSyntax");
  const normalized = ops.map((op, i) => {
    if (!op || typeof op !== "object" || Array.isArray(op)) throw bad(`Operations[${i}]: must be an object`, "invalidSyntax");
    const o = op as Record<string, unknown>;
    const get = (name: string) => o[Object.keys(o).find((k) => k.toLowerCase() === name) ?? name];
    const name = get("op");
    if (typeof name !== "string" || !["add", "replace", "remove"].includes(name.toLowerCase())) {
      throw bad(`Operations[${i}].op: must be "add", "replace" or "remove"`, "invalidSyntax");
    }
    const path = get("path");
    if (path !== undefined && typeof path !== "string") throw bad(`Operations[${i}].path: must be a string`, "invalidPath");
    const value = get("value");
    return { op: name.toLowerCase(), ...(path !== undefined ? { path } : {}), ...(value !== undefined ? { value } : {}) } as ScimPatchOperation;
  });
  normalized.forEach((op, i) => {
    try {
      patchBodyValidation({ schemas: [schemas.patchOp], Operations: [op] } as ScimPatch);
    } catch (e) {
      throw libraryError(e, `Operations[${i}]`);
    }
  });
  return normalized;
}

interface GroupScalars extends ScimResource {
  displayName: string;
  externalId?: string;
}

/**
 * Applies the operations in order to the group (id, displayName, externalId) and builds the member plan.
 * Nothing is written here; an invalid operation anywhere throws before the caller writes anything.
 */
export async function planGroupPatch(
  group: { id: string; displayName: string; externalId: string | null },
  ops: ScimPatchOperation[],
  loadMembers: MemberLoader,
): Promise<GroupPatchPlan> {
  const scalars: GroupScalars = {
    schemas: [schemas.group],
    id: group.id,
    displayName: group.displayName,
    ...(group.externalId !== null ? { externalId: group.externalId } : {}),
    meta: { created: new Date(0), lastModified: new Date(0) },
  };
  let members: MemberPlan | null = null;
  let loaded: MemberRef[] | null = null;
  const current = async () => (loaded ??= await loadMembers());
  const delta = () => (members ??= { kind: "delta", add: new Map(), remove: new Set() });
  /** The full list: from the stored members with the delta so far applied. */
  const full = async (): Promise<Origins> => {
    if (members?.kind === "full") return members.members;
    const list: Origins = new Map((await current()).map((m) => [m.id, "members"]));
    if (members?.kind === "delta") {
      for (const id of members.remove) list.delete(id);
      for (const [id, origin] of members.add) list.set(id, origin);
    }
    members = { kind: "full", members: list };
    return list;
  };
  const add = (entries: [string, string][]) => {
    if (members?.kind === "full") {
      for (const [id, origin] of entries) if (!members.members.has(id)) members.members.set(id, origin);
      return;
    }
    const d = delta() as Extract<MemberPlan, { kind: "delta" }>;
    for (const [id, origin] of entries) {
      d.remove.delete(id);
      if (!d.add.has(id)) d.add.set(id, origin);
    }
  };
  const remove = (ids: string[]) => {
    if (members?.kind === "full") {
      for (const id of ids) members.members.delete(id);
      return;
    }
    const d = delta() as Extract<MemberPlan, { kind: "delta" }>;
    for (const id of ids) {
      d.add.delete(id);
      d.remove.add(id);
    }
  };
  const replaceAll = (entries: [string, string][]) => {
    members = { kind: "full", members: new Map() };
    add(entries);
  };

  const applyScalar = (op: ScimPatchOperation, field: string) => {
    try {
      scimPatch(scalars, [op], { mutateDocument: true, treatMissingAsAdd: true });
    } catch (e) {
      throw libraryError(e, field);
    }
  };

  for (const [i, op] of ops.entries()) {
    const field = `Operations[${i}]`;
    const value = "value" in op ? op.value : undefined;
    if (!op.path) {
      // Entra and Okta: {"op": "Replace", "value": {"id": ..., "displayName": ...}}.
      if (op.op === "remove") throw bad(`${field}.path: required for remove`, "noTarget");
      if (!value || typeof value !== "object" || Array.isArray(value)) throw bad(`${field}.value: must be an object of Group attributes when there is no path`);
      const scalarValue: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const name = valueKey(key, `${field}.value`);
        if (name === "schemas") continue;
        if (name === "id") {
          if (typeof v !== "string" || v.toLowerCase() !== group.id) throw bad(`${field}.value.${key}: is read-only`, "mutability");
          continue;
        }
        if (name === "members") {
          const entries = memberIds(v ?? [], `${field}.value.${key}`);
          if (op.op === "replace") replaceAll(entries);
          else add(entries);
          continue;
        }
        scalarValue[name] = v;
      }
      if (Object.keys(scalarValue).length > 0) applyScalar({ op: op.op, value: scalarValue } as ScimPatchOperation, field);
      continue;
    }
    const path = parsePath(op.path, `${field}.path`);
    if (path.attr !== "members") {
      const canonical = path.attr === "displayname" ? "displayName" : "externalId";
      if (op.op === "remove" && canonical === "displayName") throw bad(`${field}: displayName is required and cannot be removed`, "mutability");
      applyScalar({ ...op, path: canonical } as ScimPatchOperation, field);
      continue;
    }
    if (path.filter !== null) {
      if (op.op !== "remove") throw bad(`${field}.path: ${op.op} takes "members", not a member filter; members have no attribute to change`, "invalidPath");
      const ids = idsOfValueFilter(path.filter, `${field}.path`);
      if (ids) remove(ids);
      else {
        // Any other filter (members[display eq "x"]) is applied to the members as they stand now.
        const list = await full();
        const ast = parseFilter(path.filter)!;
        // display compares in any case (caseExact false), as in list filters.
        const test = filterPredicate(foldCase(ast, "members."));
        const names = new Map((await current()).map((m) => [m.id, m.displayName.toLowerCase()]));
        for (const id of [...list.keys()]) if (test({ value: id, display: names.get(id) ?? "", type: "User" })) list.delete(id);
      }
      continue;
    }
    if (op.op === "remove") {
      // No value: every member goes (RFC 7644 §3.5.2.2); a value names the members to remove.
      if (value === undefined || value === null) replaceAll([]);
      else remove(memberIds(value, `${field}.value`).map(([id]) => id));
      continue;
    }
    const entries = memberIds(value ?? [], `${field}.value`);
    if (op.op === "replace") replaceAll(entries);
    else add(entries);
  }

  const displayName = checkDisplayName(scalars.displayName, "displayName");
  const externalId = checkExternalId(scalars.externalId, "externalId");
  if (scalars.id !== group.id) throw bad("id: is read-only", "mutability");
  return { displayName, externalId, members };
}

/** Ids that can name a stored user; anything else names nobody (and must not reach a uuid column). */
export const isUuid = (id: string) => uuidPattern.test(id);
