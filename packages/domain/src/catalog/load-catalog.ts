import { z } from "zod";
import { DomainError } from "../errors/domain-error";
import type { Catalog } from "./catalog";
import { tierIds } from "./tier";

const tierSchema = z.object({
  id: z.enum(tierIds),
  name: z.string().min(1),
  rank: z.number().int(),
  priceCents: z.number().int().positive(),
  allowanceCenticredits: z.number().int().positive(),
});

const catalogSchema = z.object({
  tiers: z.array(tierSchema).min(1),
  overageCentsPerCredit: z.number().int().positive(),
});

/**
 * Validates a catalog (DESIGN.md §2 "Catalog: it is data, not code paths"):
 * prices and credits positive, ids and ranks unique. Returns the tiers sorted by rank.
 */
export function loadCatalog(input: unknown): Catalog {
  const parsed = catalogSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.join(".") : "catalog";
    throw new DomainError("INVALID_CATALOG", `catalog.${field}: ${issue?.message ?? "invalid"}`, field);
  }
  const { tiers, overageCentsPerCredit } = parsed.data;
  const ids = new Set(tiers.map((t) => t.id));
  if (ids.size !== tiers.length) throw new DomainError("INVALID_CATALOG", "catalog.tiers: tier ids must be unique", "tiers");
  const ranks = new Set(tiers.map((t) => t.rank));
  if (ranks.size !== tiers.length) throw new DomainError("INVALID_CATALOG", "catalog.tiers: ranks must be unique", "tiers");
  return { tiers: [...tiers].sort((a, b) => a.rank - b.rank), overageCentsPerCredit };
}

