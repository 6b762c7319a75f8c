/**
 * The month close and monthly transitions (DESIGN.md §2 "Transitions are effective-dated", §3): a
 * library the server runs in embedded mode, on its test clock and in its worker (apps/server/src/worker.ts).
 * The periods to close come from the domain (lastClosablePeriod, nextToClose); stored rows are read with
 * @seatdesk/db's mappers and its SQL forms of inForce.
 */
export { billPeriod, billPeriods, type BillingProfile, type PeriodBill } from "./bill";
export { closeBatch, closeDue, closeNext, type CloseOutcome, type CloseProgress, type CloseSummary, type ProfileRef } from "./close";
export { runScheduledJobs, type JobOptions, type JobsSummary, type ScheduledJob } from "./jobs";
export { archiveUsage, createUsagePartitions, usageMonthsAhead, usagePartitionsJob } from "./partitions";
