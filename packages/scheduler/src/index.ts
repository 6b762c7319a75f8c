/**
 * The month close and monthly transitions (DESIGN.md §2 "Transitions are effective-dated", §3).
 * Filled in by the month-close work; the package exists now so the import flow of DESIGN.md §3 is checked from the start.
 */
export {};
