/**
 * `pnpm bench:usage`: the usage hot path on PostgreSQL (issue 5, "Performance").
 *
 * 1. Creates a fresh database `seatdesk_bench_usage_<pid>` on the PostgreSQL server of DATABASE_URL
 *    (default postgres://postgres@127.0.0.1:5432/postgres; only its host, port and role are used, so a
 *    development database is never touched), applies the migrations and seeds, in SQL, one account,
 *    one profile with overages on, BENCH_USERS (2,000) directory users subscribed to Pro and already
 *    Active (assignments, subscriptions and this month's ledgers: most part-way through their
 *    allowance, one in ten already in overage) and one profile API key.
 * 2. The ceiling: `pgbench` runs the equivalent debit transaction (BEGIN; UPDATE of one random user's
 *    counters; INSERT of the event with a unique idempotency key; END) with 8 clients, prepared, for
 *    BENCH_SECONDS (15).
 * 3. The bare ceiling (bench/usage-bare.ts): a minimal node:http + postgres.js server in this process
 *    doing the same debit per request in one transaction, JSON in and out, loaded by the clients of the
 *    next step with the same events and concurrency: what a Node service can reach on this machine.
 * 4. Starts the real server in this process (createApp with the deps src/main.ts builds) and drives it
 *    over HTTP from a worker thread, 8 clients on keep-alive connections with the profile key, each
 *    phase 5 s of warm-up then BENCH_SECONDS: single `usage.record` events (random users, unique
 *    keys), `usage.recordBatch` with BENCH_BATCH (500) events, and `usage.check` GETs. The bare server and
 *    the single events are one phase: the same clients alternate between the two servers in slices of
 *    BENCH_SLICE_SECONDS (2.5; bare, single, single, bare, …), each measured BENCH_SECONDS in all, so that
 *    the ratio of the two compares the same moments of the machine. Each phase, pgbench's too, starts from a
 *    settled database (vacuumed, analyzed, checkpointed: settle). The phases run forward (pgbench, bare and
 *    single, batch, check) and then back (check … pgbench; the slices then start with single), and each
 *    figure is the mean of its two rounds (the p99 over both rounds' requests), so that neither side of a ratio gains
 *    from running first on a smaller database or a quieter machine.
 *    Besides rates and latencies, each phase gives the CPU time per request of the server's thread,
 *    of PostgreSQL's backends and of the rest of this process (from /proc, on Linux; with two servers, the
 *    sum over each one's slices): on a shared 2-core machine throughput moves with whatever else runs.
 * 5. Counts the SQL statements one request of each kind issues (a second, counting connection pool),
 *    checks that the bench's accepted events are all stored and that the counters equal the events,
 *    prints a summary and last one JSON line:
 *    {"single_eps":…,"single_p99_ms":…,"batch_eps":…,"check_per_s":…,"ceiling_tps":…,"ratio":…,"bare_eps":…,
 *    "ratio_bare":…,"batch_ratio":…,"check_ratio":…} (ratio = single_eps / ceiling_tps, ratio_bare = single_eps /
 *    bare_eps, batch_ratio = batch_eps / ceiling_tps, check_ratio = check_per_s / bare_eps: the goals are
 *    these ratios, measured in the same run). The database is dropped at the end, also on Ctrl-C.
 *
 * For profiling: BENCH_OVERHEAD=1 adds phases that measure what the HTTP stack costs without the
 * work (a bare node:http handler, a no-op tRPC mutation, a no-op behind the API-key check);
 * BENCH_PROFILE=<dir> writes a V8 CPU profile of the server's thread per phase there and prints
 * where its time went; BENCH_PHASES=single,check runs only some phases; BENCH_ROUNDS=1 runs each once;
 * BENCH_VERBOSE=1 adds the statements of one request, the CPU of each thread of this process, each phase's
 * requests in each of its seconds (warm-up first) and the requests per second of each slice.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { defaultCatalog } from "@seatdesk/domain";
import * as schema from "@seatdesk/db";
import { connect, type Database, type Db } from "@seatdesk/db";
import { benchDatabase, cpuMs, mean } from "@seatdesk/db/bench";
import { systemClock } from "../src/clock";
import { createApp, createContext } from "../src/http/app";
import { jsonLog, silentLog } from "../src/log";
import { defaultRegions } from "../src/regions";
import type { Deps } from "../src/trpc/context";
import { publicProcedure, router, usageProcedure } from "../src/trpc/init";
import { startPgBouncer } from "../test/pgbouncer";
import type { PhaseConfig, PhaseKind, PhaseMessage } from "./usage-clients";
import { bareListener } from "./usage-bare";
import { seedUsage, userId, userIdSql, type Seeded } from "./usage-seed";

const users = Math.max(10, Number(process.env.BENCH_USERS ?? 2_000));
const durationMs = Number(process.env.BENCH_SECONDS ?? 15) * 1000;
/**
 * Each phase's warm-up, unmeasured, the same for every phase. 2 s was too short on this machine (2026-12-07,
 * requests in each second of a phase, BENCH_VERBOSE=1): the bare server's went 590 812 1010 and then
 * 1,050-1,190, usage.record's 516 775 889 and then 870-1,060, even in round 2 with its server warm and
 * without the settle between phases. A phase's clients are a new worker each time, compiled as they run.
 */
const warmupMs = 5_000;
/**
 * The bare server and usage.record are measured in alternating slices of this length (A B B A …), with the
 * first `switchMs` of each unmeasured, not one after the other: on this shared 2-core machine the CPU time
 * a request takes moved between runs of the same code, for both servers and the clients alike (2026-12-08,
 * usage.record's phase alone, four runs: 0.21-0.27 ms of the server's thread and 0.33-0.41 ms of PostgreSQL
 * per event at 1,738-2,181 events/s; the next run 0.40 and 0.58 ms at 1,246 events/s, in both its rounds). A
 * ratio of two phases run 20 s apart took such a change whole; slices give both servers the same moments.
 */
const sliceMs = Number(process.env.BENCH_SLICE_SECONDS ?? 2.5) * 1000;
const switchMs = 250;
const concurrency = Math.max(1, Number(process.env.BENCH_CLIENTS ?? 8));
const batchSize = Math.min(1_000, Math.max(1, Number(process.env.BENCH_BATCH ?? 500)));
/** Credits per event: 0.01 to 2.00, so most users stay within their allowance and some are in overage. */
const maxCredits = 2;
const profileDir = process.env.BENCH_PROFILE;
const overhead = process.env.BENCH_OVERHEAD === "1";
/** `transaction` or `session`: the server's connections go through PgBouncer in that mode (transaction: DATABASE_PREPARE=0). */
const pooler = ((): "transaction" | "session" | undefined => {
  const v = process.env.BENCH_POOLER?.trim() || undefined;
  if (v === undefined || v === "transaction" || v === "session") return v;
  throw new Error(`BENCH_POOLER: expected transaction or session, got ${JSON.stringify(v)}`);
})();
/** 2 (the default): every phase forward and then back, each figure the mean of its two rounds; 1: once, forward (profiling). */
const rounds = process.env.BENCH_ROUNDS === "1" ? 1 : 2;
const phases = new Set((process.env.BENCH_PHASES ?? "ceiling,bare,single,batch,check").split(",").map((p) => p.trim()));
/** Issue 17: ratios to the ceilings of the same run (the bare Node server's events/s, pgbench's tps). */
const goals = { ratioBare: 0.8, p99Ms: 25, batchRatio: 1.5, checkRatio: 1.0 };

const say = (line = "") => process.stdout.write(`${line}\n`);
const since = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "—");
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(n < 10 ? 2 : 1)} ms` : "—");
const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null);

/** Nearest-rank percentile of an ascending list. */
const percentile = (sorted: ArrayLike<number>, p: number) => (sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN);
const summary = (values: ArrayLike<number>) => {
  const sorted = Float64Array.from(values).sort();
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN };
};

interface CpuSample {
  main: number | null;
  process: number | null;
  postgres: Map<number, number>;
  /** Per thread of this process (BENCH_VERBOSE=1): "name tid" → ms. */
  threads: Map<string, number>;
}
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  if (process.env.BENCH_VERBOSE !== "1") return out;
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      const ms = cpuMs(`/proc/self/task/${tid}/stat`);
      if (ms !== null) out.set(`${readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim()} ${tid}`, ms);
    }
  } catch {
    // no /proc
  }
  return out;
}
let backendPids: () => Promise<number[]> = async () => [];
const sampleCpu = async () => sampleCpuOf(await backendPids());
function sampleCpuOf(pids: number[]): CpuSample {
  const postgres = new Map<number, number>();
  for (const pid of pids) {
    const ms = cpuMs(`/proc/${pid}/stat`);
    if (ms !== null) postgres.set(pid, ms);
  }
  return { main: cpuMs(`/proc/self/task/${process.pid}/stat`), process: cpuMs("/proc/self/stat"), postgres, threads: threadCpu() };
}
/** CPU ms spent between two samples: the server's thread, the rest of this process (the clients' worker), PostgreSQL's backends. */
function cpuSpent(a: CpuSample, b: CpuSample) {
  const main = a.main !== null && b.main !== null ? b.main - a.main : Number.NaN;
  const all = a.process !== null && b.process !== null ? b.process - a.process : Number.NaN;
  let postgres = b.postgres.size ? 0 : Number.NaN;
  for (const [pid, ms] of b.postgres) postgres += ms - (a.postgres.get(pid) ?? ms);
  return { main, others: all - main, postgres };
}
const perOp = (total: number, count: number) => (Number.isFinite(total) && count > 0 ? total / count : Number.NaN);

const runId = process.pid.toString(36);

let scratch: string | null = null;
const removeScratch = () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = null;
};
let pgbenchChild: ReturnType<typeof spawn> | null = null;
// Ctrl-C reaches this process, pnpm and pgbench alike; pnpm then sends SIGTERM: both end the run the same way.
const bench = benchDatabase("usage", say, () => {
  pgbenchChild?.kill("SIGINT");
  removeScratch();
});
const databaseName = bench.name;
const benchUrl = bench.url;

async function ceiling(seeded: Seeded, dir: string): Promise<{ tps: number; latencyMs: number; transactions: number; postgresCpuMs: number } | { missing: string }> {
  const cpu: { first?: { at: number; c: CpuSample }; last?: { at: number; c: CpuSample } } = {};
  // A stored answer of the size the server stores, so the row written is the same size.
  const result = JSON.stringify({
    idempotencyKey: "pgbench-0-0000000000000000000",
    userId: userId(1),
    includedCc: 100,
    overageCc: 0,
    unbilledCc: 0,
    stoppedBy: null,
    activated: false,
    state: { periodId: seeded.period, periodEnd: "2099-01-01T00:00:00.000Z", allowanceCc: 100000, usedCc: 50000, includedCc: 50000, overageCc: 0, unbilledCc: 0 },
  }).replaceAll('":', '": '); // pgbench would read `:null` as a variable
  const script = join(dir, "debit.sql");
  writeFileSync(
    script,
    [
      `\\set u random(1, ${users})`,
      `\\set cc random(1, ${maxCredits * 100})`,
      `\\set r random(1, 9000000000000000000)`,
      `BEGIN;`,
      `UPDATE subscription_months SET included_cc = included_cc + :cc, updated_at = now() WHERE account_id = :acct AND profile_id = :prof AND period = :period AND user_id = ${userIdSql(":u")};`,
      `WITH k AS (INSERT INTO usage_keys (account_id, profile_id, idempotency_key, user_id, client, credits_cc, occurred_at, result) ` +
        `VALUES (:acct, :prof, 'pgbench-' || :client_id || '-' || :r, ${userIdSql(":u")}, 'cli', :cc, now(), '${result}') ON CONFLICT DO NOTHING RETURNING 1) ` +
        `INSERT INTO usage_events (account_id, profile_id, period, user_id, idempotency_key, client, credits_cc, included_cc, overage_cc, unbilled_cc, occurred_at, recorded_at) ` +
        `SELECT :acct, :prof, :period, ${userIdSql(":u")}, 'pgbench-' || :client_id || '-' || :r, 'cli', :cc, :cc, 0, 0, now(), now() FROM k;`,
      `END;`,
      ``,
    ].join("\n"),
  );
  const u = new URL(benchUrl);
  const args = [
    "-h", u.hostname, "-p", u.port || "5432", "-U", decodeURIComponent(u.username || "postgres"),
    "-n", "-M", "prepared", "-c", String(concurrency), "-j", String(Math.min(2, concurrency)), "-T", String(durationMs / 1000),
    "-D", `acct=${seeded.accountId}`, "-D", `prof=${seeded.profileId}`, "-D", `period=${seeded.period}`,
    "-f", script, databaseName,
  ];
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string } | { missing: string }>((resolve) => {
    const child = spawn(process.env.PGBENCH ?? "pgbench", args, { env: { ...process.env, ...(u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {}) } });
    pgbenchChild = child;
    const first = setTimeout(() => void sampleCpu().then((c) => (cpu.first = { at: performance.now(), c })), 1_000);
    const last = setTimeout(() => void sampleCpu().then((c) => (cpu.last = { at: performance.now(), c })), durationMs - 1_000);
    child.on("close", () => {
      clearTimeout(first);
      clearTimeout(last);
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", (e) => resolve({ missing: String(e) }));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  pgbenchChild = null;
  if ("missing" in out) return out;
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out.stdout)?.[1];
  if (out.code !== 0 || !tps) throw new Error(`pgbench failed (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  const cpuSeconds = cpu.first && cpu.last ? (cpu.last.at - cpu.first.at) / 1000 : Number.NaN;
  const postgresCpu = cpu.first && cpu.last ? cpuSpent(cpu.first.c, cpu.last.c).postgres : Number.NaN;
  return {
    postgresCpuMs: postgresCpu / (Number(tps) * cpuSeconds),
    tps: Number(tps),
    latencyMs: Number(/latency average = ([\d.]+) ms/.exec(out.stdout)?.[1] ?? Number.NaN),
    transactions: Number(/number of transactions actually processed: (\d+)/.exec(out.stdout)?.[1] ?? Number.NaN),
  };
}

/** The requests the server spent its time on, timed from arrival to last byte, per path. */
function timedListener(app: RequestListener) {
  const byPath = new Map<string, number[]>();
  let measuring = false;
  const listener: RequestListener = (req, res) => {
    if (measuring) {
      const start = performance.now();
      const path = (req.url ?? "").split("?")[0]!;
      res.once("finish", () => {
        let list = byPath.get(path);
        if (!list) byPath.set(path, (list = []));
        list.push(performance.now() - start);
      });
    }
    app(req, res);
  };
  return {
    listener,
    start: () => {
      byPath.clear();
      measuring = true;
    },
    stop: () => {
      measuring = false;
      return byPath;
    },
  };
}

async function listen(listener: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface PhaseResult {
  kind: PhaseKind;
  perSecond: number;
  eventsPerSecond: number;
  client: ReturnType<typeof summary>;
  /** Every client-side latency of the phase, ms (pooled over the rounds for the run's p99). */
  latencies: Float64Array;
  server: ReturnType<typeof summary>;
  failures: number;
  statuses: Record<string, number>;
  firstErrors: string[];
  acceptedEvents: number;
  topFunctions: string[];
  /** CPU ms per request while measuring: the server's thread, the clients' worker, PostgreSQL. */
  cpu: { main: number; others: number; postgres: number };
}

/** A server the clients of a phase load: where it listens, the path they call, its timer, and its keys' prefix. */
interface Served {
  name: string;
  url: string;
  path: string;
  timer: ReturnType<typeof timedListener>;
  keys: string;
}

/**
 * One phase: the clients in a worker thread, the servers timed (and, with BENCH_PROFILE, profiled) while they
 * measure. With two targets (bare and usage.record), the clients alternate between them in slices
 * (bench/usage-clients.ts), starting with `first`, and each target's CPU is the sum over its slices.
 */
async function runPhase(kind: PhaseKind, targets: Served[], seeded: Seeded, label: string, first = 0): Promise<PhaseResult[]> {
  const config: PhaseConfig = {
    key: seeded.key,
    kind,
    targets: targets.map((t) => ({ url: t.url, path: t.path, runId: t.keys })),
    first,
    clients: concurrency,
    warmupMs,
    durationMs,
    sliceMs,
    switchMs,
    batchSize,
    userIds: seeded.userIds,
    maxCredits,
  };
  const worker = new Worker(
    `const { register } = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}); register(); await import(${JSON.stringify(new URL("./usage-clients.ts", import.meta.url).href)});`,
    { eval: true, workerData: config },
  );
  const session = profileDir ? new Session() : null;
  // PostgreSQL's backends are read once, after the warm-up (the pools are open by then): a slice's samples are /proc reads only.
  let pids: number[] = [];
  let slice: { target: number; at: CpuSample } | null = null;
  const spent = targets.map(() => ({ main: 0, others: 0, postgres: 0 }));
  const threadsAtStart = threadCpu();
  const done = await new Promise<Extract<PhaseMessage, { type: "done" }>>((resolve, reject) => {
    worker.on("message", (m: PhaseMessage) => {
      if (m.type === "warmed") {
        void backendPids().then((p) => {
          pids = p;
          for (const t of targets) t.timer.start();
          if (session) {
            session.connect();
            void session.post("Profiler.enable").then(() => session.post("Profiler.start"));
          }
          worker.postMessage("measure");
        }, reject);
      }
      if (m.type === "record") slice = { target: m.target, at: sampleCpuOf(pids) };
      if (m.type === "pause" && slice) {
        const d = cpuSpent(slice.at, sampleCpuOf(pids));
        const s = spent[slice.target]!;
        s.main += d.main;
        s.others += d.others;
        s.postgres += d.postgres;
        slice = null;
      }
      if (m.type === "done") resolve(m);
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the clients' worker exited with code ${code} before finishing`)));
  });
  const byPath = targets.map((t) => t.timer.stop());
  const threadsAtEnd = threadCpu();
  const byThread = [...threadsAtEnd].map(([t, ms]) => [t, ms - (threadsAtStart.get(t) ?? 0)] as const).filter(([, ms]) => ms > 0);
  if (byThread.length) say(`      CPU by thread (ms, warm-up included): ${byThread.sort((a, b) => b[1] - a[1]).map(([t, ms]) => `${t}: ${ms}`).join(", ")}`);
  let topFunctions: string[] = [];
  if (session) {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    mkdirSync(profileDir!, { recursive: true });
    const file = join(profileDir!, `usage-${label}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    topFunctions = [`profile: ${file}`, ...describeProfile(profile)];
  }
  await worker.terminate();
  if (process.env.BENCH_VERBOSE === "1") {
    say(`      requests per second, the ${warmupMs / 1000} s of warm-up first${targets.length > 1 ? ", both targets" : ""}: ${done.timeline.join(" ")}`);
    if (targets.length > 1) say(`      requests per second of each slice: ${done.slices.map((s) => `${targets[s.target]!.name} ${fmt(s.perSecond)}`).join(", ")}`);
  }
  return targets.map((t, i) => {
    const tally = done.targets[i]!;
    const seconds = tally.measuredMs / 1000;
    const cpu = spent[i]!;
    return {
      kind,
      perSecond: tally.requests / seconds,
      eventsPerSecond: tally.events / seconds,
      client: summary(tally.latencies),
      latencies: tally.latencies,
      server: summary(byPath[i]!.get(t.path) ?? []),
      // The phase's failures, counted once (on its first target): the run fails on any.
      failures: i === 0 ? done.failures : 0,
      statuses: done.statuses,
      firstErrors: done.firstErrors,
      acceptedEvents: tally.acceptedEvents,
      topFunctions: i === 0 ? topFunctions : [],
      cpu: { main: perOp(cpu.main, tally.requests), others: perOp(cpu.others, tally.requests), postgres: perOp(cpu.postgres, tally.requests) },
    };
  });
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Where the server's thread spent its time: self time by package (or file of ours) and the top functions. */
function describeProfile(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }): string[] {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i] ?? 0;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + dt);
    total += dt;
  }
  const where = (url: string, name: string) => {
    if (!url) return name.startsWith("(") ? name : "(native)";
    const pkg = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
    if (pkg) return pkg;
    if (url.startsWith("node:")) return "node internals";
    const ours = /\/(apps|packages)\/([^/]+)\/(?:src\/)?(.*)$/.exec(url);
    return ours ? `${ours[1] === "apps" ? "" : "@seatdesk/"}${ours[2]}/${ours[3]}` : url;
  };
  const byWhere = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of self) {
    const f = nodes.get(id)!.callFrame;
    const w = where(f.url, f.functionName);
    byWhere.set(w, (byWhere.get(w) ?? 0) + us);
    const fn = `${f.functionName || "(anonymous)"} ${w}:${f.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / Math.max(1, total)).toFixed(1)}%`;
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `self time by where: ${top(byWhere, 12).map(([w, us]) => `${w} ${pct(us)}`).join(", ")}`,
    ...top(byFunction, 15).map(([f, us]) => `  ${pct(us).padStart(6)}  ${f}`),
  ];
}

/** The statements one request issues, counted on a second pool whose every query is reported. */
async function countStatements(deps: Deps, seeded: Seeded): Promise<Record<string, { statements: number; parameterized: number; sample: string[] }>> {
  const seen: { text: string; params: number }[] = [];
  const client = postgres(benchUrl, { max: 2, onnotice: () => {}, debug: (_c, text, params) => seen.push({ text, params: params.length }) });
  const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Db;
  const counting: Database = { db, kind: "postgres", migrate: async () => {}, close: () => client.end({ timeout: 5 }) };
  const { server, url } = await listen(createApp({ ...deps, database: counting, log: silentLog }));
  const headers = { authorization: `Bearer ${seeded.key}`, "content-type": "application/json" };
  let n = 0;
  const event = () => ({ userId: seeded.userIds[n % seeded.userIds.length]!, credits: 1, client: "cli", occurredAt: new Date().toISOString(), idempotencyKey: `bench-${runId}-count-${n++}` });
  const requests: Record<string, () => Promise<Response>> = {
    "usage.record": () => fetch(`${url}/trpc/usage.record`, { method: "POST", headers, body: JSON.stringify(event()) }),
    [`usage.recordBatch (${batchSize} events)`]: () => fetch(`${url}/trpc/usage.recordBatch`, { method: "POST", headers, body: JSON.stringify({ events: Array.from({ length: batchSize }, event) }) }),
    "usage.check": () => fetch(`${url}/trpc/usage.check?input=${encodeURIComponent(JSON.stringify({ userId: seeded.userIds[0] }))}`, { headers }),
  };
  const out: Record<string, { statements: number; parameterized: number; sample: string[] }> = {};
  try {
    for (const [name, send] of Object.entries(requests)) {
      await (await send()).arrayBuffer(); // the first one may also stamp the key's last use
      const rounds = 5;
      seen.length = 0;
      for (let i = 0; i < rounds; i++) {
        const res = await send();
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${name} answered ${res.status} while counting statements`);
      }
      const sample = seen.slice(0, Math.round(seen.length / rounds)).map((s) => s.text.replace(/\s+/g, " ").slice(0, 90));
      out[name] = { statements: seen.length / rounds, parameterized: seen.filter((s) => s.params > 0).length / rounds, sample };
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await counting.close();
  }
  return out;
}

/** What the HTTP stack costs without the work: a bare handler, a no-op tRPC mutation, and one behind the key check. */
function overheadApp(deps: Deps): RequestListener {
  const bench = router({
    noop: publicProcedure.mutation(() => ({ ok: true })),
    noopWithKey: usageProcedure.mutation(({ ctx }) => ({ ok: true, profileId: ctx.keyScope.profileId })),
  });
  const jar = { get: () => undefined, set: () => {}, clear: () => {} };
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0]!;
    if (path === "/raw") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ result: { data: { ok: true, input: typeof input } } }));
      });
      return;
    }
    void nodeHTTPRequestHandler({ req, res, router: bench, path: path.slice("/trpc/".length), createContext: ({ req: r }) => createContext(deps, jar, r.headers.authorization) });
  };
}

/**
 * Every phase (pgbench's too) starts from a settled database: the tables the debits write vacuumed and
 * analyzed, and a checkpoint taken. Otherwise the phase before leaves work that lands in the next one (an
 * autovacuum of the rows it wrote, a checkpoint its WAL set off, and the full-page writes after it), always
 * on the later phases; and the planner would take usage_events for the empty table it analyzed at the seed.
 * bench:close does the same before each of its timings. Without the right to CHECKPOINT (a role neither
 * superuser nor pg_checkpoint), the phases run without it and the run says so.
 */
async function settle(raw: postgres.Sql) {
  await raw`vacuum (analyze) usage_events, usage_keys, subscription_months, profile_months, subscriptions, notices`;
  try {
    await raw`checkpoint`;
  } catch (e) {
    if (!checkpointRefused) say(`  (no checkpoint between phases: ${e instanceof Error ? e.message : String(e)})`);
    checkpointRefused = true;
  }
}
let checkpointRefused = false;

let stopBouncer: (() => Promise<void>) | undefined;
let closeServed: (() => Promise<void>) | undefined;
let closeBare: (() => Promise<void>) | undefined;

async function main() {
  const t0 = performance.now();
  say(
    `Seatdesk usage benchmark: ${users.toLocaleString("en-US")} Active Pro users, ${concurrency} concurrent clients, PostgreSQL, ${durationMs / 1000} s per phase`,
  );
  await bench.create();
  scratch = mkdtempSync(join(tmpdir(), "seatdesk-bench-usage-"));
  const database = await connect({ url: benchUrl });
  const raw = postgres(benchUrl, { max: 1, onnotice: () => {} });
  const servers: Server[] = [];
  try {
    await database.migrate();
    const seeded = await seedUsage(database, users);
    backendPids = async () =>
      (await raw<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${databaseName} and backend_type = 'client backend' and pid <> pg_backend_pid()`).map((r) => r.pid);
    const [before] = await raw<{ used: string; events: string }[]>`
      select (select coalesce(sum(included_cc + overage_cc + unbilled_cc), 0)::text from subscription_months) as used,
        (select coalesce(sum(credits_cc), 0)::text from usage_events) as events`;
    say(`  database ${databaseName}: migrated and seeded in ${since(t0)}`);

    // --- the phases: forward, then back, each on a settled database ---
    // A ratio compares phases run at different moments of the run, on a database that grows as it goes. Run
    // once in one order, a later phase pays for the events of those before it (2026-12-07: recordBatch alone
    // right after pgbench gave 1.60-1.85 × pgbench, behind the bare and single phases 1.44-1.54). Run forward
    // and then back (ABBA), each figure the mean of its two rounds, a drift of the machine or of the database
    // during the run weighs on every phase alike.
    let bareServer: { url: string; timer: ReturnType<typeof timedListener> } | undefined;
    if (phases.has("bare")) {
      const bareSql = postgres(benchUrl, { max: 10, onnotice: () => {} });
      closeBare = () => bareSql.end({ timeout: 5 });
      const timer = timedListener(bareListener(bareSql, seeded));
      const b = await listen(timer.listener);
      servers.push(b.server);
      bareServer = { url: b.url, timer };
    }

    // --- the real server, in this process (through PgBouncer with BENCH_POOLER) ---
    let served = database;
    if (pooler) {
      const bouncer = await startPgBouncer(benchUrl, { port: Number(process.env.BENCH_POOLER_PORT ?? 6472), poolSize: 10 });
      stopBouncer = () => bouncer.stop();
      served = await connect({ url: bouncer.url(pooler), prepare: pooler === "session" });
      closeServed = () => served.close();
      say(`  the server's connections go through PgBouncer in ${pooler} mode (10 server connections${pooler === "transaction" ? ", DATABASE_PREPARE=0" : ""})`);
    }
    const deps: Deps = { database: served, clock: systemClock, log: jsonLog(), catalog: defaultCatalog, regions: defaultRegions };
    const app = createApp(deps);
    const timer = timedListener(app);
    const main = await listen(timer.listener);
    servers.push(main.server);

    const plan: Record<"single" | "batch" | "check", [string, string]> = {
      single: ["/trpc/usage.record", "usage.record, one event per request"],
      batch: ["/trpc/usage.recordBatch", `usage.recordBatch, ${batchSize} events per request`],
      check: ["/trpc/usage.check", "usage.check"],
    };
    // The bare server and usage.record, both in the run, are measured together in alternating slices (sliceMs).
    const paired = phases.has("bare") && phases.has("single");
    const order = (["ceiling", "bare", "single", "pair", "batch", "check"] as const).filter((p) => (p === "pair" ? paired : phases.has(p) && !(paired && (p === "bare" || p === "single"))));
    const sequence = rounds === 2 ? [...order, ...[...order].reverse()] : order;
    const ceilings: { tps: number; latencyMs: number; transactions: number; postgresCpuMs: number }[] = [];
    const results = new Map<"bare" | "single" | "batch" | "check", PhaseResult[]>();
    let pgbenchMissing = false;
    const report = (phase: "bare" | "single" | "batch" | "check", r: PhaseResult, tag: string) => {
      results.set(phase, [...(results.get(phase) ?? []), r]);
      if (phase === "bare") {
        say(`  bare ceiling (node:http + postgres.js, JSON in and out, the debit's two statements in one transaction)${tag}: ${fmt(r.eventsPerSecond)} events/s`);
        say(`      client side p50 ${ms(r.client.p50)}  p99 ${ms(r.client.p99)};  CPU per request: server thread ${ms(r.cpu.main)}, PostgreSQL ${ms(r.cpu.postgres)}`);
      } else {
        const rate = phase === "batch" ? `${fmt(r.eventsPerSecond)} events/s (${fmt(r.perSecond, 1)} requests/s)` : phase === "single" ? `${fmt(r.eventsPerSecond)} events/s` : `${fmt(r.perSecond)} checks/s`;
        say(`  ${plan[phase][1]}${tag}: ${rate}`);
        say(`      client side p50 ${ms(r.client.p50)}  p99 ${ms(r.client.p99)}  max ${ms(r.client.max)};  at the server p50 ${ms(r.server.p50)}  p99 ${ms(r.server.p99)}`);
        say(`      CPU per request: server thread ${ms(r.cpu.main)}, PostgreSQL ${ms(r.cpu.postgres)} (the clients' worker ${ms(r.cpu.others)})`);
      }
      if (r.failures) say(`      ${r.failures} non-2xx answers (${Object.entries(r.statuses).map(([s, k]) => `HTTP ${s}: ${k}`).join(", ")}); first: ${r.firstErrors.join(" | ")}`);
      for (const line of r.topFunctions) say(`      ${line}`);
    };
    const bareTarget = (n: number): Served => ({ name: "bare", url: bareServer!.url, path: "/trpc/usage.record", timer: bareServer!.timer, keys: `${runId}-bare-${n}` });
    const mainTarget = (phase: "single" | "batch" | "check", n: number): Served => ({ name: phase, url: main.url, path: plan[phase][0], timer, keys: `${runId}-${n}` });
    for (const [i, phase] of sequence.entries()) {
      const n = sequence.slice(0, i + 1).filter((p) => p === phase).length;
      const tag = rounds === 2 ? ` [round ${n}]` : "";
      await settle(raw);
      if (phase === "ceiling") {
        if (pgbenchMissing) continue;
        const c = await ceiling(seeded, scratch);
        if ("missing" in c) {
          pgbenchMissing = true;
          say(`  ceiling: pgbench is not installed (${c.missing}); on Debian/Ubuntu: apt-get install postgresql-client (or postgresql-contrib). Skipped.`);
          continue;
        }
        ceilings.push(c);
        say(`  ceiling (pgbench -M prepared -c ${concurrency}, BEGIN; UPDATE counters; INSERT event; END)${tag}: ${fmt(c.tps)} tps, latency avg ${ms(c.latencyMs)} (${fmt(c.transactions)} transactions)`);
        say(`      CPU per transaction: PostgreSQL ${ms(c.postgresCpuMs)}`);
        continue;
      }
      if (phase === "pair") {
        // Keys of their own for the bare server (bench-<run>-bare-…), counted with the others at the end. Round 1
        // starts with the bare server (bare, single, single, bare, …), round 2 with usage.record.
        say(`  the bare server and usage.record${tag}, the same clients alternating between them in slices of ${sliceMs / 1000} s (${switchMs} ms unmeasured at each switch)`);
        const [b, r] = await runPhase("single", [bareTarget(n), mainTarget("single", n)], seeded, `pair-${n}`, (n - 1) % 2);
        report("bare", b!, tag);
        report("single", r!, tag);
        continue;
      }
      const [r] = await runPhase(phase === "bare" ? "single" : phase, [phase === "bare" ? bareTarget(n) : mainTarget(phase, n)], seeded, `${phase}-${n}`);
      report(phase, r!, tag);
    }

    if (overhead) {
      const overheadTimer = timedListener(overheadApp(deps));
      const o = await listen(overheadTimer.listener);
      servers.push(o.server);
      for (const [kind, path, title] of [
        ["noop", "/raw", "bare node:http handler (read body, JSON.parse, answer)"],
        ["noop", "/trpc/noop", "no-op tRPC mutation (publicProcedure)"],
        ["noop-key", "/trpc/noopWithKey", "no-op tRPC mutation behind the API-key check (usageProcedure)"],
      ] as [PhaseKind, string, string][]) {
        const r = (await runPhase(kind, [{ name: kind, url: o.url, path, timer: overheadTimer, keys: runId }], seeded, `overhead-${kind}`))[0]!;
        say(
          `  overhead, ${title}: ${fmt(r.perSecond)} requests/s, client p50 ${ms(r.client.p50)} p99 ${ms(r.client.p99)}; CPU per request: server thread ${ms(r.cpu.main)}, ` +
            `PostgreSQL ${ms(r.cpu.postgres)}, the clients' worker ${ms(r.cpu.others)}${r.failures ? `; ${r.failures} failures: ${r.firstErrors[0]}` : ""}`,
        );
        for (const line of r.topFunctions) say(`      ${line}`);
      }
    }

    // --- statements per request ---
    const counts = await countStatements(deps, seeded);
    for (const [name, c] of Object.entries(counts)) {
      say(`  SQL per ${name}: ${fmt(c.statements, 1)} statements (${fmt(c.parameterized, 1)} with parameters)`);
      if (process.env.BENCH_VERBOSE === "1") for (const s of c.sample) say(`      ${s}`);
    }

    // --- what was stored matches what was answered ---
    const all = [...results.values()].flat();
    const answered = all.reduce((s, r) => s + r.acceptedEvents, 0);
    const [stored] = await raw<{ n: number }[]>`select count(*)::int as n from usage_events where idempotency_key like ${`bench-${runId}-%`} and idempotency_key not like ${`bench-${runId}-count-%`}`;
    const [after] = await raw<{ used: string; events: string }[]>`
      select (select coalesce(sum(included_cc + overage_cc + unbilled_cc), 0)::text from subscription_months) as used,
        (select coalesce(sum(credits_cc), 0)::text from usage_events) as events`;
    const countersMoved = BigInt(after!.used) - BigInt(before!.used);
    const eventsAdded = BigInt(after!.events) - BigInt(before!.events);
    const consistent = stored!.n === answered && countersMoved === eventsAdded;
    say(
      `  stored: ${fmt(stored!.n)} bench events for ${fmt(answered)} accepted; counters moved ${countersMoved.toLocaleString("en-US")} cc for ` +
        `${eventsAdded.toLocaleString("en-US")} cc of events${consistent ? " (consistent)" : " — MISMATCH"}`,
    );

    // Each figure: the mean of its rounds (of equal durations); the p99 of their latencies together.
    const figure = (kind: "bare" | "single" | "batch" | "check") => {
      const list = results.get(kind);
      return list ? { eventsPerSecond: mean(list.map((r) => r.eventsPerSecond)), perSecond: mean(list.map((r) => r.perSecond)), p99: summary(Float64Array.from(list.flatMap((r) => Array.from(r.latencies)))).p99 } : undefined;
    };
    const single = figure("single");
    const batch = figure("batch");
    const check = figure("check");
    const bare = figure("bare");
    const ceilingTps = mean(ceilings.map((c) => c.tps));
    if (rounds === 2) {
      const each = (kind: "bare" | "single" | "batch" | "check", perRequest = false) =>
        results.get(kind) && `${kind} ${results.get(kind)!.map((r) => fmt(perRequest ? r.perSecond : r.eventsPerSecond)).join(" and ")}`;
      say(`  rounds (forward, back): ${[ceilings.length ? `pgbench ${ceilings.map((c) => fmt(c.tps)).join(" and ")}` : null, each("bare"), each("single"), each("batch"), each("check", true)].filter(Boolean).join("; ")}; each figure is their mean`);
    }
    const ratio = single ? single.eventsPerSecond / ceilingTps : Number.NaN;
    const bareEps = bare?.eventsPerSecond ?? Number.NaN;
    const ratioBare = single ? single.eventsPerSecond / bareEps : Number.NaN;
    const batchRatio = batch ? batch.eventsPerSecond / ceilingTps : Number.NaN;
    const checkRatio = check ? check.perSecond / bareEps : Number.NaN;
    const failures = all.reduce((s, r) => s + r.failures, 0);
    const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
    const verdicts = [
      single && `single ${fmt(ratioBare, 2)} × bare (goal ≥ ${goals.ratioBare}) ${verdict(ratioBare >= goals.ratioBare)}`,
      single && `single p99 ${ms(single.p99)} (goal ≤ ${goals.p99Ms} ms) ${verdict(single.p99 <= goals.p99Ms)}`,
      batch && `batch ${fmt(batchRatio, 2)} × pgbench (goal ≥ ${goals.batchRatio}) ${verdict(batchRatio >= goals.batchRatio)}`,
      check && `check ${fmt(checkRatio, 2)} × bare (goal ≥ ${goals.checkRatio}) ${verdict(checkRatio >= goals.checkRatio)}`,
      `${failures} non-2xx answers`,
    ].filter(Boolean);
    say(`  ${verdicts.join("; ")}; total run ${since(t0)}`);
    say(
      JSON.stringify({
        single_eps: round(single?.eventsPerSecond ?? Number.NaN, 1),
        single_p99_ms: round(single?.p99 ?? Number.NaN),
        batch_eps: round(batch?.eventsPerSecond ?? Number.NaN, 1),
        check_per_s: round(check?.perSecond ?? Number.NaN, 1),
        ceiling_tps: round(ceilingTps, 1),
        ratio: round(ratio, 3),
        bare_eps: round(bareEps, 1),
        ratio_bare: round(ratioBare, 3),
        batch_ratio: round(batchRatio, 3),
        check_ratio: round(checkRatio, 3),
        ...(pooler ? { pooler } : {}),
      }),
    );
    // A missed goal is a figure to report, not a crash: failed requests or lost events make the run fail.
    return failures === 0 && consistent ? 0 : 1;
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    await raw.end({ timeout: 5 });
    await closeServed?.();
    await closeBare?.();
    await stopBouncer?.();
    await database.close();
    removeScratch();
    await bench.dispose();
  }
}

process.exitCode = await main();
