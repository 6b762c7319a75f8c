import { consoleProcedure, router } from "../trpc/init";

/**
 * The catalog the server runs with (DESIGN.md §2, "Catalog: it is data, not code paths"): tiers by rank with
 * their price and monthly credits, and the overage price. The console shows these and nothing of its own, so
 * a server started with another catalog is shown as it bills. The same for every profile and every account.
 */
export const catalogRouter = router({
  get: consoleProcedure.query(({ ctx }) => ({
    tiers: ctx.catalog.tiers.map((t) => ({ id: t.id, name: t.name, rank: t.rank, priceCents: t.priceCents, allowanceCenticredits: t.allowanceCenticredits })),
    overageCentsPerCredit: ctx.catalog.overageCentsPerCredit,
  })),
});
