/**
 * The usage path (issue 5; DESIGN.md §2 "Usage"), what the routers and benchmarks import. One file per concern:
 * parse.ts (validation, no I/O), load.ts (the locks and the one read), record.ts (the transaction: the rules,
 * idempotency, closed periods), write.ts (the one write), coalesce.ts (concurrent single events recorded
 * together), turns.ts (batches naming a common user take turns), check.ts (usage.check and usage.activate).
 */
export { recordEvents } from "./coalesce";
export { activateUser, checkEntitlement } from "./check";
export type { UsageEventInput, UserRef } from "./parse";
export type { EventResult, Recorded, UsageState } from "./types";
