import { TRPCError } from "@trpc/server";
import { and, desc, eq } from "drizzle-orm";
import { z } from "zod";
import { computeCharge, inForce, lastActiveFilterKinds, ledgerFor, maxActivityDays, periodOf, tierIds, type ChangeOutcome, type TierId } from "@seatdesk/domain";
import { notices, subscriptions, userListStatuses } from "@seatdesk/db";
import { applyAssignments } from "../services/assign";
import { adminActor } from "../services/audit";
import { listGroupsTab } from "../services/groups-tab";
import { loadLedgers } from "../services/ledgers";
import { previewTargets } from "../services/preview";
import { toDomain, type UserChange } from "../services/reconcile";
import { resolveTargets, targetsInput, targetsSchema, type ResolvedTargets } from "../services/targets";
import { decodeCursor } from "../services/cursor";
import { countUsersTab, listUsersTab, type UsersTabFilters } from "../services/users-tab";
import { decodeSortCursor, usersSorts } from "../services/users-sort";
import type { Context } from "../trpc/context";
import { profileAdminProcedure, profileProcedure, profileReadProcedure, router } from "../trpc/init";
import { toWire } from "../wire";

export const usersPageSize = 50;

const pageInput = z.object({
  search: z.string().max(200).optional(),
  cursor: z.string().max(2000).nullish(),
  limit: z.number().int().min(1).max(200).default(usersPageSize),
});
const activityDays = z.number().int().min(1).max(maxActivityDays);
/** The Users tab's filters: the one object its pages (usersListInput) and its count both take. */
const usersFilterInput = z.object({
  search: pageInput.shape.search,
  status: z.enum(userListStatuses).optional(),
  tier: z.enum(tierIds).optional(),
  /** Only users with overage this month. */
  overage: z.boolean().optional(),
  /** Only users with a change scheduled for the 1st. */
  scheduled: z.boolean().optional(),
  /** Only current subscriptions last active before N days ago (idle), within the last N days, or never active. */
  lastActive: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal(lastActiveFilterKinds[0]), days: activityDays }),
      z.object({ kind: z.literal(lastActiveFilterKinds[1]), days: activityDays }),
      z.object({ kind: z.literal(lastActiveFilterKinds[2]) }),
    ])
    .optional(),
  /** Only current subscriptions whose allowance runs out this month, by this month's forecast. */
  runsOutThisMonth: z.boolean().optional(),
});
/** A page of the Users tab: its filters, a sort and direction, and the cursor the last page gave out. */
const usersListInput = usersFilterInput.extend({
  cursor: pageInput.shape.cursor,
  limit: pageInput.shape.limit,
  /** By name (the default), last active, or credits used this month. */
  sort: z.enum(usersSorts).optional(),
  /** "asc" (A to Z, least first; the default) or "desc". Users without a last active or credits come last either way. */
  order: z.enum(["asc", "desc"]).optional(),
});

/** The filters as the service takes them, from either input. */
function filtersOf(ctx: { accountId: string; profile: { id: string }; clock: { now(): Date } }, input: z.infer<typeof usersFilterInput>): UsersTabFilters {
  return {
    accountId: ctx.accountId,
    profileId: ctx.profile.id,
    search: input.search,
    status: input.status,
    tier: input.tier,
    overage: input.overage,
    scheduled: input.scheduled,
    lastActive: input.lastActive,
    runsOutThisMonth: input.runsOutThisMonth,
    now: ctx.clock.now(),
  };
}
const withTier = targetsSchema({ tier: z.enum(tierIds) });

function cursorOf(cursor: string | null | undefined): [string, string] | null {
  if (!cursor) return null;
  const after = decodeCursor(cursor);
  if (!after) throw new TRPCError({ code: "BAD_REQUEST", message: "cursor: not a cursor this list gave out" });
  return after;
}

/** When an outcome takes effect, for the answer "what happened and when (now / on the 1st)". */
function whenOf(outcome: ChangeOutcome): { when: "now" | "next-month" | "nothing"; at: Date | null } {
  switch (outcome.kind) {
    case "downgrade-scheduled":
      return { when: "next-month", at: outcome.at };
    case "canceled":
      return { when: "next-month", at: outcome.accessEndsAt };
    case "unchanged":
    case "none":
      return { when: "nothing", at: null };
    default:
      return { when: "now", at: null };
  }
}

interface ProfileCtx extends Context {
  accountId: string;
  session: NonNullable<Context["session"]>;
  profile: { id: string; accountId: string; cancelAccess: "end-of-month" | "immediate" };
}

/**
 * Sets (or with null removes) the assignments of users and groups in one transaction, re-runs the rules for
 * every user they touch, audits each target and each subscription that changed, and answers per target.
 */
async function changeAssignments(
  ctx: ProfileCtx,
  targets: { userIds: string[]; groupIds: string[] },
  tier: TierId | null,
  action: "subscribe" | "change-plan" | "unsubscribe",
  guard?: (resolved: ResolvedTargets, assigned: Map<string, TierId>) => void,
) {
  const now = ctx.clock.now();
  const { accountId, profile } = ctx;
  return ctx.database.db.transaction(async (tx) => {
    const resolved = await resolveTargets(tx, accountId, targets);
    const { changes } = await applyAssignments(tx, ctx.catalog, profile, resolved, tier, { action, by: adminActor(ctx.session) }, now, guard && ((before) => guard(resolved, before)));
    const byUser = new Map(changes.map((c) => [c.userId, c]));

    const userResult = (c: UserChange) => {
      const sub = c.after ? inForce(c.after, now) : null;
      return {
        userId: c.userId,
        name: resolved.names.get(c.userId) ?? null,
        outcome: c.outcome,
        ...whenOf(c.outcome),
        status: sub?.status ?? null,
        tier: sub?.tier ?? null,
        scheduledTier: sub?.scheduledTier ?? null,
        // Edge case 2: who stays subscribed, and through which groups.
        coveredBy: c.covers.map((cover) => (cover.groupId ? { groupId: cover.groupId, tier: cover.tier } : { groupId: null, tier: cover.tier })),
      };
    };
    return toWire({
      targets: [
        ...resolved.userIds.map((id) => ({ type: "user" as const, id, name: resolved.names.get(id) ?? "", users: [userResult(byUser.get(id)!)] })),
        ...resolved.groupIds.map((id) => ({
          type: "group" as const,
          id,
          name: resolved.names.get(id) ?? "",
          users: (resolved.members.get(id) ?? []).map((u) => userResult(byUser.get(u)!)),
        })),
      ],
      results: changes.map(userResult),
    });
  });
}

export const subscriptionsRouter = router({
  /** The Users tab: one row per directory user, their subscription in this profile, where the tier comes from, this month's credits. */
  list: profileReadProcedure.input(usersListInput).query(({ ctx, input }) => {
    const sort = input.sort ?? "name";
    const order = input.order ?? "asc";
    const keyed = sort === "name" || !input.cursor ? null : decodeSortCursor(input.cursor, sort, order);
    if (sort !== "name" && input.cursor && !keyed) throw new TRPCError({ code: "BAD_REQUEST", message: "cursor: not a cursor this list gave out for this sort and order" });
    // Already in wire form (instants as ISO strings): the hot read skips a JSON round trip.
    return listUsersTab(ctx.readDb, ctx.catalog, {
      ...filtersOf(ctx, input),
      sort,
      order,
      after: sort === "name" ? cursorOf(input.cursor) : null,
      sortAfter: keyed,
      limit: input.limit,
      searchIndex: ctx.directorySearch,
    });
  }),

  /**
   * How many users the Users tab lists with these filters and search (every page together): a query of its
   * own, so the pages stay one keyset read each.
   */
  count: profileReadProcedure.input(usersFilterInput).query(async ({ ctx, input }) => ({ count: await countUsersTab(ctx.readDb, filtersOf(ctx, input)) })),

  /**
   * One user's page: their Users-tab row (tier and where it comes from, status, last active, this month's
   * credits), this month's charge so far, and their notices, newest first.
   */
  user: profileReadProcedure.input(z.object({ userId: z.uuid() })).query(async ({ ctx, input }) => {
    const now = ctx.clock.now();
    const page = await listUsersTab(ctx.readDb, ctx.catalog, { accountId: ctx.accountId, profileId: ctx.profile.id, userId: input.userId, limit: 1, now });
    const row = page.rows[0];
    if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "userId: no such user in this account" });
    const period = periodOf(now);
    const [stored] = await ctx.readDb
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.accountId, ctx.accountId), eq(subscriptions.profileId, ctx.profile.id), eq(subscriptions.userId, input.userId)));
    const ledgers = await loadLedgers(ctx.readDb, ctx.accountId, ctx.profile.id, period, [input.userId]);
    const ledger = ledgers.get(input.userId) ?? (stored ? ledgerFor(period, toDomain(stored), null) : null);
    const charge = ledger ? computeCharge(ctx.catalog, ledger, period) : null;
    const userNotices = await ctx.readDb
      .select({ id: notices.id, period: notices.period, kind: notices.kind, detail: notices.detail, createdAt: notices.createdAt })
      .from(notices)
      .where(and(eq(notices.accountId, ctx.accountId), eq(notices.profileId, ctx.profile.id), eq(notices.userId, input.userId)))
      .orderBy(desc(notices.createdAt))
      .limit(50);
    return {
      row,
      periodId: period.id,
      charge: charge && (charge.feeCents > 0 || charge.overageCents > 0 || charge.feeTier) ? { ...charge, totalCents: charge.feeCents + charge.overageCents } : null,
      notices: toWire(userNotices),
    };
  }),

  /** The Groups tab: groups with the tier assigned in this profile, members and subscribed members. */
  listGroups: profileReadProcedure.input(pageInput.extend({ assignedOnly: z.boolean().optional() })).query(async ({ ctx, input }) =>
    listGroupsTab(ctx.readDb, {
      accountId: ctx.accountId,
      profileId: ctx.profile.id,
      search: input.search,
      assignedOnly: input.assignedOnly,
      after: cursorOf(input.cursor),
      limit: input.limit,
      now: ctx.clock.now(),
    }),
  ),

  /** Subscribes users and groups to a tier (new subscriptions are Pending). All or nothing. */
  subscribe: profileAdminProcedure
    .input(withTier)
    .mutation(({ ctx, input }) => changeAssignments(ctx, input, input.tier, "subscribe")),

  /** Changes the plan of subscribed users or assigned groups: an upgrade now, a downgrade on the 1st (the rules decide). */
  changePlan: profileAdminProcedure
    .input(withTier)
    .mutation(({ ctx, input }) =>
      changeAssignments(ctx, input, input.tier, "change-plan", (resolved, assigned) => {
        const group = resolved.groupIds.findIndex((id) => !assigned.has(id));
        if (group >= 0) {
          throw new TRPCError({ code: "PRECONDITION_FAILED", message: `groupIds.${group}: ${resolved.names.get(resolved.groupIds[group]!)} has no plan in this profile; subscribe it first` });
        }
      }),
    ),

  /** Deactivates plans: removes the users' own and the groups' assignments; users still covered by a group stay subscribed. */
  unsubscribe: profileAdminProcedure.input(targetsInput).mutation(({ ctx, input }) => changeAssignments(ctx, input, null, "unsubscribe")),

  /** What subscribe / change plan (a tier) or unsubscribe (null) would do, per user, with the money; writes nothing. */
  previewChange: profileProcedure
    .input(targetsSchema({ tier: z.enum(tierIds).nullable() }))
    .query(async ({ ctx, input }) => {
      const now = ctx.clock.now();
      const resolved = await resolveTargets(ctx.database.db, ctx.accountId, input);
      const previews = await previewTargets(ctx.database.db, ctx.catalog, ctx.profile, resolved, input.tier, now);
      const users = [...previews].map(([userId, p]) => ({ userId, name: resolved.names.get(userId) ?? null, ...p }));
      return toWire({
        users,
        thisMonthDeltaEstimateCents: users.reduce((s, u) => s + u.thisMonthEstimateCents.delta, 0),
        nextMonthCents: users.reduce((s, u) => s + u.nextMonthCents, 0),
      });
    }),
});
