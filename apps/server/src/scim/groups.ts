import { directoryGroups, type Executor } from "@seatdesk/db";
import { auditEffects, changedSomething } from "../services/directory";
import { objectBody, requireId, requireSchema, ScimError, schemas, type ScimHandler, type ScimRequest, type ScimResponse } from "./common";
import { checkDisplayName, checkExternalId, memberIds, originsOf, patchOperations, planGroupPatch } from "./group-patch";
import { findGroup, groupColumns, listGroups, memberIdsOf, membersOf, projectGroup, toScimGroup, wantsMembers, type GroupRow } from "./group-read";
import {
  audit,
  changeMembers,
  deleteGroup,
  effectAudit,
  memberAudit,
  requireFreeName,
  requireMembers,
  scimTransaction,
  updateGroupRow,
  type Tx,
} from "./group-write";

/**
 * /scim/v2/Groups (issue 8; RFC 7643 §4.2, RFC 7644 §3): list with filter and paging, get, create, replace
 * (PUT), PATCH with members paths, delete. A group's members are directory users of the same account;
 * changing them changes subscriptions at once wherever the group has a tier (see group-write.ts).
 */

/** A body attribute in any case (SCIM attribute names are case-insensitive, RFC 7643 §2.1). */
function attr(body: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : body[key];
}

const notFound = (id: string) => new ScimError(404, `Group ${id} not found`);

/** The group as the request asks to see it (members read only when shown). */
async function representation(db: Executor, req: ScimRequest, row: GroupRow) {
  const members = wantsMembers(req.query) ? ((await membersOf(db, req.scope.accountId, [row.id])).get(row.id) ?? []) : null;
  return projectGroup(toScimGroup(row, members, req.baseUrl), req.query);
}

async function getOne(req: ScimRequest): Promise<ScimResponse> {
  const id = requireId(req.id, "Group");
  const row = await findGroup(req.deps.database.db, req.scope.accountId, id);
  if (!row) throw notFound(id);
  return { status: 200, body: await representation(req.deps.database.db, req, row) };
}

/** POST /Groups: 201 with Location; a name taken in any case is 409 uniqueness; members given are added. */
async function create(req: ScimRequest): Promise<ScimResponse> {
  const body = objectBody(req.body);
  requireSchema(body, schemas.group);
  const displayName = checkDisplayName(attr(body, "displayName"));
  const externalId = checkExternalId(attr(body, "externalId"));
  const members = originsOf(memberIds(attr(body, "members") ?? [], "members"));
  const { accountId } = req.scope;
  return scimTransaction(req, async (tx) => {
    await requireFreeName(tx, accountId, displayName, null);
    const [row] = await tx
      .insert(directoryGroups)
      .values({ accountId, displayName, externalId, createdAt: req.now, updatedAt: req.now })
      .onConflictDoNothing()
      .returning(groupColumns);
    if (!row) throw new ScimError(409, `displayName: a group named "${displayName}" already exists`, "uniqueness");
    await requireMembers(tx, accountId, members);
    const changes = await changeMembers(tx, req.deps.catalog, accountId, row.id, [...members.keys()], [], req.now);
    await audit(
      tx,
      req.scope,
      [{ action: "scim.group.create", targetType: "group", targetId: row.id, after: { displayName, externalId } }, ...memberAudit(row.id, changes)],
      req.now,
    );
    const resource = await representation(tx, req, row);
    return { status: 201, body: resource, location: `${req.baseUrl}/Groups/${row.id}` };
  });
}

/**
 * The name, externalId and members of a group after a PUT or PATCH: the name checked free, members to add
 * checked, then written, the rules re-run, and every change audited. Returns the stored row.
 */
async function applyChange(
  tx: Tx,
  req: ScimRequest,
  group: GroupRow,
  next: { displayName: string; externalId: string | null; add: Map<string, string>; remove: string[] },
): Promise<GroupRow> {
  const { accountId } = req.scope;
  const renamed = next.displayName !== group.displayName;
  if (renamed && next.displayName.toLowerCase() !== group.displayName.toLowerCase()) await requireFreeName(tx, accountId, next.displayName, group.id);
  await requireMembers(tx, accountId, next.add);
  const changes = await changeMembers(tx, req.deps.catalog, accountId, group.id, [...next.add.keys()], next.remove, req.now);
  const scalarChanged = renamed || next.externalId !== group.externalId;
  const entries = [
    ...(scalarChanged
      ? [
          {
            action: "scim.group.update",
            targetType: "group",
            targetId: group.id,
            before: { displayName: group.displayName, externalId: group.externalId },
            after: { displayName: next.displayName, externalId: next.externalId },
          },
        ]
      : []),
    ...memberAudit(group.id, changes),
  ];
  if (!scalarChanged && changes.added.length === 0 && changes.removed.length === 0) return group;
  await updateGroupRow(tx, accountId, group.id, next, req.now);
  await audit(tx, req.scope, entries, req.now);
  return { ...group, displayName: next.displayName, externalId: next.externalId, updatedAt: req.now };
}

/**
 * PUT /Groups/{id} (RFC 7644 §3.5.1): displayName and externalId as sent; `members` as sent replaces the
 * whole list (`[]` empties it). An omitted `members` is "not asserted" (the RFC allows either reading) and
 * leaves the members as they are: a PUT that only renames must not cancel everyone's subscription.
 */
async function replace(req: ScimRequest): Promise<ScimResponse> {
  const id = requireId(req.id, "Group");
  const body = objectBody(req.body);
  requireSchema(body, schemas.group);
  const displayName = checkDisplayName(attr(body, "displayName"));
  const sentExternalId = attr(body, "externalId");
  const sentMembers = attr(body, "members");
  const members = sentMembers === undefined || sentMembers === null ? null : originsOf(memberIds(sentMembers, "members"));
  return scimTransaction(req, async (tx) => {
    const group = await findGroup(tx, req.scope.accountId, id, "no key update");
    if (!group) throw notFound(id);
    const externalId = sentExternalId === undefined ? group.externalId : checkExternalId(sentExternalId);
    let add = new Map<string, string>();
    let remove: string[] = [];
    if (members) {
      const current = new Set(await memberIdsOf(tx, req.scope.accountId, id));
      add = new Map([...members].filter(([m]) => !current.has(m)));
      remove = [...current].filter((m) => !members.has(m));
    }
    const row = await applyChange(tx, req, group, { displayName, externalId, add, remove });
    return { status: 200, body: await representation(tx, req, row) };
  });
}

/**
 * PATCH /Groups/{id} (RFC 7644 §3.5.2): add / replace / remove in any case, on members (a list, a
 * `members[value eq "id"]` filter, all of them), displayName, externalId, or with no path (Entra's
 * `{"op": "Replace", "value": {"id": ..., "displayName": ...}}`). 204 No Content, or 200 with the group
 * when the request asks for attributes (RFC 7644 §3.5.2: either is allowed).
 */
async function patch(req: ScimRequest): Promise<ScimResponse> {
  const id = requireId(req.id, "Group");
  const ops = patchOperations(req.body);
  const { accountId } = req.scope;
  return scimTransaction(req, async (tx) => {
    const group = await findGroup(tx, accountId, id, "no key update");
    if (!group) throw notFound(id);
    const plan = await planGroupPatch(group, ops, async () => (await membersOf(tx, accountId, [id])).get(id) ?? []);
    let add = new Map<string, string>();
    let remove: string[] = [];
    if (plan.members?.kind === "delta") {
      add = plan.members.add;
      remove = [...plan.members.remove];
    } else if (plan.members?.kind === "full") {
      const wanted = plan.members.members;
      const current = new Set(await memberIdsOf(tx, accountId, id));
      add = new Map([...wanted].filter(([m]) => !current.has(m)));
      remove = [...current].filter((m) => !wanted.has(m));
    }
    const row = await applyChange(tx, req, group, { displayName: plan.displayName, externalId: plan.externalId, add, remove });
    if (!req.query.has("attributes") && !req.query.has("excludedAttributes")) return { status: 204 };
    return { status: 200, body: await representation(tx, req, row) };
  });
}

/** DELETE /Groups/{id}: 204; members lose the coverage the group gave them, in the same transaction. */
async function remove(req: ScimRequest): Promise<ScimResponse> {
  const id = requireId(req.id, "Group");
  return scimTransaction(req, async (tx) => {
    const group = await findGroup(tx, req.scope.accountId, id, "update");
    if (!group) throw notFound(id);
    const gone = await deleteGroup(tx, req.deps.catalog, req.scope.accountId, id, req.now);
    await audit(
      tx,
      req.scope,
      [
        {
          action: "scim.group.delete",
          targetType: "group",
          targetId: id,
          before: { displayName: group.displayName, externalId: group.externalId, members: gone.memberIds.length, assignments: gone.assigned },
          after: auditEffects(gone.effects),
        },
        ...effectAudit(gone.effects.filter(changedSomething), id),
      ],
      req.now,
    );
    return { status: 204 };
  });
}

export const groupsHandler: ScimHandler = async (req) => {
  switch (req.method) {
    case "GET":
      return req.id === null ? { status: 200, body: await listGroups(req) } : getOne(req);
    case "POST":
      if (req.id !== null) throw new ScimError(405, "POST goes to /Groups, not to one group");
      return create(req);
    case "PUT":
      return replace(req);
    case "PATCH":
      return patch(req);
    case "DELETE":
      return remove(req);
    default:
      throw new ScimError(405, `${req.method} is not supported on /Groups`);
  }
};
