import { describe, expect, it } from "vitest";
import { DomainError } from "../errors/domain-error";
import { compareTiers, defaultCatalog, getTier, highestTier } from "./catalog";
import { loadCatalog } from "./load-catalog";

describe("catalog (DESIGN.md §2, Catalog)", () => {
  it("the default catalog is valid and is Pro $20 / 1,000, Pro+ $40 / 2,000, Power $200 / 10,000, overage $0.04", () => {
    expect(loadCatalog(defaultCatalog)).toEqual(defaultCatalog);
    expect(defaultCatalog.tiers.map((t) => [t.name, t.priceCents, t.allowanceCenticredits / 100])).toEqual([
      ["Pro", 2000, 1000],
      ["Pro+", 4000, 2000],
      ["Power", 20000, 10000],
    ]);
    expect(defaultCatalog.overageCentsPerCredit).toBe(4);
  });

  it("sorts tiers by rank on load", () => {
    const loaded = loadCatalog({ ...defaultCatalog, tiers: [...defaultCatalog.tiers].reverse() });
    expect(loaded.tiers.map((t) => t.id)).toEqual(["pro", "pro_plus", "power"]);
  });

  it.each([
    ["a non-positive price", { tiers: [{ ...defaultCatalog.tiers[0], priceCents: 0 }], overageCentsPerCredit: 4 }, /tiers\.0\.priceCents/],
    ["non-positive credits", { tiers: [{ ...defaultCatalog.tiers[0], allowanceCenticredits: -1 }], overageCentsPerCredit: 4 }, /tiers\.0\.allowanceCenticredits/],
    ["duplicate ranks", { tiers: [defaultCatalog.tiers[0], { ...defaultCatalog.tiers[1], rank: 1 }], overageCentsPerCredit: 4 }, /ranks must be unique/],
    ["duplicate ids", { tiers: [defaultCatalog.tiers[0], { ...defaultCatalog.tiers[0], rank: 9 }], overageCentsPerCredit: 4 }, /ids must be unique/],
    ["an unknown tier id", { tiers: [{ ...defaultCatalog.tiers[0], id: "gold" }], overageCentsPerCredit: 4 }, /tiers\.0\.id/],
    ["no overage price", { tiers: defaultCatalog.tiers }, /overageCentsPerCredit/],
    ["no tiers", { tiers: [], overageCentsPerCredit: 4 }, /tiers/],
  ])("refuses %s", (_, input, message) => {
    expect(() => loadCatalog(input)).toThrow(message);
    expect(() => loadCatalog(input)).toThrow(DomainError);
  });

  it("effective tier: the highest of several wins; none is null", () => {
    expect(highestTier(defaultCatalog, ["pro", "power", "pro_plus"])).toBe("power");
    expect(highestTier(defaultCatalog, ["pro", "pro"])).toBe("pro");
    expect(highestTier(defaultCatalog, [])).toBeNull();
    expect(compareTiers(defaultCatalog, "pro", "pro_plus")).toBeLessThan(0);
  });

  it("an unknown tier is a domain error naming the field", () => {
    expect(() => getTier(defaultCatalog, "gold")).toThrow(expect.objectContaining({ code: "UNKNOWN_TIER", field: "tier" }));
  });
});
