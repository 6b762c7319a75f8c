import { InvalidScimPatchOp, NoPathInScimPatchOp, NoTarget, ScimError as PatchLibraryError, scimPatch, type ScimPatchOperation, type ScimResource } from "scim-patch";
import { ScimError, schemas } from "./common";
import { canonicalAttribute, canonicalResource, canonicalSubAttribute, canonicalValue, readOnlyAttributes } from "./user-resource";

/**
 * PATCH on a User (RFC 7644 §3.5.2) with the scim-patch library: the body is checked and normalized here
 * (op names in any case, as Entra sends "Replace"; attribute names spelled canonically, since the library
 * matches object keys exactly), then applied to the user's SCIM JSON one operation at a time, so an
 * error names the operation. Nothing is written until every operation has applied.
 */

type Json = Record<string, unknown>;
export interface PatchOp {
  op: "add" | "replace" | "remove";
  path?: string;
  value?: unknown;
}

/** Most operations in one PATCH of a user. */
export const maxOperations = 1000;

const isPlainObject = (v: unknown): v is Json => !!v && typeof v === "object" && !Array.isArray(v);
/** A member of an object by a name in any case (RFC 7643 §2.1). */
const member = (o: Json, name: string): unknown => o[Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name];

const corePrefix = `${schemas.user.toLowerCase()}:`;
const attrPath = /^([A-Za-z$][\w$-]*)(\[.*\])?(?:\.([A-Za-z$][\w$-]*))?$/s;

/** A PATCH path with its attribute spelled canonically; a read-only attribute is 400 mutability. */
function canonicalPath(path: string, field: string): { path: string; attr: string; whole: boolean } {
  let p = path.trim();
  if (p.toLowerCase().startsWith(corePrefix)) p = p.slice(corePrefix.length);
  // An extension attribute (urn:…:enterprise:2.0:User:department): the library splits it at the last colon.
  if (p.toLowerCase().startsWith("urn:")) return { path: p, attr: p, whole: false };
  const m = attrPath.exec(p);
  if (!m) throw new ScimError(400, `${field}: "${path}" is not an attribute path`, "invalidPath");
  const attr = canonicalAttribute(m[1]!);
  if (readOnlyAttributes.has(attr)) throw new ScimError(400, `${field}: ${attr} is read-only`, "mutability");
  const sub = m[3] ? `.${canonicalSubAttribute(m[3])}` : "";
  return { path: `${attr}${m[2] ?? ""}${sub}`, attr, whole: !m[3] };
}

/** The operations of a PatchOp body, checked and normalized, or 400 naming the operation and field. */
export function readPatchOps(body: Json): PatchOp[] {
  const list = member(body, "schemas");
  if (!Array.isArray(list) || !list.some((s) => typeof s === "string" && s.toLowerCase() === schemas.patchOp.toLowerCase())) {
    throw new ScimError(400, `schemas: must include "${schemas.patchOp}"`, "invalidValue");
  }
  const operations = member(body, "Operations");
  if (!Array.isArray(operations) || operations.length === 0) throw new ScimError(400, "Operations: must be a non-empty list", "invalidValue");
  if (operations.length > maxOperations) throw new ScimError(400, `Operations: at most ${maxOperations} in one request`, "invalidValue");
  return operations.map((raw, i): PatchOp => {
    const field = `Operations.${i}`;
    if (!isPlainObject(raw)) throw new ScimError(400, `${field}: must be an object`, "invalidValue");
    const opName = member(raw, "op");
    const op = typeof opName === "string" ? opName.toLowerCase() : "";
    if (op !== "add" && op !== "replace" && op !== "remove") throw new ScimError(400, `${field}.op: must be add, replace or remove`, "invalidValue");
    const rawPath = member(raw, "path");
    if (rawPath !== undefined && rawPath !== null && typeof rawPath !== "string") throw new ScimError(400, `${field}.path: must be a string`, "invalidPath");
    const value = member(raw, "value");
    if (op !== "remove" && value === undefined) throw new ScimError(400, `${field}.value: required for ${op}`, "invalidValue");
    if (typeof rawPath === "string" && rawPath.trim() !== "") {
      const { path, attr, whole } = canonicalPath(rawPath, `${field}.path`);
      return { op, path, ...(value === undefined ? {} : { value: whole ? canonicalValue(attr, value) : value }) };
    }
    if (op === "remove") throw new ScimError(400, `${field}.path: required for remove`, "noTarget");
    // No path: the value is a set of attributes to add or replace (Okta: {"op":"replace","value":{"active":false}}).
    if (!isPlainObject(value)) throw new ScimError(400, `${field}.value: must be an object of attributes when there is no path`, "invalidValue");
    const attrs = canonicalResource(value);
    // Read-only attributes in a value are ignored (RFC 7643 §7), as in a POST or PUT body.
    for (const k of Object.keys(attrs)) if (readOnlyAttributes.has(k.split(".")[0]!) || k === "schemas") delete attrs[k];
    return { op, value: attrs };
  });
}

const primaries = (doc: Json): Json[] => (Array.isArray(doc.emails) ? doc.emails.filter((e): e is Json => isPlainObject(e) && e.primary === true) : []);

/**
 * Applies the operations to a copy of the user's SCIM JSON. A value newly made primary makes the others
 * non-primary (RFC 7644 §3.5.2). Errors: 400 noTarget, invalidPath or invalidValue naming the operation.
 */
export function applyPatch(view: Json, ops: PatchOp[]): Json {
  const doc = structuredClone(view);
  const before = new Set(primaries(doc).map((e) => JSON.stringify(e)));
  ops.forEach((op, i) => {
    try {
      scimPatch(doc as unknown as ScimResource, [op as ScimPatchOperation], { mutateDocument: true, treatMissingAsAdd: true });
    } catch (e) {
      if (e instanceof NoTarget || e instanceof NoPathInScimPatchOp) throw new ScimError(400, `Operations.${i}: ${e.message}`, "noTarget");
      if (e instanceof InvalidScimPatchOp) throw new ScimError(400, `Operations.${i}: ${e.message}`, "invalidPath");
      if (e instanceof PatchLibraryError) throw new ScimError(400, `Operations.${i}: ${e.message}`, "invalidValue");
      throw new ScimError(400, `Operations.${i}: cannot be applied to this user (check its path and value)`, "invalidValue");
    }
  });
  const now = primaries(doc);
  const fresh = now.filter((e) => !before.has(JSON.stringify(e)));
  if (now.length > 1 && fresh.length > 0) for (const e of now) if (!fresh.includes(e)) e.primary = false;
  return doc;
}
