/**
 * `pnpm bench:cell`: what a second process buys in a cell (ops/cell.sh: servers and workers on one PostgreSQL
 * database behind HAProxy), measured in the same run with one and with two.
 *
 * 1. Requests: a fresh database `seatdesk_bench_cell_<pid>` (on the server of DATABASE_URL, as the other
 *    benches) seeded with bench:usage's tenant (BENCH_USERS, 2,000 Active Pro users, a key) and bench:console's
 *    (BENCH_CONSOLE_USERS, 10,000 directory users, an owner). Two cells side by side behind their own HAProxy,
 *    one with 1 server and one with 2, without workers, and the clients alternate between them: bench:usage's
 *    clients (usage.record, one event a request) against the cells in the order 1, 2, 2, 1 servers and then 2, 1, 1, 2
 *    (BENCH_CELL_PAIRS (2) such groups of four), each run on a freshly vacuumed and checkpointed database; then
 *    bench:console's clients (first pages, searches, deep pages and views of the Users tab) in the same order.
 *    BENCH_CLIENTS (8) each, 5 s of warm-up then BENCH_SECONDS (15): events a second, and the console's p95 at
 *    the client; each configuration's figure is the mean of its runs, so neither gains from going first or from
 *    a quieter minute of the machine. Before the first run, each cell serves BENCH_CELL_WARMUP_S (30) seconds of
 *    each kind untimed: new processes spend more CPU per request while they compile and fill their caches.
 * 2. The month close: bench:close's data, BENCH_SUBSCRIPTIONS (1,000,000) subscriptions over profiles of 100,
 *    created on the 1st of the month before last (so two months are due), in a database of its own for each
 *    run: cells with 1, 2, 2 and 1 workers (closing every second; each figure the mean of its two runs), the data committed in one
 *    transaction once the workers are up; timed from that commit until no profile is due (±1 s: the workers'
 *    poll).
 * With the console's figures, the CPU time per console request of the servers, of PostgreSQL and of the whole machine
 * (from /proc), with one and with two servers: whether a second server costs work or only waiting.
 * Prints each figure and `ratio_two_to_one` for each: the speed with two over the speed with one (events a
 * second; the inverse of the console's p95; the inverse of the close's seconds), so above 1 means two are
 * faster and the goal, that a second process never makes the cell slower, is ≥ 0.9 for each. Then one JSON line. The databases are dropped and the cells stopped at the end, also on Ctrl-C.
 * CELL_PORT fixes HAProxy's port (the servers take the next ones) of a cell up alone (the close's); otherwise free ports are used.
 * BENCH_PARTS=requests measures the requests only, BENCH_PARTS=close the close only.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { connect, rowsOf } from "@seatdesk/db";
import { benchDatabase, cpuMs, mean, postgresCpu, postgresCpuSpent, type BenchDatabase } from "@seatdesk/db/bench";
import { seedClose } from "@seatdesk/scheduler/bench/seed";
import { generatePassword } from "../src/auth/password";
import type { ClientsConfig, ClientsMessage } from "./console-clients";
import { nameFragments, seedConsole } from "./console-seed";
import type { PhaseConfig, PhaseMessage } from "./usage-clients";
import { seedUsage } from "./usage-seed";
import { freePort } from "../test/ports";

const usageUsers = Math.max(10, Number(process.env.BENCH_USERS ?? 2_000));
const consoleUsers = Math.max(100, Number(process.env.BENCH_CONSOLE_USERS ?? 10_000));
const subscriptions = Math.max(100, Number(process.env.BENCH_SUBSCRIPTIONS ?? 1_000_000));
const durationMs = Number(process.env.BENCH_SECONDS ?? 15) * 1000;
/**
 * Each run's warm-up. 5 s, not bench:usage's 2: the cell not measured meanwhile sat idle, and its servers'
 * pooled connections close after 30 s idle (db connect()), so each run first opens new ones and prepares
 * the statements on them again: with 2 s, a run of two servers (twice the connections) spent 0.2 ms more
 * of PostgreSQL's CPU per console request than a run of one, 0.1 ms with the connections kept open.
 */
const warmupMs = 5_000;
const clients = Math.max(1, Number(process.env.BENCH_CLIENTS ?? 8));
const perProfile = 100;
/** How long each new cell serves requests of each kind before it is measured. */
const warmCellMs = Number(process.env.BENCH_CELL_WARMUP_S ?? 30) * 1000;
/** Groups of four request runs (1, 2, 2, 1 servers, then 2, 1, 1, 2, ...). */
const pairs = Math.max(1, Number(process.env.BENCH_CELL_PAIRS ?? 2));

const root = fileURLToPath(new URL("../../..", import.meta.url));
const run = promisify(execFile);
const say = (line = "") => process.stdout.write(`${line}\n`);
const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


// ---- The cell, through the same script as `pnpm cell:up` ----

/** A cell this bench started: its folder (state, pid files) and HAProxy's URL. */
interface Cell {
  dir: string;
  url: string;
}
/** Every cell up, for cellsDown on Ctrl-C. */
const live = new Set<string>();
async function cellUp(databaseUrl: string, servers: number, workers: number): Promise<Cell> {
  const dir = mkdtempSync(join(tmpdir(), "seatdesk-bench-cell-"));
  live.add(dir);
  // CELL_PORT: HAProxy there and the servers on the next ports (when one cell is up); otherwise free ones.
  const base = process.env.CELL_PORT && live.size === 1 ? Number(process.env.CELL_PORT) : null;
  const serverPorts = base ? Array.from({ length: servers }, (_, i) => base + 1 + i) : await Promise.all(Array.from({ length: servers }, () => freePort()));
  const port = base ?? (await freePort());
  const env = { ...process.env, DATABASE_URL: databaseUrl, CELL_DIR: join(dir, "state"), CELL_PORT: String(port), CELL_SERVER_PORTS: serverPorts.join(","), CELL_WORKERS: String(workers), CELL_CLOSE_EVERY_S: "1", CELL_QUIET: "1" };
  await run("bash", [join(root, "ops/cell.sh"), "up"], { env, timeout: 300_000 });
  return { dir, url: (JSON.parse(readFileSync(join(dir, "state", "state.json"), "utf8")) as { url: string }).url };
}
async function cellDown(dir: string): Promise<void> {
  if (!live.delete(dir)) return;
  await run("bash", [join(root, "ops/cell.sh"), "down"], { env: { ...process.env, CELL_DIR: join(dir, "state") } }).catch((e: unknown) => say(`cell:down failed: ${String(e)}`));
  rmSync(dir, { recursive: true, force: true });
}
const cellsDown = () => Promise.all([...live].map(cellDown));

/** A TypeScript worker thread (tsx's hooks first), as bench:usage and bench:console run their clients. */
function clientsThread<M extends { type: string }>(file: string, config: unknown, onMeasuring: () => void = () => {}): Promise<M> {
  const worker = new Worker(
    `const { register } = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}); register(); await import(${JSON.stringify(new URL(file, import.meta.url).href)});`,
    { eval: true, workerData: config },
  );
  return new Promise<M>((resolve, reject) => {
    worker.on("message", (m: M) => {
      if (m.type === "measuring") onMeasuring();
      // bench/usage-clients.ts waits after its warm-up for the word to measure.
      if (m.type === "warmed") worker.postMessage("measure");
      if (m.type !== "done") return;
      resolve(m);
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the clients' worker exited with code ${code} before finishing`)));
  });
}

/**
 * CPU ms spent so far by the cell's API servers (their pid files), by PostgreSQL's processes and by the whole
 * machine (busy time in /proc/stat): the difference of two samples, per request, says whether a second
 * server costs more work per request or only waits more for the same work.
 */
interface CpuSample {
  servers: number;
  postgres: Map<number, number>;
  machine: number;
}
function serverPids(cell: Cell): number[] {
  const state = join(cell.dir, "state");
  return readdirSync(state)
    .filter((f) => /^server-\d+\.pid$/.test(f))
    .map((f) => Number(readFileSync(join(state, f), "utf8").trim()));
}
function machineBusyMs(): number {
  try {
    const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).map(Number);
    const total = ticks.slice(0, 8).reduce((s, t) => s + t, 0);
    return ((total - ticks[3]! - ticks[4]!) * 1000) / 100; // all but idle and iowait, in ticks of 1/100 s
  } catch {
    return Number.NaN;
  }
}
const sampleCpu = (cell: Cell): CpuSample => ({
  servers: serverPids(cell).reduce((s, pid) => s + (cpuMs(`/proc/${pid}/stat`) ?? Number.NaN), 0),
  postgres: postgresCpu(),
  machine: machineBusyMs(),
});
const cpuPerRequest = (a: CpuSample, b: CpuSample, requests: number) => ({
  servers: (b.servers - a.servers) / requests,
  postgres: postgresCpuSpent(a.postgres, b.postgres) / requests,
  machine: (b.machine - a.machine) / requests,
});
type CpuPerRequest = ReturnType<typeof cpuPerRequest>;

const p95 = (values: ArrayLike<number>) => {
  const sorted = Float64Array.from(values).sort();
  return sorted.length ? sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)]! : Number.NaN;
};

// ---- 1. Requests through HAProxy ----

async function requests(bench: BenchDatabase) {
  const database = await connect({ url: bench.url, max: 2 });
  const raw = postgres(bench.url, { max: 1, onnotice: () => {} });
  const password = generatePassword();
  try {
    await database.migrate();
    const usage = await seedUsage(database, usageUsers);
    const consoleTenant = await seedConsole(database, raw, password, consoleUsers);
    const fragments = nameFragments(200);
    // Both cells are up side by side (the idle one costs nothing), and the phases alternate between them: the
    // usage phases 1, 2, 2, 1 servers (then 2, 1, 1, 2, ...), then the console's in the same order. The
    // machine's speed drifts by a half within minutes here (the console's CPU per request went from 3.8 to
    // 6.5 ms over one run), and each run leaves the tables with more rows and dead tuples, so whichever
    // went second would look slower; each figure is the mean of its runs, and each usage run starts from
    // a vacuumed database.
    const order = Array.from({ length: pairs }, (_, k) => (k % 2 === 0 ? ([1, 2, 2, 1] as const) : ([2, 1, 1, 2] as const))).flat();
    const usageRuns = { 1: [], 2: [] } as Record<1 | 2, { eventsPerSecond: number; failures: number }[]>;
    const consoleRuns = { 1: [], 2: [] } as Record<1 | 2, { p95Ms: number; cpu: CpuPerRequest; failures: number }[]>;
    const label = (servers: number) => `${servers} server${servers > 1 ? "s" : ""}`;
    // What every run of each kind of client sends to a cell; each run adds its warm-up, duration (and run id).
    const usageClients = (cell: Cell, runId: string) =>
      ({ targets: [{ url: cell.url, path: "/trpc/usage.record", runId }], first: 0, sliceMs: 0, switchMs: 0, key: usage.key, kind: "single", clients, batchSize: 1, userIds: usage.userIds, maxCredits: 2 }) as const;
    const consoleClients = (cell: Cell) => ({
      url: cell.url, email: consoleTenant.email, password, profileId: consoleTenant.profileId, clients, searchShare: 0.3, viewShare: 0.25, fragments, deepCursors: consoleTenant.deepCursors,
    });
    try {
      const cells = { 1: await cellUp(bench.url, 1, 0), 2: await cellUp(bench.url, 2, 0) };
      // Every process new, so first each cell serves both kinds of requests untimed for a while: a server's
      // first thousands of console requests cost it and PostgreSQL up to half again more CPU (compiling, the
      // search index, each pooled connection preparing each of the Users tab's statement shapes), and a server
      // of two gets half the requests on twice the connections: with 10 s of warm-up, the CPU per console request
      // of two servers over one's went 1.5, 1.5, 1.3, 1.1 in one run's four pairs.
      say(`  warming each cell up (${warmCellMs / 1000} s of usage and of console requests)`);
      for (const servers of [1, 2] as const) {
        await clientsThread("./usage-clients.ts", { ...usageClients(cells[servers], `cellwarm${servers}-${process.pid}`), warmupMs: 0, durationMs: warmCellMs } satisfies PhaseConfig);
        await clientsThread("./console-clients.ts", { ...consoleClients(cells[servers]), warmupMs: 0, durationMs: warmCellMs } satisfies ClientsConfig);
      }
      for (const [round, servers] of order.entries()) {
        await raw`vacuum (analyze) usage_events, usage_keys, subscriptions, subscription_months, profile_months, directory_users`;
        await raw`checkpoint`;
        const u = await clientsThread<Extract<PhaseMessage, { type: "done" }>>("./usage-clients.ts", {
          ...usageClients(cells[servers], `cell${round}-${process.pid}`), warmupMs, durationMs,
        } satisfies PhaseConfig);
        const measured = u.targets[0]!;
        const run = { eventsPerSecond: measured.events / (measured.measuredMs / 1000), failures: u.failures };
        usageRuns[servers].push(run);
        say(`  ${label(servers)}: usage.record ${run.eventsPerSecond.toFixed(0)} events/s (p95 ${p95(measured.latencies).toFixed(1)} ms)` + (u.failures ? `; ${u.failures} failures (${u.firstErrors.slice(0, 2).join(" | ")})` : ""));
      }
      for (const servers of order) {
        await raw`checkpoint`;
        let before: CpuSample | null = null;
        const c = await clientsThread<Extract<ClientsMessage, { type: "done" }>>(
          "./console-clients.ts",
          { ...consoleClients(cells[servers]), warmupMs, durationMs } satisfies ClientsConfig,
          () => (before = sampleCpu(cells[servers])),
        );
        const after = sampleCpu(cells[servers]);
        const cpu = cpuPerRequest(before ?? after, after, Object.values(c.requests).reduce((s, n) => s + n, 0));
        consoleRuns[servers].push({ p95Ms: c.clientP95Ms, cpu, failures: c.errorCount });
        say(`  ${label(servers)}: console p95 ${c.clientP95Ms.toFixed(1)} ms; CPU per request: servers ${cpu.servers.toFixed(2)} ms, PostgreSQL ${cpu.postgres.toFixed(2)} ms, machine ${cpu.machine.toFixed(2)} ms` +
          (c.errorCount ? `; ${c.errorCount} failures (${c.errors.slice(0, 2).join(" | ")})` : ""));
      }
    } finally {
      await cellsDown();
    }
    const figures = (servers: 1 | 2) => ({
      eventsPerSecond: mean(usageRuns[servers].map((r) => r.eventsPerSecond)),
      consoleP95Ms: mean(consoleRuns[servers].map((r) => r.p95Ms)),
      consoleCpu: {
        servers: mean(consoleRuns[servers].map((r) => r.cpu.servers)),
        postgres: mean(consoleRuns[servers].map((r) => r.cpu.postgres)),
        machine: mean(consoleRuns[servers].map((r) => r.cpu.machine)),
      },
      failures: [...usageRuns[servers], ...consoleRuns[servers]].reduce((n, r) => n + r.failures, 0),
    });
    return { 1: figures(1), 2: figures(2) };
  } finally {
    await raw.end({ timeout: 5 });
    await database.close();
  }
}

// ---- 2. The month close ----

async function close(workers: 1 | 2): Promise<{ seconds: number; invoices: number }> {
  const bench = benchDatabase(`cell_close${workers}`, say, () => void cellsDown());
  await bench.create();
  const database = await connect({ url: bench.url, max: 1 });
  const raw = postgres(bench.url, { max: 1, onnotice: () => {} });
  try {
    await database.migrate();
    const cell = await cellUp(bench.url, 1, workers);
    try {
      // Two months due: the profiles were made on the 1st of the month before last (UTC).
      const now = new Date();
      const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1));
      const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      const t0 = performance.now();
      await seedClose(raw, { profiles: Math.ceil(subscriptions / perProfile), perProfile, period: start.toISOString().slice(0, 7), periodStart: start.toISOString(), nextStart: next.toISOString() });
      const seeded = performance.now();
      const due = async () => rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from profiles where closed_through is null or closed_through < ${next.toISOString().slice(0, 7)}`))[0]!.n;
      while ((await due()) > 0) await sleep(250);
      const seconds = (performance.now() - seeded) / 1000;
      const [row] = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from invoices`));
      say(`  ${workers} worker${workers > 1 ? "s" : ""}: ${subscriptions.toLocaleString("en-US")} subscriptions, two months each, closed in ${seconds.toFixed(1)} s (seeded in ${((seeded - t0) / 1000).toFixed(1)} s); ${row!.n.toLocaleString("en-US")} invoices`);
      return { seconds, invoices: row!.n };
    } finally {
      await cellDown(cell.dir);
    }
  } finally {
    await raw.end({ timeout: 5 });
    await database.close();
    await bench.dispose();
  }
}

async function main() {
  say(`Seatdesk cell benchmark: 1 vs 2 API servers behind HAProxy (${clients} clients, ${durationMs / 1000} s a phase), 1 vs 2 workers closing ${subscriptions.toLocaleString("en-US")} subscriptions`);
  const parts = process.env.BENCH_PARTS?.trim() || "requests,close";
  const none = { 1: { eventsPerSecond: Number.NaN, consoleP95Ms: Number.NaN, consoleCpu: { servers: Number.NaN, postgres: Number.NaN, machine: Number.NaN }, failures: 0 } };
  let r: Awaited<ReturnType<typeof requests>> = { ...none, 2: none[1] };
  if (parts.includes("requests")) {
    const bench = benchDatabase("cell", say, () => void cellsDown());
    await bench.create();
    try {
      r = await requests(bench);
    } finally {
      await bench.dispose();
    }
  }
  // The close in the order 1, 2, 2, 1 workers, each on freshly seeded rows (one run of each, 1 then 2, gave
  // 1.03 and 0.84 on two days), each figure the mean of its two runs.
  const closes = { 1: [], 2: [] } as Record<1 | 2, { seconds: number; invoices: number }[]>;
  if (parts.includes("close")) for (const workers of [1, 2, 2, 1] as const) closes[workers].push(await close(workers));
  const c1 = { seconds: mean(closes[1].map((c) => c.seconds)) };
  const c2 = { seconds: mean(closes[2].map((c) => c.seconds)) };
  const result = {
    usage: { one_eps: round(r[1].eventsPerSecond, 0), two_eps: round(r[2].eventsPerSecond, 0), ratio_two_to_one: round(r[2].eventsPerSecond / r[1].eventsPerSecond) },
    console: {
      one_p95_ms: round(r[1].consoleP95Ms),
      two_p95_ms: round(r[2].consoleP95Ms),
      ratio_two_to_one: round(r[1].consoleP95Ms / r[2].consoleP95Ms),
      // CPU ms per request (servers, PostgreSQL, the whole machine) with one and with two servers.
      one_cpu_ms: { servers: round(r[1].consoleCpu.servers), postgres: round(r[1].consoleCpu.postgres), machine: round(r[1].consoleCpu.machine) },
      two_cpu_ms: { servers: round(r[2].consoleCpu.servers), postgres: round(r[2].consoleCpu.postgres), machine: round(r[2].consoleCpu.machine) },
    },
    close: { subscriptions, one_s: round(c1.seconds, 1), two_s: round(c2.seconds, 1), ratio_two_to_one: round(c1.seconds / c2.seconds) },
  };
  say(`  ratio_two_to_one (speed with two / with one; goal ≥ 0.9): usage ${result.usage.ratio_two_to_one}, console ${result.console.ratio_two_to_one}, close ${result.close.ratio_two_to_one}`);
  say(JSON.stringify(result));
  const failures = r[1].failures + r[2].failures;
  const expectedInvoices = 2 * Math.ceil(subscriptions / perProfile);
  return failures === 0 && [...closes[1], ...closes[2]].every((c) => c.invoices === expectedInvoices) ? 0 : 1;
}

process.exitCode = await main();
