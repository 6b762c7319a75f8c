import { filter as compileFilter, parse as parseFilterText, type Filter } from "scim2-parse-filter";
import type { ScimScope } from "../auth/scim-tokens";
import type { Deps } from "../trpc/context";

/** SCIM 2.0 (RFC 7643 / 7644) shared pieces: errors, list responses, paging, filters, attribute projection. */

export const schemas = {
  user: "urn:ietf:params:scim:schemas:core:2.0:User",
  group: "urn:ietf:params:scim:schemas:core:2.0:Group",
  listResponse: "urn:ietf:params:scim:api:messages:2.0:ListResponse",
  patchOp: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
  error: "urn:ietf:params:scim:api:messages:2.0:Error",
  serviceProviderConfig: "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
  resourceType: "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
  schema: "urn:ietf:params:scim:schemas:core:2.0:Schema",
} as const;

export type ScimType = "uniqueness" | "invalidFilter" | "invalidValue" | "invalidSyntax" | "invalidPath" | "noTarget" | "mutability" | "tooMany";

/** A SCIM error (RFC 7644 §3.12): the HTTP status, an optional scimType, and a detail a person can read. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
    this.name = "ScimError";
  }
  /** The error schema's body; `status` is a string, as the RFC has it. */
  toBody() {
    return { schemas: [schemas.error], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.detail };
  }
}

/** One SCIM call, already authenticated and parsed. */
export interface ScimRequest {
  method: string;
  /** The resource id from the path (`/Users/<id>`), or null for the collection. */
  id: string | null;
  query: URLSearchParams;
  /** The parsed JSON body (undefined without one). */
  body: unknown;
  scope: ScimScope;
  deps: Deps;
  now: Date;
  /** `https://host/scim/v2`, for meta.location. */
  baseUrl: string;
}

export interface ScimResponse {
  status: number;
  body?: unknown;
  /** Set on 201 Created. */
  location?: string;
}

export type ScimHandler = (req: ScimRequest) => Promise<ScimResponse>;

/** Paging (RFC 7644 §3.4.2.4): startIndex is 1-based; count at most `maxCount`; bad values are clamped as the RFC says. */
export function paging(query: URLSearchParams, maxCount = 1000): { startIndex: number; count: number } {
  const start = Number.parseInt(query.get("startIndex") ?? "1", 10);
  const count = Number.parseInt(query.get("count") ?? String(100), 10);
  return { startIndex: Number.isFinite(start) && start >= 1 ? start : 1, count: Number.isFinite(count) ? Math.min(Math.max(count, 0), maxCount) : 100 };
}

export function listResponse(resources: unknown[], totalResults: number, startIndex: number) {
  return { schemas: [schemas.listResponse], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** Parses a SCIM filter with the library; a filter that does not parse is 400 invalidFilter. */
export function parseFilter(text: string | null): Filter | null {
  if (text === null || text.trim() === "") return null;
  // PostgreSQL text cannot hold NUL: a filter value with one matches nothing anyone can store, and is refused.
  if (text.includes("\u0000")) throw new ScimError(400, "filter: must not contain the NUL character", "invalidFilter");
  // String values are JSON strings (RFC 7644 §3.4.2.2): `"a\\b"` is a\b. The library keeps escapes other than \"
  // as written, so each string is decoded here and stands in the text as a placeholder ("@0", "@1"…: every string in
  // the text is one, so none can be mistaken for a value) that the library passes through.
  const literals: string[] = [];
  const masked = text.replace(/"((?:[^"\\]|\\.)*)"/gs, (_all, body: string) => {
    try {
      literals.push(JSON.parse(`"${body}"`) as string);
    } catch {
      throw new ScimError(400, `filter: "${body.slice(0, 100)}" is not a valid JSON string`, "invalidFilter");
    }
    if (literals.at(-1)!.includes("\u0000")) throw new ScimError(400, "filter: must not contain the NUL character", "invalidFilter");
    return `"@${literals.length - 1}"`;
  });
  let parsed: Filter;
  try {
    parsed = parseFilterText(masked);
  } catch (e) {
    throw new ScimError(400, `filter: ${e instanceof Error ? e.message.replace(/@(\d+)/g, (_m, i: string) => literals[Number(i)] ?? "") : "does not parse"}`, "invalidFilter");
  }
  return unmask(parsed, literals);
}

/** The filter with each placeholder string replaced by the decoded JSON string it stands for. */
function unmask(f: Filter, literals: string[]): Filter {
  const node = f as Filter & { filters?: Filter[]; filter?: Filter; valFilter?: Filter; compValue?: unknown };
  if (node.filters) return { ...node, filters: node.filters.map((c) => unmask(c, literals)) } as Filter;
  if (node.filter) return { ...node, filter: unmask(node.filter, literals) } as Filter;
  if (node.valFilter) return { ...node, valFilter: unmask(node.valFilter, literals) } as Filter;
  if (typeof node.compValue === "string") {
    const m = /^@(\d+)$/.exec(node.compValue);
    if (m) return { ...node, compValue: literals[Number(m[1])] ?? "" } as Filter;
  }
  return f;
}

/** A predicate over SCIM resources (attribute names compared case-insensitively, as RFC 7643 §2.1 says). */
export function filterPredicate(f: Filter): (resource: Record<string, unknown>) => boolean {
  try {
    return compileFilter(f);
  } catch (e) {
    throw new ScimError(400, `filter: ${e instanceof Error ? e.message : "cannot be applied"}`, "invalidFilter");
  }
}

/** `userName eq "x"` (any case of the attribute name), the lookup identity providers make before every create. */
export function equalityOn(f: Filter | null, attribute: string): string | null {
  if (!f || f.op !== "eq") return null;
  const c = f as { attrPath: string; compValue: unknown };
  return c.attrPath.toLowerCase() === attribute.toLowerCase() && typeof c.compValue === "string" ? c.compValue : null;
}

/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5): top-level and dotted sub-attributes; `id`,
 * `schemas` and `meta` are always returned.
 */
export function project<T extends Record<string, unknown>>(resource: T, query: URLSearchParams): Record<string, unknown> {
  const list = (name: string) =>
    (query.get(name) ?? "")
      .split(",")
      .map((a) => a.trim().replace(/^urn:ietf:params:scim:schemas:core:2\.0:(User|Group):/i, "").toLowerCase())
      .filter(Boolean);
  const only = list("attributes");
  const without = list("excludedAttributes");
  const always = new Set(["id", "schemas", "meta"]);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const k = key.toLowerCase();
    if (always.has(k)) out[key] = value;
    else if (only.length > 0) {
      if (only.includes(k)) out[key] = value;
      else {
        const subs = only.filter((a) => a.startsWith(`${k}.`)).map((a) => a.slice(k.length + 1));
        if (subs.length && value && typeof value === "object" && !Array.isArray(value)) {
          out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([s]) => subs.includes(s.toLowerCase())));
        }
      }
    } else if (!without.includes(k)) out[key] = value;
  }
  return out;
}

/** The JSON object a write sent, or 400 invalidSyntax. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new ScimError(400, "The body must be a JSON object", "invalidSyntax");
  return body as Record<string, unknown>;
}

/** The body names the resource's core schema, or 400 invalidValue (RFC 7643 §3). */
export function requireSchema(body: Record<string, unknown>, schema: string) {
  const list = body.schemas;
  if (!Array.isArray(list) || !list.some((s) => typeof s === "string" && s.toLowerCase() === schema.toLowerCase())) {
    throw new ScimError(400, `schemas: must include "${schema}"`, "invalidValue");
  }
}

/** An id that is not a UUID names no resource: 404, not a database error. */
export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function requireId(id: string | null, resource: "User" | "Group"): string {
  if (!id || !uuidPattern.test(id)) throw new ScimError(404, `${resource} ${id ?? ""} not found`.replace("  ", " "));
  return id.toLowerCase();
}

export function meta(resourceType: "User" | "Group", id: string, created: Date, lastModified: Date | null, baseUrl: string) {
  const modified = lastModified ?? created;
  return {
    resourceType,
    created: created.toISOString(),
    lastModified: modified.toISOString(),
    location: `${baseUrl}/${resourceType}s/${id}`,
    version: `W/"${modified.getTime().toString(36)}"`,
  };
}
