import { z } from "zod";
import { inForce, maxTargetsPerCall } from "@seatdesk/domain";
import type { Executor } from "@seatdesk/db";
import { adminActor, recordAudit, type AuditEntry } from "../services/audit";
import {
  changedSomething,
  createDirectoryGroup,
  createDirectoryUser,
  deleteMemberships,
  directoryUserStatuses,
  getDirectoryUser,
  insertMemberships,
  listDirectoryGroups,
  listDirectoryUsers,
  listGroupMembers,
  maxEmailLength,
  maxNameLength,
  readCursor,
  requireGroup,
  requireUsers,
  rerunRulesForMemberships,
  type MembershipEffect,
} from "../services/directory";
import { applyImport, checkCsv, maxCsvBytes, planImport } from "../services/directory-csv";
import type { Context } from "../trpc/context";
import { adminProcedure, consoleProcedure, router } from "../trpc/init";
import { toWire } from "../wire";

/** Default page size of the directory lists. */
export const directoryPageSize = 50;

const pageInput = {
  search: z.string().max(200).optional(),
  cursor: z.string().max(2000).nullish(),
  limit: z.number().int().min(1).max(200).default(directoryPageSize),
};

const name = (max: number) => z.string().trim().min(1, "required").max(max, `at most ${max} characters`);
const email = z.string().trim().max(maxEmailLength, `at most ${maxEmailLength} characters`).pipe(z.email("not a valid e-mail address"));

const membersInput = z.object({
  groupId: z.uuid(),
  userIds: z
    .array(z.uuid())
    .min(1, "choose at least one user")
    .max(maxTargetsPerCall, `at most ${maxTargetsPerCall} users in one call`),
});

/** What a membership change did to each user's subscription, per profile where the group is assigned. */
/** Each user's subscription as it is in force after the change (effective-dated, as subscriptions.* answer it). */
const effectResults = (effects: MembershipEffect[], now: Date) =>
  effects.map((e) => {
    const sub = e.after ? inForce(e.after, now) : null;
    return { userId: e.userId, profileId: e.profileId, outcome: e.outcome, status: sub?.status ?? null, tier: sub?.tier ?? null };
  });

/** Audit entries for the subscriptions a membership change moved, one per user and profile. */
const effectAudit = (effects: MembershipEffect[], groupId: string): AuditEntry[] =>
  effects.filter(changedSomething).map((e) => ({
    profileId: e.profileId,
    action: "subscription.group-membership",
    targetType: "user",
    targetId: e.userId,
    before: { groupId, subscription: e.before },
    after: { groupId, subscription: e.after },
  }));

interface AdminCtx extends Context {
  accountId: string;
  session: NonNullable<Context["session"]>;
}

/**
 * Adds users to a group or removes them, in one transaction and all or nothing: an unknown group or user
 * and nothing is written. `write` changes the memberships of the (de-duplicated) users and names those it
 * changed; then the rules re-run in every profile where the group is assigned, and the audit records the
 * membership change (when there was one) and each subscription it moved.
 */
async function changeMembers(
  ctx: AdminCtx,
  input: z.infer<typeof membersInput>,
  write: (tx: Executor, userIds: string[]) => Promise<{ changed: string[]; audit: Pick<AuditEntry, "action" | "before" | "after"> }>,
) {
  const now = ctx.clock.now();
  return ctx.database.db.transaction(async (tx) => {
    await requireGroup(tx, ctx.accountId, input.groupId);
    await requireUsers(tx, ctx.accountId, input.userIds);
    const userIds = [...new Set(input.userIds)];
    const { changed, audit } = await write(tx, userIds);
    const effects = await rerunRulesForMemberships(
      tx,
      ctx.catalog,
      ctx.accountId,
      userIds.map((userId) => ({ groupId: input.groupId, userId })),
      now,
    );
    await recordAudit(
      tx,
      ctx.accountId,
      adminActor(ctx.session),
      [...(changed.length > 0 ? [{ ...audit, targetType: "group", targetId: input.groupId }] : []), ...effectAudit(effects, input.groupId)],
      now,
    );
    return { count: changed.length, results: effectResults(effects, now) };
  });
}

export const directoryRouter = router({
  /** Directory users in name order, keyset-paginated, each with their groups; deleted users never appear. */
  listUsers: consoleProcedure
    .input(z.object({ ...pageInput, status: z.enum(directoryUserStatuses).optional() }))
    .query(async ({ ctx, input }) =>
      toWire(
        await listDirectoryUsers(ctx.database.db, {
          accountId: ctx.accountId,
          search: input.search,
          status: input.status,
          after: readCursor(input.cursor),
          limit: input.limit,
        }),
      ),
    ),

  /** One user and their groups. */
  getUser: consoleProcedure.input(z.object({ userId: z.uuid() })).query(async ({ ctx, input }) => toWire(await getDirectoryUser(ctx.database.db, ctx.accountId, input.userId))),

  /** Groups in name order, keyset-paginated, with member counts. */
  listGroups: consoleProcedure
    .input(z.object(pageInput))
    .query(async ({ ctx, input }) =>
      toWire(await listDirectoryGroups(ctx.database.db, { accountId: ctx.accountId, search: input.search, after: readCursor(input.cursor), limit: input.limit })),
    ),

  /** Members of one group in name order, keyset-paginated. */
  groupMembers: consoleProcedure.input(z.object({ groupId: z.uuid(), ...pageInput })).query(async ({ ctx, input }) =>
    toWire(
      await listGroupMembers(ctx.database.db, {
        accountId: ctx.accountId,
        groupId: input.groupId,
        search: input.search,
        after: readCursor(input.cursor),
        limit: input.limit,
      }),
    ),
  ),

  /** Adds a user by hand (the demo); the user name defaults to the e-mail and is unique per account, any case. */
  createUser: adminProcedure
    .input(z.object({ userName: name(maxEmailLength).optional(), displayName: name(maxNameLength), email }))
    .mutation(async ({ ctx, input }) => {
      const now = ctx.clock.now();
      return ctx.database.db.transaction(async (tx) => {
        const user = await createDirectoryUser(tx, ctx.accountId, input, now);
        await recordAudit(tx, ctx.accountId, adminActor(ctx.session), [{ action: "directory.user.create", targetType: "user", targetId: user.id, after: user }], now);
        return toWire(user);
      });
    }),

  /** Adds a group by hand; names are unique per account, any case. */
  createGroup: adminProcedure.input(z.object({ displayName: name(maxNameLength) })).mutation(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      const group = await createDirectoryGroup(tx, ctx.accountId, input.displayName, now);
      await recordAudit(tx, ctx.accountId, adminActor(ctx.session), [{ action: "directory.group.create", targetType: "group", targetId: group.id, after: group }], now);
      return toWire(group);
    });
  }),

  /**
   * Adds users to a group, then re-runs the rules in every profile where the group is assigned: a user
   * added to a subscribed group is Pending there at once. All or nothing: one unknown id and nothing is written.
   */
  addMembers: adminProcedure.input(membersInput).mutation(async ({ ctx, input }) => {
    const { count, results } = await changeMembers(ctx, input, async (tx, userIds) => {
      const added = (await insertMemberships(tx, ctx.accountId, userIds.map((userId) => ({ groupId: input.groupId, userId })))).map((m) => m.userId);
      return { changed: added, audit: { action: "directory.group.add-members", after: { added } } };
    });
    return toWire({ added: count, results });
  }),

  /**
   * Removes users from a group, then re-runs the rules in every profile where the group is assigned: each
   * one's effective tier is recomputed, and with nothing left covering them the domain cancels or removes them.
   */
  removeMembers: adminProcedure.input(membersInput).mutation(async ({ ctx, input }) => {
    const { count, results } = await changeMembers(ctx, input, async (tx, userIds) => {
      const removed = await deleteMemberships(tx, ctx.accountId, input.groupId, userIds);
      return { changed: removed, audit: { action: "directory.group.remove-members", before: { removed } } };
    });
    return toWire({ removed: count, results });
  }),

  /**
   * CSV import of users and group memberships (columns email, display_name, user_name, groups). `validate`
   * writes nothing and reports; `import` writes nothing from a file with errors unless `skipInvalidRows`,
   * and then only the valid rows. The report is an answer, not an error: the console shows it row by row.
   */
  importCsv: adminProcedure
    .input(
      z.object({
        csv: z.string().refine((s) => Buffer.byteLength(s, "utf8") <= maxCsvBytes, `at most ${maxCsvBytes / 1024 / 1024} MB`),
        mode: z.enum(["validate", "import"]),
        skipInvalidRows: z.boolean().default(false),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const now = ctx.clock.now();
      const checked = checkCsv(input.csv);
      return ctx.database.db.transaction(async (tx) => {
        const plan = await planImport(tx, ctx.accountId, checked.validRows);
        const errors = [...checked.errors, ...plan.errors].sort((a, b) => a.row - b.row);
        const valid = checked.fileError ? 0 : checked.validRows.length - plan.errors.length;
        const blocked = checked.fileError || (errors.length > 0 && !input.skipInvalidRows);
        const report = { mode: input.mode, rows: checked.rows, valid, errors };
        const none = { created: 0, updated: 0, unchanged: 0, groupsCreated: 0, membershipsAdded: 0, subscriptionsChanged: 0 };
        if (blocked) return toWire({ ...report, imported: false, ...none });
        if (input.mode === "validate") {
          // What `import` with the same options would do; what the rules then do is only known by doing it.
          const wouldDo = {
            created: plan.creates.length,
            updated: plan.updates.length,
            unchanged: plan.unchanged,
            groupsCreated: plan.newGroups.size,
            membershipsAdded: plan.membershipsAdded,
            subscriptionsChanged: 0,
          };
          return toWire({ ...report, imported: false, ...wouldDo });
        }
        const result = await applyImport(tx, ctx.catalog, ctx.accountId, plan, now);
        const changed = result.effects.filter(changedSomething);
        const outcomes: Record<string, number> = {};
        for (const e of changed) outcomes[e.outcome.kind] = (outcomes[e.outcome.kind] ?? 0) + 1;
        const counts = {
          created: result.created,
          updated: result.updated,
          unchanged: result.unchanged,
          groupsCreated: result.groupsCreated,
          membershipsAdded: result.membershipsAdded,
          subscriptionsChanged: changed.length,
        };
        // One entry for the whole file (the issue: "one audit entry summarizing the import").
        await recordAudit(
          tx,
          ctx.accountId,
          adminActor(ctx.session),
          [{ action: "directory.import", targetType: "directory", after: { rows: checked.rows, valid, skipped: checked.rows - valid, ...counts, subscriptionOutcomes: outcomes } }],
          now,
        );
        return toWire({ ...report, imported: true, ...counts });
      });
    }),
});
