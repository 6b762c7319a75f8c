/**
 * `pnpm bench:console`: the Users tab over 100,000 directory users on PostgreSQL (issue 4: a page in
 * under 20 ms at the server, p95, 8 concurrent clients).
 *
 * 1. Creates a fresh database `seatdesk_bench_<pid>` on the PostgreSQL server of DATABASE_URL
 *    (default postgres://postgres@127.0.0.1:5432/postgres; only its host, port and role are used, so
 *    a development database is never touched), applies the migrations and seeds one account, one
 *    profile in us-east-1, an owner to sign in as and BENCH_USERS (100,000) directory users, about
 *    30% of them subscribed (assignments, subscriptions and this month's ledgers).
 * 2. Starts the real server in this process (createApp with the deps src/main.ts builds, the in-memory
 *    search index included; BENCH_SEARCH_INDEX=off leaves it out) and times every `subscriptions.list`
 *    request inside it, from the request's arrival to its last byte.
 *    8 signed-in clients (in a worker thread, plain keep-alive HTTP) ask for first pages, searches for
 *    name fragments and deep pages (following nextCursor) for BENCH_SECONDS (15) after a 2 s warm-up;
 *    30% first pages, BENCH_SEARCH_SHARE (0.3) searches, BENCH_VIEW_SHARE (0.25) filtered or sorted views
 *    (console-views.ts: idle, never active, runs out this month, the three sorts both ways; a few pages each),
 *    the rest deep pages. The first search of the warm-up finds no index and starts its build; the summary
 *    says how searches were answered. The seed includes this month's seat_forecasts and last-active instants
 *    over 60 days, so the idle and forecast filters have work.
 * 3. Runs the same statements directly through SQL: src/services/users-tab.ts is called on a driver
 *    that captures each statement it issues and runs it on one of 8 plain postgres.js connections,
 *    timing the database alone (one prepared statement a page, searches included: with the index, the
 *    statement that reads the users it names).
 * 4. Prints a summary, EXPLAIN ANALYZE of the slowest page query of each shape (whole plans with
 *    BENCH_EXPLAIN=1), the overview's trends read 3 times (median as trends_ms), and last one JSON line:
 *    {"p95_ms":…,"sql_p95_ms":…,"trends_ms":…,"users":…}, where sql_p95_ms is the p95 of all the statements
 *    of a page. At the server a page also reads the session and the profile (one more statement, trpc/init.ts). The database is dropped at the end, also on Ctrl-C.
 */
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { sql } from "drizzle-orm";
import { drizzle as drizzleProxy } from "drizzle-orm/pg-proxy";
import postgres from "postgres";
import { defaultCatalog } from "@seatdesk/domain";
import { connect, profiles, type Db } from "@seatdesk/db";
import { benchDatabase } from "@seatdesk/db/bench";
import { generatePassword } from "../src/auth/password";
import { systemClock } from "../src/clock";
import { createApp } from "../src/http/app";
import { jsonLog } from "../src/log";
import { defaultRegions } from "../src/regions";
import { inSnapshot } from "../src/services/billing";
import { DirectorySearch } from "../src/services/directory-search";
import { decodeCursor } from "../src/services/cursor";
import { profileTrends } from "../src/services/trends";
import { decodeSortCursor } from "../src/services/users-sort";
import { listUsersTab } from "../src/services/users-tab";
import type { ClientsConfig, ClientsMessage, RequestKind } from "./console-clients";
import { consoleViews } from "./console-views";
import { nameFragments, seedConsole } from "./console-seed";

const users = Number(process.env.BENCH_USERS ?? 100_000);
const durationMs = Number(process.env.BENCH_SECONDS ?? 15) * 1000;
const sqlDurationMs = Math.min(durationMs, 10_000);
const warmupMs = 2_000;
/** 8 concurrent clients (the issue's figure); BENCH_CLIENTS=1 shows the time of one request without queueing. */
const concurrency = Math.max(1, Number(process.env.BENCH_CLIENTS ?? 8));
const goalMs = 20;
const showPlans = process.env.BENCH_EXPLAIN === "1";
/** 30% of requests are searches; BENCH_SEARCH_SHARE=0 shows what the rest costs without them. */
const searchShare = Math.min(0.7, Math.max(0, Number(process.env.BENCH_SEARCH_SHARE ?? 0.3)));
/** 25% of requests are pages of a filtered or sorted view (idle, never active, runs out this month, the sorts). */
const viewShare = Math.min(0.7 - searchShare, Math.max(0, Number(process.env.BENCH_VIEW_SHARE ?? 0.25)));

const say = (line = "") => process.stdout.write(`${line}\n`);
const ms = (n: number) => (Number.isNaN(n) ? "—" : `${n.toFixed(n < 10 ? 2 : 1)} ms`);
const since = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** Nearest-rank percentile of an ascending list. */
const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
};

const bench = benchDatabase("console", say);
const databaseName = bench.name;
const benchUrl = bench.url;

interface Statement {
  text: string;
  params: unknown[];
  ms: number;
}

/**
 * The service's statements, straight to PostgreSQL: listUsersTab runs on a drizzle driver whose every
 * statement goes to one plain connection, one at a time, timed around the round trip only.
 */
function directSql(connection: postgres.Sql) {
  let statements: Statement[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  const run = async (text: string, params: unknown[], method: "all" | "execute") => {
    const t0 = performance.now();
    const query = connection.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
    const rows = method === "all" ? await query.values() : await query;
    statements.push({ text, params, ms: performance.now() - t0 });
    return { rows: rows as unknown[] };
  };
  const db = drizzleProxy(
    (text, params, method) => {
      // One at a time: the service runs some lookups side by side, which one connection would queue and time twice.
      const next = queue.then(() => run(text, params, method));
      queue = next.catch(() => undefined);
      return next;
    },
    { casing: "snake_case" },
  ) as unknown as Db;
  return {
    db,
    take: () => {
      const taken = statements;
      statements = [];
      return taken;
    },
  };
}

async function main() {
  const t0 = performance.now();
  say(`Seatdesk console benchmark: ${users.toLocaleString("en-US")} directory users, ${concurrency} concurrent client${concurrency === 1 ? "" : "s"}, PostgreSQL`);
  await bench.create();
  const database = await connect({ url: benchUrl });
  const raw = postgres(benchUrl, { max: 1, onnotice: () => {} });
  try {
    await database.migrate();
    const password = generatePassword();
    const seeded = await seedConsole(database, raw, password, users);
    say(
      `  database ${databaseName}: migrated and seeded in ${since(t0)} (${seeded.counts.users.toLocaleString("en-US")} users, ` +
        `${seeded.counts.subscribed.toLocaleString("en-US")} subscribed, ${seeded.counts.active.toLocaleString("en-US")} active)`,
    );
    const fragments = nameFragments(200);

    // --- the server, in this process, timed around its request listener ---
    const log = jsonLog();
    // As src/main.ts builds it; BENCH_SEARCH_INDEX=off measures searches in SQL only.
    const directorySearch = process.env.BENCH_SEARCH_INDEX === "off" ? undefined : new DirectorySearch(database.db, { log });
    const app = createApp({ database, clock: systemClock, log, catalog: defaultCatalog, regions: defaultRegions, ...(directorySearch ? { directorySearch } : {}) });
    const serverMs: number[] = [];
    const serverByKind: Record<RequestKind, number[]> = { first: [], search: [], deep: [], view: [] };
    const statuses = new Map<number, number>();
    let measuring = false;
    const timed: RequestListener = (req, res) => {
      const start = performance.now();
      if (measuring && (req.url ?? "").split("?")[0] === "/trpc/subscriptions.list") {
        res.once("finish", () => {
          const elapsed = performance.now() - start;
          serverMs.push(elapsed);
          serverByKind[requestKind(req.url ?? "")].push(elapsed);
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        });
      }
      app(req, res);
    };
    const server = createServer(timed);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const config: ClientsConfig = { url, email: seeded.email, password, profileId: seeded.profileId, clients: concurrency, warmupMs, durationMs, searchShare, viewShare, fragments, deepCursors: seeded.deepCursors };
    // The worker is TypeScript too: it loads tsx's hooks first, then the clients.
    const worker = new Worker(
      `const { register } = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}); register(); await import(${JSON.stringify(new URL("./console-clients.ts", import.meta.url).href)});`,
      { eval: true, workerData: config },
    );
    const done = await new Promise<Extract<ClientsMessage, { type: "done" }>>((resolve, reject) => {
      worker.on("message", (m: ClientsMessage) => {
        if (m.type === "measuring") measuring = true;
        if (m.type === "done") {
          measuring = false;
          resolve(m);
        }
      });
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the clients' worker exited with code ${code} before finishing`)));
    });
    await worker.terminate();
    await new Promise((resolve) => server.close(resolve));
    const at = summary(serverMs);
    const total = done.requests.first + done.requests.search + done.requests.deep + done.requests.view;
    say(
      `  server: ${total.toLocaleString("en-US")} subscriptions.list requests in ${durationMs / 1000} s (${Math.round(total / (durationMs / 1000))}/s; ` +
        `${done.requests.first} first pages, ${done.requests.search} searches, ${done.requests.view} filtered or sorted, ${done.requests.deep} deep pages; ${done.rows.toLocaleString("en-US")} rows)`,
    );
    say(`          at the server  p50 ${ms(at.p50)}  p95 ${ms(at.p95)}  p99 ${ms(at.p99)}  max ${ms(at.max)}   (client side p95 ${ms(done.clientP95Ms)})`);
    say(`          p95 at the server by request: first page ${ms(summary(serverByKind.first).p95)}, search ${ms(summary(serverByKind.search).p95)}, filtered or sorted ${ms(summary(serverByKind.view).p95)}, deep page ${ms(summary(serverByKind.deep).p95)}`);
    if (directorySearch) {
      const c = directorySearch.counts;
      say(`          searches answered through the in-memory index: ${c.fromIndex.toLocaleString("en-US")}, in SQL: ${c.fromSql.toLocaleString("en-US")} (index builds: ${c.builds}, the last in ${ms(c.lastBuildMs)}; warm-up included)`);
    }
    const failed = [...statuses].filter(([s]) => s !== 200);
    if (done.errorCount || failed.length) {
      say(`          ${done.errorCount} failed requests (HTTP ${failed.map(([s, n]) => `${s}: ${n}`).join(", ") || "none"}); first: ${done.errors.join(" | ")}`);
    }

    // --- the same statements, directly through SQL ---
    const connections = Array.from({ length: concurrency }, () => postgres(benchUrl, { max: 1, onnotice: () => {} }));
    const pageSqlMs: number[] = [];
    const mainSqlMs: number[] = [];
    const byKind: Record<RequestKind, number[]> = { first: [], search: [], deep: [], view: [] };
    /** The slowest page query of each shape, to explain. */
    const slowest = new Map<RequestKind, Statement & { search: string | undefined; view?: string }>();
    let statementsPerPage = 0;
    const until = Date.now() + sqlDurationMs;
    await Promise.all(
      connections.map(async (connection) => {
        const direct = directSql(connection);
        let cursor: [string, string] | null = null;
        let view: { input: (typeof consoleViews)[number]; cursor: string | null; pages: number } | null = null;
        while (Date.now() < until) {
          const r = Math.random();
          const kind: RequestKind = r < 0.3 ? "first" : r < 0.3 + searchShare ? "search" : r < 0.3 + searchShare + viewShare ? "view" : "deep";
          if (kind === "view" && (view === null || view.cursor === null || view.pages >= 5)) view = { input: consoleViews[Math.floor(Math.random() * consoleViews.length)]!, cursor: null, pages: 0 };
          const search = kind === "search" ? fragments[Math.floor(Math.random() * fragments.length)] : undefined;
          const after = kind === "deep" ? (cursor ?? decode(seeded.deepCursors[Math.floor(Math.random() * seeded.deepCursors.length)]!)) : null;
          // A view's cursor is read as the router reads it: by name, or a keyed sort's own.
          const v = kind === "view" ? view!.input : {};
          const sort = v.sort ?? "name";
          const order = v.order ?? "asc";
          const viewAfter = kind === "view" && view!.cursor ? (sort === "name" ? { after: decode(view!.cursor) } : { sortAfter: decodeSortCursor(view!.cursor, sort, order) }) : {};
          const page = await listUsersTab(direct.db, defaultCatalog, {
            accountId: seeded.accountId,
            profileId: seeded.profileId,
            search,
            after,
            ...v,
            sort,
            order,
            ...viewAfter,
            limit: 50,
            now: systemClock.now(),
            searchIndex: directorySearch,
          });
          if (kind === "deep") cursor = page.nextCursor ? decode(page.nextCursor) : null;
          if (kind === "view") {
            view!.cursor = page.nextCursor;
            view!.pages++;
          }
          const statements = direct.take();
          const sum = statements.reduce((s, st) => s + st.ms, 0);
          pageSqlMs.push(sum);
          mainSqlMs.push(statements[0]?.ms ?? 0);
          byKind[kind].push(statements[0]?.ms ?? 0);
          statementsPerPage = Math.max(statementsPerPage, statements.length);
          const first = statements[0];
          if (first && first.ms > (slowest.get(kind)?.ms ?? -1)) slowest.set(kind, { ...first, search, view: kind === "view" ? JSON.stringify(view!.input) : undefined });
        }
      }),
    );
    const direct = summary(pageSqlMs);
    const pageQuery = summary(mainSqlMs);
    say(`  SQL:    ${direct.n.toLocaleString("en-US")} pages in ${sqlDurationMs / 1000} s, the statements services/users-tab.ts issues (up to ${statementsPerPage} a page), run directly on ${concurrency} connections`);
    say(`          all statements of a page  p50 ${ms(direct.p50)}  p95 ${ms(direct.p95)}  p99 ${ms(direct.p99)}`);
    say(
      `          the page query alone       p50 ${ms(pageQuery.p50)}  p95 ${ms(pageQuery.p95)}  p99 ${ms(pageQuery.p99)}` +
        `   (p95 first page ${ms(summary(byKind.first).p95)}, search ${ms(summary(byKind.search).p95)}, view ${ms(summary(byKind.view).p95)}, deep ${ms(summary(byKind.deep).p95)})`,
    );

    // --- how PostgreSQL runs the page query, one sample per request shape ---
    for (const kind of ["first", "deep", "search", "view"] as const) {
      const statement = slowest.get(kind);
      if (!statement) continue;
      const plan = await connections[0]!.unsafe(`explain (analyze, buffers, format text) ${statement.text}`, statement.params as postgres.ParameterOrJSON<never>[]);
      const lines = plan.map((row) => String(row["QUERY PLAN"]));
      const indexes = [...new Set(lines.flatMap((l) => [...l.matchAll(/using (\w+)/gi)].map((m) => m[1])))];
      const time = lines.find((l) => l.startsWith("Execution Time"))?.replace("Execution Time: ", "") ?? "?";
      const removed = lines.reduce((n, l) => n + Number(/Rows Removed by Filter: (\d+)/.exec(l)?.[1] ?? 0), 0);
      say(
        `  plan of the slowest ${kind === "search" ? `search ("${statement.search}")` : kind === "view" ? `view ${statement.view}` : `${kind} page`} (${ms(statement.ms)} in the run): ` +
          `${indexes.join(" + ") || "no index"}; ${removed.toLocaleString("en-US")} rows read and filtered out; now ${time}`,
      );
      if (showPlans) for (const line of lines) say(`      ${line}`);
    }
    // Each view's first page, explained: which indexes it walks and what it costs alone (issue 15: the new
    // filters and sorts must use indexes).
    {
      const direct = directSql(connections[0]!);
      for (const view of consoleViews) {
        await listUsersTab(direct.db, defaultCatalog, { accountId: seeded.accountId, profileId: seeded.profileId, ...view, limit: 50, now: systemClock.now() });
        for (const statement of direct.take()) {
          const plan = await connections[0]!.unsafe(`explain (analyze, buffers, format text) ${statement.text}`, statement.params as postgres.ParameterOrJSON<never>[]);
          const lines = plan.map((row) => String(row["QUERY PLAN"]));
          const indexes = [...new Set(lines.flatMap((l) => [...l.matchAll(/using (\w+)/gi)].map((m) => m[1])))].filter((i) => !/assignments_|_pk$/.test(i ?? ""));
          const seqScans = lines.filter((l) => /Seq Scan/.test(l)).length;
          const time = lines.find((l) => l.startsWith("Execution Time"))?.replace("Execution Time: ", "") ?? "?";
          // The same statement on a generic plan, as a prepared statement may be run after its first executions.
          await connections[0]!.unsafe("set plan_cache_mode = force_generic_plan");
          const g0 = performance.now();
          await connections[0]!.unsafe(statement.text, statement.params as postgres.ParameterOrJSON<never>[], { prepare: true });
          const genericMs = performance.now() - g0;
          await connections[0]!.unsafe("reset plan_cache_mode");
          say(`  view ${JSON.stringify(view)}: ${time} (generic plan ${ms(genericMs)}); walks ${indexes.join(" + ") || "primary keys only"}${seqScans ? `; ${seqScans} sequential scans` : ""}`);
          if (showPlans) for (const line of lines) say(`      ${line}`);
        }
      }
    }
    await Promise.all(connections.map((c) => c.end({ timeout: 5 })));

    // The overview's trends at this size (dashboard.trends: closed months are their invoices' rows, this month
    // is billed as the running estimate is), read as the router reads it; the median of 3 reads.
    const [profileRow] = await database.db.select().from(profiles).where(sql`${profiles.id} = ${seeded.profileId}::uuid`);
    const trendsMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r0 = performance.now();
      await inSnapshot(database.db, (tx) => profileTrends(tx, defaultCatalog, profileRow!, seeded.now));
      trendsMs.push(performance.now() - r0);
    }
    const trendsMedian = trendsMs.sort((a, b) => a - b)[1]!;
    say(`  dashboard.trends (12 months, this one open): ${trendsMs.map(ms).join(", ")}`);

    const verdict = at.p95 < goalMs ? `meets the goal (p95 < ${goalMs} ms at the server)` : `MISSES the goal (p95 < ${goalMs} ms at the server)`;
    say(`  ${verdict}; total run ${since(t0)}`);
    say(JSON.stringify({ p95_ms: round(at.p95), sql_p95_ms: round(direct.p95), trends_ms: round(trendsMedian), users: seeded.counts.users }));
    // A missed goal is a figure to report, not a crash: only failed requests make the run fail.
    return done.errorCount === 0 ? 0 : 1;
  } finally {
    await raw.end({ timeout: 5 });
    await database.close();
    await bench.dispose();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Which kind of page a subscriptions.list GET asked for, from its input (read after the response, outside the timing). */
function requestKind(url: string): RequestKind {
  const input = new URL(url, "http://bench").searchParams.get("input");
  const parsed = input ? (JSON.parse(input) as { search?: string; cursor?: string | null; sort?: string; order?: string; lastActive?: unknown; runsOutThisMonth?: boolean }) : {};
  if (parsed.sort || parsed.order || parsed.lastActive || parsed.runsOutThisMonth) return "view";
  return parsed.search ? "search" : parsed.cursor ? "deep" : "first";
}

/** The service's own cursor reader: the SQL side pages exactly as the server does. */
function decode(cursor: string): [string, string] {
  const after = decodeCursor(cursor);
  if (!after) throw new Error(`not a cursor: ${cursor}`);
  return after;
}

process.exitCode = await main();
