import { activityCsvHeader, activityCsvRecord, activityReportColumns, activityReportColumnVersion, dayOf, DomainError, reportRange, type ActivityRow } from "@seatdesk/domain";
import type { Executor } from "@seatdesk/db";
import { dayPage, dayRows, type DayPosition, type ReportProfile } from "./source";

/** A page of the activity report (reports.activity). */
export interface ActivityPage {
  columnVersion: number;
  columns: string[];
  rows: ActivityRow[];
  /** Give it back for the next page; null: the range has no more rows. */
  nextCursor: string | null;
}

const clientPattern = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The keyset cursor: the last row's (day, user, client), as base64url JSON. */
export function encodeReportCursor(day: string, position: DayPosition): string {
  return Buffer.from(JSON.stringify([day, position.userId, position.client])).toString("base64url");
}

function decodeReportCursor(cursor: string): { day: string; position: DayPosition } {
  let value: unknown = null;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = null;
  }
  if (Array.isArray(value) && value.length === 3 && /^\d{4}-\d{2}-\d{2}$/.test(String(value[0])) && uuidPattern.test(String(value[1])) && clientPattern.test(String(value[2]))) {
    return { day: String(value[0]), position: { userId: String(value[1]), client: String(value[2]) } };
  }
  throw new DomainError("INVALID_INPUT", "cursor: not a cursor this report gave out", "cursor");
}

/**
 * One page of rows over [from, to], sorted by day, user id and client (issue 15). Each day is read by its own
 * keyset statement from the cursor's position, so a page costs at most the days it spans, never the pages
 * before it. A cursor from another range is refused naming `cursor`.
 */
export async function activityPage(db: Executor, profile: ReportProfile, input: { from: string; to: string; cursor?: string | null | undefined; limit: number }, now: Date): Promise<ActivityPage> {
  const { days } = reportRange(input.from, input.to);
  const start = input.cursor ? decodeReportCursor(input.cursor) : null;
  let index = start ? days.findIndex((d) => dayOf(d) === start.day) : 0;
  if (index < 0) throw new DomainError("INVALID_INPUT", "cursor: from another range than from and to", "cursor");
  let after = start?.position ?? null;
  const rows: ActivityRow[] = [];
  for (; index < days.length && rows.length < input.limit; index++, after = null) {
    rows.push(...(await dayPage(db, profile, days[index]!, after, input.limit - rows.length, now)));
  }
  const last = rows[rows.length - 1];
  // A full page may be followed by an empty one; a short page is the range's end.
  const more = rows.length === input.limit;
  return {
    columnVersion: activityReportColumnVersion,
    columns: activityReportColumns.map((c) => c.name),
    rows,
    nextCursor: more && last ? encodeReportCursor(last.day, { userId: last.userId, client: last.client }) : null,
  };
}

/**
 * Writes the report of `days` as CSV to `write`, a batch of records at a time, awaiting each write (the
 * caller's back-pressure: a socket's 'drain', a file's write). Returns the rows and events written. Stops
 * between batches once `signal` is aborted (the client went away).
 */
export async function writeActivityCsv(
  db: Executor,
  profile: ReportProfile,
  days: readonly Date[],
  now: Date,
  write: (chunk: string) => Promise<void>,
  signal?: AbortSignal,
): Promise<{ rows: number; events: number }> {
  await write(activityCsvHeader());
  let rows = 0;
  let events = 0;
  for (const day of days) {
    for await (const batch of dayRows(db, profile, day, now)) {
      if (signal?.aborted) return { rows, events };
      let chunk = "";
      for (const row of batch) {
        chunk += activityCsvRecord(row);
        events += row.events;
      }
      rows += batch.length;
      await write(chunk);
    }
  }
  return { rows, events };
}
