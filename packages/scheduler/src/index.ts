/**
 * The month close and monthly transitions (DESIGN.md §2 "Transitions are effective-dated", §3): a
 * library the server runs in embedded mode and on its test clock, and a worker entry point (worker.ts).
 */
export { billPeriod, billPeriods, toLedger, toSubscription, type BillingProfile, type PeriodBill } from "./bill";
export { closeBatch, closeDue, closeNext, lastClosablePeriod, nextToClose, previousPeriod, type CloseOutcome, type CloseProgress, type CloseSummary, type ProfileRef } from "./close";
