import type { Catalog } from "@seatdesk/domain";
import type { Db } from "@seatdesk/db";

/** What a scheduled job is given besides the database and `now`. */
export interface JobOptions {
  catalog: Catalog;
  /** Only this account's profiles (the test clock moves one account; the worker's --account). */
  accountId?: string;
  /** Set when the process is stopping: a job finishes the unit of work under way and returns. */
  signal?: AbortSignal;
  /** Where the daily activity report files go (issue 15; SEATDESK_REPORT_DIR); unset: none are written. */
  reportDir?: string | undefined;
  /** Usage retention in months (SEATDESK_USAGE_RETENTION_MONTHS): older months' events are archived; 0 or unset: kept. */
  usageRetentionMonths?: number | undefined;
}

/**
 * Work the scheduler does on every run besides the month close (issue 15): each job is idempotent and
 * catches up by itself (a run after a long pause, or a test clock moved a month, does every day missed),
 * and answers counts for the run's log line.
 */
export interface ScheduledJob {
  name: string;
  run(db: Db, now: Date, options: JobOptions): Promise<Record<string, number>>;
}

export interface JobsSummary {
  /** Per job: its counts, or the error that stopped it (the other jobs still run). */
  results: Record<string, Record<string, number> | { error: string }>;
  failed: number;
}

/**
 * Runs each job once at `now`, in order; one job's failure is reported and does not stop the others. The
 * list is the server's (apps/server/src/jobs.ts: some jobs act through the server's services), run after
 * each month close by the worker, the embedded server and the test clock.
 */
export async function runScheduledJobs(db: Db, now: Date, jobs: readonly ScheduledJob[], options: JobOptions): Promise<JobsSummary> {
  const results: JobsSummary["results"] = {};
  let failed = 0;
  for (const job of jobs) {
    if (options.signal?.aborted) break;
    try {
      results[job.name] = await job.run(db, now, options);
    } catch (e) {
      failed++;
      results[job.name] = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  return { results, failed };
}
