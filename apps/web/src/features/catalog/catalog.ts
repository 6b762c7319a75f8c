import type { Catalog, Tier, TierId } from "@seatdesk/domain";
import { formatMoney } from "../../lib/format";

/**
 * Names and prices as the server's catalog says (`catalog.get`, DESIGN.md §2 "Catalog: it is data"). The console
 * bundles no catalog of its own: what it shows is what the server bills with.
 */

/** "Pro+"; the id itself for a tier the catalog does not know (an old audit entry, say). */
export function tierName(catalog: Catalog, id: TierId | string): string {
  return catalog.tiers.find((t) => t.id === id)?.name ?? id;
}

export function tierById(catalog: Catalog, id: TierId): Tier | undefined {
  return catalog.tiers.find((t) => t.id === id);
}

/** A tier id the catalog knows, from a value read back from the audit log or a URL. */
export function isCatalogTier(catalog: Catalog, value: unknown): value is TierId {
  return typeof value === "string" && catalog.tiers.some((t) => t.id === value);
}

/** The price of one credit of overage: "$0.04". */
export function overagePrice(catalog: Catalog): string {
  return formatMoney(catalog.overageCentsPerCredit);
}

/** The lowest tier by rank, where a choice of tier starts. A catalog has at least one tier (the server validates it on load). */
export function firstTier(catalog: Catalog): TierId {
  const tier = catalog.tiers[0];
  if (!tier) throw new Error("The server's catalog has no tiers");
  return tier.id;
}
