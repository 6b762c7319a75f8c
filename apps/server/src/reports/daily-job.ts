import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { and, asc, eq, sql } from "drizzle-orm";
import { activityFileName, activityReportColumns, activityReportColumnVersion, dayFileAction, dayIsFinal, dayOf, needsRewrite, reportDaysThrough, type WrittenDay } from "@seatdesk/domain";
import { activityReportFiles, profiles, rowsOf, type Db, type Executor } from "@seatdesk/db";
import type { ScheduledJob } from "@seatdesk/scheduler";
import { writeActivityCsv } from "./activity";
import { dayEventCount, type ReportProfile } from "./source";

/**
 * The daily activity report files (issue 15): after 00:00 UTC, for every profile, each day that has ended and
 * has no file yet is written to `<reportDir>/<account id>/<profile id>/activity-YYYY-MM-DD.csv`, beside a
 * `manifest.json` listing every file with its day, rows, SHA-256 and column version. Late events follow the
 * domain's rule (report/files.ts dayFileAction): a file written while its month was open is checked once
 * after the month closes and rewritten, with a new checksum, when the day gained events.
 *
 * Two workers never write the same profile at once: each profile is done in one transaction holding a
 * transaction-level advisory lock taken with try (the other worker skips the profile: it is being done), and
 * the table's primary key (account, profile, day) keeps one record per day. Files are written to a temporary
 * name, synced and renamed over the final one, so a reader never sees half a file; a crash between the rename
 * and the commit leaves a file the next run writes again, under the same name. Re-running writes nothing new.
 */

const reportLockKey = (profileId: string) => sql`hashtextextended('seatdesk.report:' || ${profileId}::text, 0)`;

interface FileRecord extends WrittenDay {
  day: string;
  fileName: string;
  rows: number;
  sha256: string;
  columnVersion: number;
  writtenAt: Date;
}

export interface ReportJobCounts {
  profiles: number;
  written: number;
  rewritten: number;
  sealed: number;
  busy: number;
}

/** Writes `chunks` to `path` atomically: a temporary file beside it, synced, then renamed over it. Returns the SHA-256. */
async function writeAtomically(path: string, produce: (write: (chunk: string) => Promise<void>) => Promise<void>): Promise<string> {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const hash = createHash("sha256");
  const file = await open(temp, "w");
  // Each chunk is encoded into one reused buffer: a new Buffer per chunk cost more than the encoding itself
  // (bench:report). Every write is awaited before the next chunk comes, so the buffer is free again by then.
  let scratch = Buffer.allocUnsafe(1 << 20);
  try {
    await produce(async (chunk) => {
      if (scratch.length < chunk.length * 3) scratch = Buffer.allocUnsafe(chunk.length * 3);
      const length = scratch.write(chunk, 0, "utf8");
      hash.update(scratch.subarray(0, length));
      for (let at = 0; at < length; ) at += (await file.write(scratch, at, length - at)).bytesWritten;
    });
    await file.sync();
  } catch (e) {
    await file.close();
    await rm(temp, { force: true });
    throw e;
  }
  await file.close();
  await rename(temp, path);
  return hash.digest("hex");
}

async function writeDayFile(tx: Executor, folder: string, profile: ReportProfile, day: Date, now: Date): Promise<{ rows: number; events: number; sha256: string; fileName: string }> {
  const fileName = activityFileName(day);
  let counts = { rows: 0, events: 0 };
  const sha256 = await writeAtomically(join(folder, fileName), async (write) => {
    counts = await writeActivityCsv(tx, profile, [day], now, write);
  });
  return { ...counts, sha256, fileName };
}

/** The profile's manifest, from its records (the table is the source of truth; the file is rewritten whole). */
async function writeManifest(folder: string, profile: ReportProfile, records: readonly FileRecord[]): Promise<void> {
  const manifest = {
    accountId: profile.accountId,
    profileId: profile.id,
    columnVersion: activityReportColumnVersion,
    columns: activityReportColumns.map((c) => c.name),
    files: records.map((r) => ({
      day: r.day,
      file: r.fileName,
      rows: r.rows,
      events: r.events,
      sha256: r.sha256,
      columnVersion: r.columnVersion,
      writtenAt: r.writtenAt.toISOString(),
      final: r.final,
    })),
  };
  await writeAtomically(join(folder, "manifest.json"), (write) => write(`${JSON.stringify(manifest, null, 2)}\n`));
}

async function recordsOf(tx: Executor, profile: ReportProfile): Promise<FileRecord[]> {
  const rows = await tx
    .select()
    .from(activityReportFiles)
    .where(and(eq(activityReportFiles.accountId, profile.accountId), eq(activityReportFiles.profileId, profile.id)))
    .orderBy(asc(activityReportFiles.day));
  return rows.map((r) => ({ day: r.day, fileName: r.fileName, rows: r.rows, sha256: r.sha256, columnVersion: r.columnVersion, writtenAt: r.writtenAt, events: r.events, final: r.final }));
}

async function manifestMissing(folder: string): Promise<boolean> {
  return readFile(join(folder, "manifest.json")).then(
    () => false,
    () => true,
  );
}

/** One profile's due days, inside one transaction under the profile's report lock; null when another worker holds it. */
async function runProfile(db: Db, dir: string, profile: ReportProfile & { createdAt: Date }, now: Date, signal?: AbortSignal): Promise<Omit<ReportJobCounts, "profiles" | "busy"> | null> {
  return db.transaction(async (tx) => {
    const [lock] = rowsOf<{ locked: boolean }>(await tx.execute(sql`select pg_try_advisory_xact_lock(${reportLockKey(profile.id)}) as locked`));
    if (!lock?.locked) return null;
    const counts = { written: 0, rewritten: 0, sealed: 0 };
    const folder = join(dir, profile.accountId, profile.id);
    const known = new Map((await recordsOf(tx, profile)).map((r) => [r.day, r]));
    let changed = false;
    for (const day of reportDaysThrough(profile.createdAt, now)) {
      if (signal?.aborted) break;
      const id = dayOf(day);
      const record = known.get(id) ?? null;
      const action = dayFileAction(day, record, now);
      if (action === "none") continue;
      if (!changed) await mkdir(folder, { recursive: true });
      changed = true;
      const final = dayIsFinal(day, now);
      if (action === "final-check" && record) {
        if (!needsRewrite(record, await dayEventCount(tx, profile, day))) {
          await tx
            .update(activityReportFiles)
            .set({ final: true })
            .where(and(eq(activityReportFiles.accountId, profile.accountId), eq(activityReportFiles.profileId, profile.id), eq(activityReportFiles.day, id)));
          counts.sealed++;
          continue;
        }
      }
      const file = await writeDayFile(tx, folder, profile, day, now);
      const values = { fileName: file.fileName, rows: file.rows, sha256: file.sha256, columnVersion: activityReportColumnVersion, writtenAt: now, events: file.events, final };
      await tx
        .insert(activityReportFiles)
        .values({ accountId: profile.accountId, profileId: profile.id, day: id, ...values })
        .onConflictDoUpdate({ target: [activityReportFiles.accountId, activityReportFiles.profileId, activityReportFiles.day], set: values });
      if (record) counts.rewritten++;
      else counts.written++;
    }
    if (changed || (known.size > 0 && (await manifestMissing(folder)))) {
      await mkdir(folder, { recursive: true });
      await writeManifest(folder, profile, await recordsOf(tx, profile));
    }
    return counts;
  });
}

/** The scheduled job (apps/server/src/jobs.ts); without a report folder it does nothing. */
export const activityReportJob: ScheduledJob = {
  name: "activity-report",
  async run(db, now, options) {
    const counts: ReportJobCounts = { profiles: 0, written: 0, rewritten: 0, sealed: 0, busy: 0 };
    const dir = options.reportDir;
    if (!dir) return { ...counts };
    const list = await db
      .select({ accountId: profiles.accountId, id: profiles.id, overagesEnabled: profiles.overagesEnabled, defaultCapCc: profiles.defaultCapCc, createdAt: profiles.createdAt })
      .from(profiles)
      .where(options.accountId ? eq(profiles.accountId, options.accountId) : undefined)
      .orderBy(asc(profiles.accountId), asc(profiles.id));
    for (const profile of list) {
      if (options.signal?.aborted) break;
      const done = await runProfile(db, dir, profile, now, options.signal);
      counts.profiles++;
      if (!done) {
        counts.busy++;
        continue;
      }
      counts.written += done.written;
      counts.rewritten += done.rewritten;
      counts.sealed += done.sealed;
    }
    return { ...counts };
  },
};

/** The path of a profile's folder (tests, the README's layout). */
export const reportFolderOf = (dir: string, accountId: string, profileId: string) => join(dir, accountId, profileId);