import { foldName, type Executor } from "@seatdesk/db";
import { recordAudit, type Actor, type AuditEntry } from "../services/audit";
import { auditEffects, groupsOfUsers } from "../services/directory";
import {
  applyIdentityChange,
  countScimUsers,
  findScimUser,
  insertScimUser,
  pageScimUsers,
  softDeleteScimUser,
  updateScimUser,
  userNameTaken,
  type IdentityChange,
  type IdentityEffect,
} from "../services/scim-users";
import {
  listResponse,
  objectBody,
  paging,
  parseFilter,
  project,
  requireId,
  requireSchema,
  ScimError,
  schemas,
  type ScimHandler,
  type ScimRequest,
  type ScimResponse,
} from "./common";
import { matchesUser, userFilterSql, userPrefilterSql } from "./user-filter";
import { applyPatch, readPatchOps } from "./user-patch";
import { auditView, readUser, sameFields, toResource, writableView, type UserFields, type UserRow } from "./user-resource";

/**
 * /scim/v2/Users (issue 8; RFC 7643 §4.1, RFC 7644 §3): list with filter and paging, get, create, replace,
 * patch and delete the account's directory users. Every write is one transaction: the user, what it means
 * for their subscriptions in every profile (deactivated or deleted: Canceled, access ended, a notice; back
 * to active: covered again), and the audit entries with the SCIM token as the actor. A bad body or a failing
 * operation writes nothing.
 */

/** A filter SQL cannot answer alone is evaluated in memory over at most this many users. */
export const maxFilterScan = 10_000;

const notFound = (id: string | null) => new ScimError(404, `User ${id ?? ""} not found`);
const conflict = (userName: string) => new ScimError(409, `userName: a user named "${userName}" already exists in this account`, "uniqueness");

/** One entry per subscription the identity provider's change moved, in its profile, as the console audits a subscription change. */
const subscriptionAudit = (effects: IdentityEffect[]): AuditEntry[] =>
  effects.map((e) => ({ profileId: e.profileId, action: "subscription.changed", targetType: "user", targetId: e.userId, before: e.before, after: e.after }));

const actorOf = (req: ScimRequest): Actor => ({ type: "scim", id: req.scope.tokenId, label: `SCIM token "${req.scope.tokenName}"` });

async function resourcesOf(db: Executor, req: ScimRequest, rows: UserRow[]) {
  const groups = await groupsOfUsers(db, req.scope.accountId, rows.map((r) => r.id));
  return rows.map((r) => toResource(r, groups.get(r.id) ?? [], req.baseUrl));
}

/** GET /Users (and POST /Users/.search): SQL where the filter allows, else in memory over a bounded set. */
async function list(req: ScimRequest, query: URLSearchParams): Promise<ScimResponse> {
  const db = req.deps.database.db;
  const accountId = req.scope.accountId;
  const filter = parseFilter(query.get("filter"));
  const { startIndex, count } = paging(query);
  const where = filter ? userFilterSql(filter) : null;
  if (!filter || where) {
    const total = await countScimUsers(db, accountId, where);
    const rows = count > 0 && startIndex <= total ? await pageScimUsers(db, accountId, where, startIndex - 1, count) : [];
    const resources = await resourcesOf(db, req, rows);
    return { status: 200, body: listResponse(resources.map((r) => project(r, query)), total, startIndex) };
  }
  const rows = await pageScimUsers(db, accountId, userPrefilterSql(filter), 0, maxFilterScan + 1);
  if (rows.length > maxFilterScan) {
    throw new ScimError(
      400,
      `filter: more than ${maxFilterScan.toLocaleString("en-US")} users to look through; add a condition on userName, externalId, id, displayName, active or emails with "and"`,
      "tooMany",
    );
  }
  const matched = (await resourcesOf(db, req, rows)).filter((r) => matchesUser(r, filter));
  const page = count > 0 ? matched.slice(startIndex - 1, startIndex - 1 + count) : [];
  return { status: 200, body: listResponse(page.map((r) => project(r, query)), matched.length, startIndex) };
}

/** POST /Users/.search (RFC 7644 §3.4.3): the same query in a body. */
async function search(req: ScimRequest): Promise<ScimResponse> {
  const body = objectBody(req.body);
  requireSchema(body, "urn:ietf:params:scim:api:messages:2.0:SearchRequest");
  const query = new URLSearchParams();
  for (const name of ["filter", "startIndex", "count", "attributes", "excludedAttributes"]) {
    const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
    const value = key === undefined ? undefined : body[key];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) query.set(name, value.map(String).join(","));
    else if (typeof value === "string" || typeof value === "number") query.set(name, String(value));
    else throw new ScimError(400, `${name}: must be a string${name.endsWith("ttributes") ? " or a list of strings" : ""}`, "invalidValue");
  }
  return list(req, query);
}

async function get(req: ScimRequest): Promise<ScimResponse> {
  const id = requireId(req.id, "User");
  const db = req.deps.database.db;
  const row = await findScimUser(db, req.scope.accountId, id);
  if (!row) throw notFound(req.id);
  const [resource] = await resourcesOf(db, req, [row]);
  return { status: 200, body: project(resource!, req.query) };
}

async function create(req: ScimRequest): Promise<ScimResponse> {
  const body = objectBody(req.body);
  requireSchema(body, schemas.user);
  const fields = readUser(body, true);
  const { accountId } = req.scope;
  return req.deps.database.db.transaction(async (tx) => {
    const row = await insertScimUser(tx, accountId, fields, req.now);
    if (!row) throw conflict(fields.userName);
    await recordAudit(tx, accountId, actorOf(req), [{ action: "scim.user.create", targetType: "user", targetId: row.id, after: auditView(row) }], req.now);
    const resource = toResource(row, [], req.baseUrl);
    return { status: 201, body: project(resource, req.query), location: `${req.baseUrl}/Users/${row.id}` };
  });
}

/** The PostgreSQL SQLSTATE of an error, looking through a driver's wrappers. */
function pgCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * Writes a PUT's or a PATCH's result over the locked row, then the identity provider's effects and the audit:
 * a deactivation or reactivation's entry carries the effect records of what it did to the user's subscriptions
 * in every profile (the SCIM answer stays the plain resource, RFC 7643). Nothing changed: nothing written,
 * nothing audited. A rename keeps the id, so the subscriptions stay.
 */
async function write(tx: Executor, req: ScimRequest, current: UserRow, fields: UserFields): Promise<ScimResponse> {
  const { accountId } = req.scope;
  let row = current;
  if (!sameFields(current, fields)) {
    if (foldName(fields.userName) !== foldName(current.userName) && (await userNameTaken(tx, accountId, fields.userName, current.id))) throw conflict(fields.userName);
    try {
      row = await updateScimUser(tx, accountId, current.id, fields, req.now);
    } catch (e) {
      // A concurrent create took the name between the check and the update: the unique index decides.
      if (pgCode(e) === "23505") throw conflict(fields.userName);
      throw e;
    }
    const change: IdentityChange | null = current.active && !row.active ? "deactivated" : !current.active && row.active ? "reactivated" : null;
    const effects = change ? await applyIdentityChange(tx, req.deps.catalog, accountId, row, change, req.now) : [];
    const action = change === "deactivated" ? "scim.user.deactivate" : change === "reactivated" ? "scim.user.reactivate" : "scim.user.update";
    const entries: AuditEntry[] = [
      { action, targetType: "user", targetId: row.id, before: auditView(current), after: change ? { ...auditView(row), ...auditEffects(effects) } : auditView(row) },
      ...subscriptionAudit(effects),
    ];
    await recordAudit(tx, accountId, actorOf(req), entries, req.now);
  }
  const [resource] = await resourcesOf(tx, req, [row]);
  return { status: 200, body: project(resource!, req.query) };
}

/** PUT /Users/{id}: replaces every attribute the client may write; one it leaves out is cleared (active stays as it was). */
async function replace(req: ScimRequest): Promise<ScimResponse> {
  const id = requireId(req.id, "User");
  const body = objectBody(req.body);
  requireSchema(body, schemas.user);
  return req.deps.database.db.transaction(async (tx) => {
    const current = await findScimUser(tx, req.scope.accountId, id, true);
    if (!current) throw notFound(req.id);
    return write(tx, req, current, readUser(body, current.active));
  });
}

async function patch(req: ScimRequest): Promise<ScimResponse> {
  const id = requireId(req.id, "User");
  const ops = readPatchOps(objectBody(req.body));
  return req.deps.database.db.transaction(async (tx) => {
    const current = await findScimUser(tx, req.scope.accountId, id, true);
    if (!current) throw notFound(req.id);
    return write(tx, req, current, readUser(applyPatch(writableView(current), ops), current.active));
  });
}

/** DELETE /Users/{id}: the identity provider deleted the person; 204, and 404 for them from then on. */
async function remove(req: ScimRequest): Promise<ScimResponse> {
  const id = requireId(req.id, "User");
  const { accountId } = req.scope;
  return req.deps.database.db.transaction(async (tx) => {
    const current = await findScimUser(tx, accountId, id, true);
    if (!current) throw notFound(req.id);
    const removed = await softDeleteScimUser(tx, accountId, current, req.now);
    const effects = await applyIdentityChange(tx, req.deps.catalog, accountId, current, "deleted", req.now);
    await recordAudit(
      tx,
      accountId,
      actorOf(req),
      [
        {
          action: "scim.user.delete",
          targetType: "user",
          targetId: id,
          before: { ...auditView(current), groupIds: removed.groupIds, directAssignments: removed.directAssignments },
          after: auditEffects(effects),
        },
        ...subscriptionAudit(effects),
      ],
      req.now,
    );
    return { status: 204 };
  });
}

/** /scim/v2/Users (issue 8). */
export const usersHandler: ScimHandler = async (req) => {
  if (req.id === null) {
    if (req.method === "GET") return list(req, req.query);
    if (req.method === "POST") return create(req);
    throw new ScimError(405, `${req.method} is not supported on /Users; use GET or POST`);
  }
  if (req.id === ".search") {
    if (req.method === "POST") return search(req);
    throw new ScimError(405, "/Users/.search takes POST");
  }
  switch (req.method) {
    case "GET":
      return get(req);
    case "PUT":
      return replace(req);
    case "PATCH":
      return patch(req);
    case "DELETE":
      return remove(req);
    default:
      throw new ScimError(405, `${req.method} is not supported on /Users/{id}; use GET, PUT, PATCH or DELETE`);
  }
};
