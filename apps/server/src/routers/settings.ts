import { TRPCError } from "@trpc/server";
import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { cancelAccessModes, firstMonthModes, overageSwitches as overageSwitchValues, type Cap, type OverageSwitch } from "@seatdesk/domain";
import { capOverrides, directoryGroups, directoryUsers, overageSwitches, profiles, type Executor } from "@seatdesk/db";
import { adminActor, recordAudit } from "../services/audit";
import { idleSettingKeys, idleSettingsInput, idleSettingsOf, mergeIdleSettings } from "../services/idle";
import { previewIdle } from "../services/idle-automation";
import {
  capCenticredits,
  effectiveLimitsOf,
  loadGroupOverride,
  loadOverrides,
  loadUserGroupCaps,
  loadUserOverride,
  lockProfile,
  maxBudgetCents,
  maxCapCredits,
  settingsOf,
  wireCap,
  wireCapToDomain,
  type ProfileSettings,
} from "../services/settings";
import { profileAdminProcedure, profileProcedure, router } from "../trpc/init";

const capCredits = z
  .number()
  .min(0, "must be 0 or more")
  .max(maxCapCredits, `at most ${maxCapCredits.toLocaleString("en-US")} credits; use "unlimited" for no cap`);

/** An override's cap: credits, "unlimited", or null to remove the override. */
const overrideCap = z.union([capCredits, z.literal("unlimited"), z.null()], {
  error: 'a number of credits, "unlimited", or null to remove the override',
});

const updateInput = z.object({
  overagesEnabled: z.boolean().optional(),
  cancelAccess: z.enum(cancelAccessModes).optional(),
  firstMonth: z.enum(firstMonthModes).optional(),
  /** null: no per-user cap by default. */
  defaultCapCredits: capCredits.nullable().optional(),
  /** Whole cents; null: no profile budget. */
  budgetCents: z
    .number()
    .int("a whole number of cents")
    .min(0, "must be 0 or more")
    .max(maxBudgetCents, `at most ${maxBudgetCents} cents`)
    .nullable()
    .optional(),
  ...idleSettingsInput.partial().shape,
});

const userOverrideInput = z.object({
  userId: z.uuid(),
  /** Omitted: unchanged. */
  cap: overrideCap.optional(),
  /** Omitted: unchanged; "inherit" removes the switch. */
  overage: z.enum(overageSwitchValues).optional(),
});

const groupOverrideInput = z.object({ groupId: z.uuid(), cap: overrideCap });

const settingKeys = ["overagesEnabled", "cancelAccess", "firstMonth", "defaultCapCredits", "budgetCents", ...idleSettingKeys] as const satisfies readonly (keyof ProfileSettings)[];

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, value[k]])) as Pick<T, K>;
}

async function requireUser(tx: Executor, accountId: string, userId: string) {
  const [user] = await tx
    .select({ id: directoryUsers.id })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.accountId, accountId), eq(directoryUsers.id, userId), isNull(directoryUsers.deletedAt)));
  if (!user) throw new TRPCError({ code: "NOT_FOUND", message: `userId: no user ${userId} in this account` });
}

async function requireGroup(tx: Executor, accountId: string, groupId: string) {
  const [group] = await tx
    .select({ id: directoryGroups.id })
    .from(directoryGroups)
    .where(and(eq(directoryGroups.accountId, accountId), eq(directoryGroups.id, groupId)));
  if (!group) throw new TRPCError({ code: "NOT_FOUND", message: `groupId: no group ${groupId} in this account` });
}

type OverrideTarget = { accountId: string; profileId: string } & ({ userId: string; groupId?: undefined } | { groupId: string; userId?: undefined });

/** Writes (or, for null, removes) one cap override row; a row with a null cap_cc is "unlimited". */
async function writeCapOverride(tx: Executor, key: OverrideTarget, cap: Cap | null) {
  const [column, id] = key.userId !== undefined ? [capOverrides.userId, key.userId] : [capOverrides.groupId, key.groupId];
  if (cap === null) {
    await tx.delete(capOverrides).where(and(eq(capOverrides.accountId, key.accountId), eq(capOverrides.profileId, key.profileId), eq(column, id)));
    return;
  }
  const capCc = cap === "unlimited" ? null : cap;
  await tx
    .insert(capOverrides)
    .values({ accountId: key.accountId, profileId: key.profileId, userId: key.userId ?? null, groupId: key.groupId ?? null, capCc })
    .onConflictDoUpdate({
      target: [capOverrides.accountId, capOverrides.profileId, column],
      targetWhere: sql`${column} is not null`,
      set: { capCc },
    });
}

const wireOrNull = (cap: Cap | null) => (cap === null ? null : wireCap(cap));

export const settingsRouter = router({
  /** The profile's settings (DESIGN.md §2, "Overages and caps") with every user and group override, named. */
  get: profileProcedure.query(async ({ ctx }) => {
    const overrides = await loadOverrides(ctx.database.db, ctx.accountId, ctx.profile.id);
    return { profileId: ctx.profile.id, ...settingsOf(ctx.profile), ...overrides };
  }),

  /**
   * Changes profile settings; effective at once for every user (nothing already accepted is taken back:
   * edge case 6). One audit entry with the changed fields before and after; nothing changed, no entry.
   */
  update: profileAdminProcedure.input(updateInput).mutation(async ({ ctx, input }) => {
    const given = settingKeys.filter((k) => input[k] !== undefined);
    if (given.length === 0) throw new TRPCError({ code: "BAD_REQUEST", message: `input: nothing to change; give at least one of ${settingKeys.join(", ")}` });
    const defaultCapCc =
      input.defaultCapCredits === undefined ? undefined : input.defaultCapCredits === null ? null : capCenticredits(input.defaultCapCredits, "defaultCapCredits");
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      const before = settingsOf(await lockProfile(tx, ctx.accountId, ctx.profile.id));
      const idle = mergeIdleSettings(before, input);
      const [row] = await tx
        .update(profiles)
        .set({
          overagesEnabled: input.overagesEnabled,
          cancelAccess: input.cancelAccess,
          firstMonth: input.firstMonth,
          defaultCapCc,
          budgetCents: input.budgetCents,
          ...idle,
        })
        .where(and(eq(profiles.accountId, ctx.accountId), eq(profiles.id, ctx.profile.id)))
        .returning();
      const after = settingsOf(row!);
      const changed = settingKeys.filter((k) => before[k] !== after[k]);
      if (changed.length > 0) {
        await recordAudit(
          tx,
          ctx.accountId,
          adminActor(ctx.session),
          [{ profileId: ctx.profile.id, action: "settings.update", targetType: "profile", targetId: ctx.profile.id, before: pick(before, changed), after: pick(after, changed) }],
          now,
        );
      }
      return { profileId: ctx.profile.id, ...after, changed };
    });
  }),

  /**
   * A user's cap override (credits, "unlimited", or null to remove it) and overage switch ("inherit"
   * removes it). Either may be omitted to leave it as it is.
   */
  setUserOverride: profileAdminProcedure.input(userOverrideInput).mutation(async ({ ctx, input }) => {
    if (input.cap === undefined && input.overage === undefined) {
      throw new TRPCError({ code: "BAD_REQUEST", message: "input: nothing to change; give cap, overage or both" });
    }
    const cap = input.cap === undefined ? undefined : input.cap === null ? null : wireCapToDomain(input.cap, "cap");
    const now = ctx.clock.now();
    const key = { accountId: ctx.accountId, profileId: ctx.profile.id, userId: input.userId };
    return ctx.database.db.transaction(async (tx) => {
      await lockProfile(tx, ctx.accountId, ctx.profile.id);
      await requireUser(tx, ctx.accountId, input.userId);
      const before = await loadUserOverride(tx, ctx.accountId, ctx.profile.id, input.userId);
      const after: { cap: Cap | null; overage: OverageSwitch } = { cap: cap === undefined ? before.cap : cap, overage: input.overage ?? before.overage };
      if (cap !== undefined) await writeCapOverride(tx, key, cap);
      if (input.overage !== undefined) {
        const where = and(eq(overageSwitches.accountId, key.accountId), eq(overageSwitches.profileId, key.profileId), eq(overageSwitches.userId, key.userId));
        if (input.overage === "inherit") await tx.delete(overageSwitches).where(where);
        else
          await tx
            .insert(overageSwitches)
            .values({ ...key, value: input.overage })
            .onConflictDoUpdate({ target: [overageSwitches.accountId, overageSwitches.profileId, overageSwitches.userId], set: { value: input.overage } });
      }
      const wireBefore = { cap: wireOrNull(before.cap), overage: before.overage };
      const wireAfter = { cap: wireOrNull(after.cap), overage: after.overage };
      if (wireBefore.cap !== wireAfter.cap || wireBefore.overage !== wireAfter.overage) {
        await recordAudit(
          tx,
          ctx.accountId,
          adminActor(ctx.session),
          [{ profileId: ctx.profile.id, action: "settings.setUserOverride", targetType: "user", targetId: input.userId, before: wireBefore, after: wireAfter }],
          now,
        );
      }
      return { profileId: ctx.profile.id, userId: input.userId, ...wireAfter };
    });
  }),

  /** A group's cap override: credits, "unlimited", or null to remove it. It applies to members whether or not the group is assigned (edge case 5). */
  setGroupOverride: profileAdminProcedure.input(groupOverrideInput).mutation(async ({ ctx, input }) => {
    const cap = input.cap === null ? null : wireCapToDomain(input.cap, "cap");
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      await lockProfile(tx, ctx.accountId, ctx.profile.id);
      await requireGroup(tx, ctx.accountId, input.groupId);
      const before = wireOrNull(await loadGroupOverride(tx, ctx.accountId, ctx.profile.id, input.groupId));
      await writeCapOverride(tx, { accountId: ctx.accountId, profileId: ctx.profile.id, groupId: input.groupId }, cap);
      const after = wireOrNull(cap);
      if (before !== after) {
        await recordAudit(
          tx,
          ctx.accountId,
          adminActor(ctx.session),
          [{ profileId: ctx.profile.id, action: "settings.setGroupOverride", targetType: "group", targetId: input.groupId, before: { cap: before }, after: { cap: after } }],
          now,
        );
      }
      return { profileId: ctx.profile.id, groupId: input.groupId, cap: after };
    });
  }),

  /**
   * What the idle-seat automation (issue 15) would do now if saved with these values, before saving: seats
   * warned (with what their plans would save a month if deactivated), deactivated and saving, expired. The
   * job asks the same domain decision (services/idle-automation.ts). Writes nothing.
   */
  previewIdle: profileProcedure.input(idleSettingsInput).query(async ({ ctx, input }) => {
    const settings = idleSettingsOf(mergeIdleSettings(settingsOf(ctx.profile), input));
    return { profileId: ctx.profile.id, ...(await previewIdle(ctx.database.db, ctx.catalog, ctx.accountId, ctx.profile.id, settings, ctx.clock.now())) };
  }),

  /** What the rules resolve for one user in this profile: may they run into overage, and up to which cap, set where. */
  effectiveLimits: profileProcedure.input(z.object({ userId: z.uuid() })).query(async ({ ctx, input }) => {
    const db = ctx.database.db;
    await requireUser(db, ctx.accountId, input.userId);
    const own = await loadUserOverride(db, ctx.accountId, ctx.profile.id, input.userId);
    const groupCaps = await loadUserGroupCaps(db, ctx.accountId, ctx.profile.id, input.userId);
    return { profileId: ctx.profile.id, userId: input.userId, ...effectiveLimitsOf(ctx.profile, own, groupCaps) };
  }),
});
