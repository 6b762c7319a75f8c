/** Profile setting `firstMonth` (DESIGN.md §2, "Charges"). */
export const firstMonthModes = ["full", "prorated"] as const;
export type FirstMonthMode = (typeof firstMonthModes)[number];
