import type { Executor, Tx } from "@seatdesk/db";

/** A user's month after an event, as the answer shows it. */
export interface UsageState {
  periodId: string;
  periodEnd: string;
  allowanceCc: number;
  usedCc: number;
  includedCc: number;
  overageCc: number;
  unbilledCc: number;
}

/** What an accepted event answers; stored with the event, so a retry answers it again (edge cases 8 and 14). */
export interface EventResult {
  idempotencyKey: string;
  userId: string;
  includedCc: number;
  overageCc: number;
  unbilledCc: number;
  stoppedBy: string | null;
  activated: boolean;
  state: UsageState;
}

/** An answer, and whether it is the stored answer of an event seen before. */
export type Recorded = EventResult & { replayed: boolean };

export type Database = Executor & { transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T> };
