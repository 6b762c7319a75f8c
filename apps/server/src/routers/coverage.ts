import { adminActor, recordAudit } from "../services/audit";
import { inSnapshot } from "../services/billing";
import { coverageReport, repairCoverage } from "../services/coverage";
import { profileAdminProcedure, profileProcedure, router } from "../trpc/init";
import { toWire } from "../wire";

/**
 * Reconciliation (issue 8): proof that every member of a subscribed group holds a subscription and that
 * no subscription is left without an assignment covering it, and a repair that hands whatever is off back
 * to the rules.
 */
export const coverageRouter = router({
  /**
   * For each group with a tier in the profile, its members without a Pending or Active subscription
   * (`uncovered`), and the Pending or Active subscriptions that no assignment covers (`orphans`); both
   * should be empty. One consistent snapshot.
   */
  report: profileProcedure.query(async ({ ctx }) => {
    const now = ctx.clock.now();
    return toWire(await inSnapshot(ctx.database.db, (tx) => coverageReport(tx, ctx.accountId, ctx.profile.id, now)));
  }),

  /** Reconciles every user the report names, in one transaction, audited with the counts. */
  repair: profileAdminProcedure.mutation(async ({ ctx }) => {
    const now = ctx.clock.now();
    return ctx.database.db.transaction(async (tx) => {
      const result = await repairCoverage(tx, ctx.catalog, ctx.profile, now);
      await recordAudit(
        tx,
        ctx.accountId,
        adminActor(ctx.session),
        [
          {
            profileId: ctx.profile.id,
            action: "coverage.repair",
            targetType: "profile",
            targetId: ctx.profile.id,
            before: { uncovered: result.uncoveredBefore, orphans: result.orphansBefore },
            after: { repaired: result.repaired, outcomes: result.outcomes, userIds: result.userIds.slice(0, 1000) },
          },
        ],
        now,
      );
      return { repaired: result.repaired, uncoveredBefore: result.uncoveredBefore, orphansBefore: result.orphansBefore };
    });
  }),
});
