import { readdirSync, readFileSync } from "node:fs";
import postgres from "postgres";

/** A benchmark's own PostgreSQL database: created fresh, dropped at the end and on Ctrl-C or SIGTERM. */
export interface BenchDatabase {
  /** `seatdesk_bench_<kind>_<pid>` (BENCH_DATABASE_PREFIX replaces `seatdesk_bench`) */
  name: string;
  /** DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) with this database's name. */
  url: string;
  create(): Promise<void>;
  /**
   * A copy of the database as it is now (CREATE DATABASE … TEMPLATE, file by file), named `<name>_<suffix>`: to time
   * several runs from the same rows. No session may be open on the database while it is copied. The copy is
   * dropped by its `drop`, or with the database.
   */
  copy(suffix: string): Promise<{ name: string; url: string; drop(): Promise<void> }>;
  /** Drops the database and its copies if they were made (safe to call twice); then ends the admin connection. */
  dispose(): Promise<void>;
}

/**
 * Only the host, port and role of DATABASE_URL are used, so a development database is never touched.
 * `onInterrupt` runs first when the run is interrupted (a child process to stop, a folder to remove).
 */
export function benchDatabase(kind: string, say: (line: string) => void, onInterrupt: () => void = () => {}): BenchDatabase {
  const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  // BENCH_DATABASE_PREFIX: another prefix for the names (a shared server where each person has their own).
  const name = `${process.env.BENCH_DATABASE_PREFIX ?? "seatdesk_bench"}_${kind}_${process.pid}`;
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  let created = false;
  const copies = new Set<string>();
  const dropCopy = async (copy: string) => {
    if (!copies.delete(copy)) return;
    await admin.unsafe(`drop database if exists "${copy}" with (force)`);
  };
  const drop = async () => {
    for (const copy of [...copies]) await dropCopy(copy);
    if (!created) return;
    created = false;
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  };
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      say("\nInterrupted: dropping the bench database.");
      onInterrupt();
      void drop()
        .catch((e: unknown) => say(`Could not drop ${name}: ${String(e)}`))
        .finally(() => process.exit(signal === "SIGTERM" ? 143 : 130));
    });
  }
  return {
    name,
    url: u.toString(),
    create: async () => {
      await admin.unsafe(`create database "${name}"`);
      created = true;
    },
    copy: async (suffix) => {
      const copy = `${name}_${suffix}`;
      copies.add(copy);
      // FILE_COPY: the files as they are, after a checkpoint (the default, WAL_LOG, writes every page to the WAL as well).
      // Before PostgreSQL 15 there is no choice of strategy, and file by file is the only way.
      await admin.unsafe(`create database "${copy}" template "${name}" strategy file_copy`).catch(async (e: unknown) => {
        if (!(e instanceof Error && /strategy/i.test(e.message))) throw e;
        await admin.unsafe(`create database "${copy}" template "${name}"`);
      });
      const c = new URL(u);
      c.pathname = `/${copy}`;
      return { name: copy, url: c.toString(), drop: () => dropCopy(copy) };
    },
    dispose: async () => {
      await drop();
      await admin.end({ timeout: 5 });
    },
  };
}

/** The mean of a benchmark's figures (NaN for none): each figure of a run alternating its configurations is the mean of its runs. */
export const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

/**
 * CPU time (user + system) of a process or thread from /proc, in ms; null where there is no /proc. On a shared
 * 2-core machine throughput moves with whatever else runs, CPU spent much less, so benchmarks report both.
 */
export function cpuMs(statPath: string): number | null {
  try {
    const stat = readFileSync(statPath, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in ticks of 1/100 s (CLK_TCK)
  } catch {
    return null;
  }
}

/**
 * CPU ms of every PostgreSQL process on this machine (backends, WAL writer, checkpointer, …), by pid; empty
 * where there is no /proc or PostgreSQL runs elsewhere. The difference of two samples is what the server spent.
 */
export function postgresCpu(): Map<number, number> {
  const out = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "postgres") continue;
    } catch {
      continue;
    }
    const ms = cpuMs(`/proc/${pid}/stat`);
    if (ms !== null) out.set(Number(pid), ms);
  }
  return out;
}

/**
 * CPU ms spent between two postgresCpu samples; NaN without /proc. Processes started meanwhile count from zero;
 * those that ended meanwhile (an autovacuum worker, a closed connection's backend) are not counted, so this is
 * what PostgreSQL spent at least.
 */
export function postgresCpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  if (after.size === 0) return Number.NaN;
  let spent = 0;
  for (const [pid, ms] of after) spent += ms - (before.get(pid) ?? 0);
  return spent;
}
