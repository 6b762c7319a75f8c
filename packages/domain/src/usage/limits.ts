import { DomainError } from "../errors/domain-error";

/** A cap or override: a number of centicredits, or no limit (DESIGN.md §2 edge case 5). */
export type Cap = number | "unlimited";

/** Per-user overage switch: `inherit` follows the profile (DESIGN.md §2, "Overages and caps"). */
export const overageSwitches = ["inherit", "on", "off"] as const;
export type OverageSwitch = (typeof overageSwitches)[number];

export function assertCap(cap: Cap, field: string): Cap {
  if (cap === "unlimited") return cap;
  if (!Number.isSafeInteger(cap) || cap < 0) throw new DomainError("INVALID_INPUT", `${field}: a whole number of centicredits ≥ 0, or "unlimited"`, field);
  return cap;
}

export type CapSource = "user" | "group" | "profile" | "none";

/**
 * The user's overage cap and where it comes from (DESIGN.md §2, edge case 5): their own override wins;
 * else the most generous of their groups' overrides (whether or not the group is assigned, and even when
 * lower than the profile default); else the profile default; none at all means no cap.
 */
export function resolveUserCapWithSource(input: { userOverride: Cap | null; groupOverrides: readonly Cap[]; profileDefault: Cap | null }): { cap: Cap; source: CapSource } {
  if (input.userOverride !== null) return { cap: input.userOverride, source: "user" };
  if (input.groupOverrides.length > 0) {
    const cap = input.groupOverrides.reduce<Cap>((best, c) => (best === "unlimited" || c === "unlimited" ? "unlimited" : Math.max(best, c)), 0);
    return { cap, source: "group" };
  }
  if (input.profileDefault !== null) return { cap: input.profileDefault, source: "profile" };
  return { cap: "unlimited", source: "none" };
}

/** The user's overage cap (edge case 5); see resolveUserCapWithSource. */
export function resolveUserCap(input: { userOverride: Cap | null; groupOverrides: readonly Cap[]; profileDefault: Cap | null }): Cap {
  return resolveUserCapWithSource(input).cap;
}

/** Whether overage is allowed for a user: their switch, or the profile's setting when it is `inherit`. */
export function overageAllowed(profileEnabled: boolean, userSwitch: OverageSwitch): boolean {
  return userSwitch === "inherit" ? profileEnabled : userSwitch === "on";
}

/**
 * How many more centicredits of overage the profile's monthly budget admits (DESIGN.md §2, edge case 6):
 * the budget is compared with the exact overage money, before any rounding. null: no budget.
 */
export function budgetRoomCenticredits(budgetCents: number | null, profileOverageCc: number, overageCentsPerCredit: number): number | null {
  if (budgetCents === null) return null;
  // Exact money in hundredths of a cent: cc × rate (cents per credit = cents per 100 cc).
  const left = budgetCents * 100 - profileOverageCc * overageCentsPerCredit;
  return left <= 0 ? 0 : Math.floor(left / overageCentsPerCredit);
}

/** How many more centicredits of overage a user's cap admits; null: no cap. */
export function capRoomCenticredits(cap: Cap, userOverageCc: number): number | null {
  return cap === "unlimited" ? null : Math.max(0, cap - userOverageCc);
}
