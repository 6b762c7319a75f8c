import { describe, expect, it } from "vitest";
import { assertCap, budgetRoomCenticredits, capRoomCenticredits, overageAllowed, overageSwitches, resolveUserCap, resolveUserCapWithSource, type Cap, type OverageSwitch } from "./limits";

type CapInput = { userOverride: Cap | null; groupOverrides: readonly Cap[]; profileDefault: Cap | null };

describe("resolveUserCap (DESIGN.md §2 Overages and caps, edge case 5)", () => {
  it.each<[string, CapInput, Cap]>([
    ["the user's own override wins over groups and the default", { userOverride: 3_000, groupOverrides: [5_000], profileDefault: 10_000 }, 3_000],
    ["the user's own override wins even when lower than every group's", { userOverride: 100, groupOverrides: ["unlimited", 9_000], profileDefault: 10_000 }, 100],
    ["the user's own override wins even when it is 0", { userOverride: 0, groupOverrides: [5_000], profileDefault: 10_000 }, 0],
    ["the user's own override can lift the limit: unlimited", { userOverride: "unlimited", groupOverrides: [5_000], profileDefault: 10_000 }, "unlimited"],
    ["else the most generous of the groups' overrides", { userOverride: null, groupOverrides: [2_000, 7_000, 5_000], profileDefault: 1_000 }, 7_000],
    ["else the most generous of the groups': unlimited beats any number", { userOverride: null, groupOverrides: [2_000, "unlimited", 5_000], profileDefault: 1_000 }, "unlimited"],
    ["unlimited beats numbers wherever it is in the list", { userOverride: null, groupOverrides: ["unlimited", 2_000], profileDefault: 1_000 }, "unlimited"],
    ["edge case 5: a group override wins over the profile default even when lower", { userOverride: null, groupOverrides: [500], profileDefault: 10_000 }, 500],
    ["edge case 5: a group override of 0 wins over the profile default", { userOverride: null, groupOverrides: [0], profileDefault: 10_000 }, 0],
    ["edge case 5: a group override wins over an unlimited profile default", { userOverride: null, groupOverrides: [0, 300], profileDefault: "unlimited" }, 300],
    ["else the profile default", { userOverride: null, groupOverrides: [], profileDefault: 10_000 }, 10_000],
    ["a profile default of 0 is a cap of 0, not 'none'", { userOverride: null, groupOverrides: [], profileDefault: 0 }, 0],
    ["none at all means no cap", { userOverride: null, groupOverrides: [], profileDefault: null }, "unlimited"],
  ])("%s", (_, input, expected) => {
    expect(resolveUserCap(input)).toEqual(expected);
  });
});

describe("overageAllowed: the per-user switch (DESIGN.md §2 Overages and caps)", () => {
  it("the switches are inherit, on, off", () => {
    expect(overageSwitches).toEqual(["inherit", "on", "off"]);
  });

  it.each<[string, boolean, OverageSwitch, boolean]>([
    ["inherit follows the profile: enabled", true, "inherit", true],
    ["inherit follows the profile: disabled (the default)", false, "inherit", false],
    ["on allows overage where the profile does not", false, "on", true],
    ["on with the profile enabled", true, "on", true],
    ["off blocks overage where the profile allows it", true, "off", false],
    ["off with the profile disabled", false, "off", false],
  ])("%s", (_, profileEnabled, userSwitch, expected) => {
    expect(overageAllowed(profileEnabled, userSwitch)).toBe(expected);
  });
});

describe("budgetRoomCenticredits: the profile's monthly budget, compared with exact money (edge case 6)", () => {
  it.each<[string, number | null, number, number, number | null]>([
    ["no budget: no limit", null, 123_456, 4, null],
    ["$1.00 at 4 cents per credit admits 2,500 centicredits (25 credits)", 100, 0, 4, 2_500],
    ["what was accepted already counts against it", 100, 1_000, 4, 1_500],
    ["used exactly to the budget: 0 left", 100, 2_500, 4, 0],
    ["used beyond the budget (it was lowered): 0 left, nothing taken back", 100, 4_000, 4, 0],
    ["a budget of 0 admits nothing", 0, 0, 4, 0],
    ["compared before rounding: 12 cc cost 0.48 cents (rounds to 0), the 1-cent budget has 13 cc left, not 25", 1, 12, 4, 13],
    ["compared before rounding: 13 cc cost 0.52 cents (rounds to 1), the 1-cent budget still has 12 cc left, not 0", 1, 13, 4, 12],
    ["a room that does not divide evenly is rounded down, never past the budget: $1 at 3 cents per credit → 3,333 cc", 100, 0, 3, 3_333],
  ])("%s", (_, budgetCents, usedCc, rate, expected) => {
    expect(budgetRoomCenticredits(budgetCents, usedCc, rate)).toBe(expected);
  });
});

describe("capRoomCenticredits: what the user's cap still admits", () => {
  it.each<[string, Cap, number, number | null]>([
    ["unlimited: no limit", "unlimited", 5_000, null],
    ["a cap with nothing used yet", 500, 0, 500],
    ["a cap partly used", 500, 200, 300],
    ["a cap exactly used: 0", 500, 500, 0],
    ["a cap lowered below what was used: 0, nothing taken back (edge case 6)", 500, 800, 0],
    ["a cap of 0", 0, 0, 0],
  ])("%s", (_, cap, usedCc, expected) => {
    expect(capRoomCenticredits(cap, usedCc)).toBe(expected);
  });
});

describe("assertCap: a number of centicredits or unlimited (edge case 5)", () => {
  it.each<Cap>(["unlimited", 0, 1, 100_000])("accepts %s", (cap) => {
    expect(assertCap(cap, "cap")).toBe(cap);
  });

  it.each<[string, Cap]>([
    ["a negative number", -1],
    ["a fraction", 1.5],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["another string", "none" as Cap],
  ])("refuses %s, naming the field", (_, cap) => {
    expect(() => assertCap(cap, "groupOverrides[2]")).toThrow(expect.objectContaining({ name: "DomainError", code: "INVALID_INPUT", field: "groupOverrides[2]" }));
  });
});

describe("resolveUserCapWithSource: edge case 5 names where the cap came from", () => {
  it.each([
    [{ userOverride: 0, groupOverrides: [500], profileDefault: 100 }, { cap: 0, source: "user" }],
    [{ userOverride: null, groupOverrides: [5, "unlimited" as const], profileDefault: 100 }, { cap: "unlimited", source: "group" }],
    [{ userOverride: null, groupOverrides: [5], profileDefault: 100 }, { cap: 5, source: "group" }],
    [{ userOverride: null, groupOverrides: [], profileDefault: 100 }, { cap: 100, source: "profile" }],
    [{ userOverride: null, groupOverrides: [], profileDefault: null }, { cap: "unlimited", source: "none" }],
  ])("%j → %j", (input, expected) => {
    expect(resolveUserCapWithSource(input)).toEqual(expected);
  });
});
