import { DomainError } from "../errors/domain-error";
import type { TierId } from "./tier";

export interface Tier {
  id: TierId;
  name: string;
  /** Higher rank is a higher tier (DESIGN.md §2, "Catalog"). */
  rank: number;
  priceCents: number;
  /** Credits included per month, in hundredths of a credit. */
  allowanceCenticredits: number;
}

export interface Catalog {
  tiers: readonly Tier[];
  /** Overage price per whole credit, in cents. Sub-cent amounts arise per 0.01 credit and are rounded once per line. */
  overageCentsPerCredit: number;
}

/**
 * The default catalog of DESIGN.md §2: Pro $20 / 1,000, Pro+ $40 / 2,000, Power $200 / 10,000; overage $0.04.
 * Plain data (a test runs it through loadCatalog), so importing it costs the console no validator.
 */
export const defaultCatalog: Catalog = {
  tiers: [
    { id: "pro", name: "Pro", rank: 1, priceCents: 2_000, allowanceCenticredits: 100_000 },
    { id: "pro_plus", name: "Pro+", rank: 2, priceCents: 4_000, allowanceCenticredits: 200_000 },
    { id: "power", name: "Power", rank: 3, priceCents: 20_000, allowanceCenticredits: 1_000_000 },
  ],
  overageCentsPerCredit: 4,
};

export function getTier(catalog: Catalog, id: string): Tier {
  const tier = catalog.tiers.find((t) => t.id === id);
  if (!tier) throw new DomainError("UNKNOWN_TIER", `Unknown tier "${id}"; expected one of ${catalog.tiers.map((t) => t.id).join(", ")}`, "tier");
  return tier;
}

/** Compare two tiers by rank: negative when a is lower than b. */
export function compareTiers(catalog: Catalog, a: TierId, b: TierId): number {
  return getTier(catalog, a).rank - getTier(catalog, b).rank;
}

/** The highest of several tiers (DESIGN.md §2 "effective tier"); null when there are none. */
export function highestTier(catalog: Catalog, tiers: Iterable<TierId>): TierId | null {
  let best: Tier | null = null;
  for (const id of tiers) {
    const t = getTier(catalog, id);
    if (!best || t.rank > best.rank) best = t;
  }
  return best ? best.id : null;
}
