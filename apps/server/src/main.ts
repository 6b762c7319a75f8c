import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultCatalog } from "@seatdesk/domain";
import { accounts, apiStatementTimeoutMs, connect } from "@seatdesk/db";
import { closeDue, runScheduledJobs } from "@seatdesk/scheduler";
import { scheduledJobs } from "./jobs";
import { loadWebhookConfig, startWebhookLoop } from "./services/webhooks/loop";
import { generatePassword } from "./auth/password";
import { systemClock, testClock, type Clock } from "./clock";
import { configOrExit, loadServerConfig } from "./config";
import { createApp } from "./http/app";
import { createHttpServer } from "./http/server";
import { ReadRouting } from "./services/read-routing";
import { DirectorySearch } from "./services/directory-search";
import { jsonLog } from "./log";
import { installProcessGuards } from "./process-guards";
import { defaultRegions } from "./regions";

const config = configOrExit(() => loadServerConfig(process.env));
const webhookConfig = configOrExit(() => loadWebhookConfig(process.env));
const log = jsonLog();
installProcessGuards(log);
const { dataDir, databaseUrl: url } = config;
// The built console beside the server: apps/web/dist from src/main.ts, and from the compiled dist/main.js alike.
const staticDir = config.staticDir ?? fileURLToPath(new URL("../../web/dist", import.meta.url));

const database = await connect({ url, dataDir: url ? undefined : join(dataDir, "pglite"), statementTimeoutMs: apiStatementTimeoutMs, prepare: config.databasePrepare });
await database.migrate();
// DATABASE_READ_URL: the console's reads on a streaming replica, each session reading its own writes (services/read-routing.ts).
const readDatabase = config.databaseReadUrl
  ? await connect({ url: config.databaseReadUrl, statementTimeoutMs: apiStatementTimeoutMs, prepare: config.databasePrepare })
  : undefined;

const demoAdminEmail = "admin@northwind.example";
// Embedded: the demo sign-in is kept beside the data and printed at every start.
// PostgreSQL (with SEATDESK_DEMO=1): printed once, at the start that seeds it, and kept nowhere.
const credentialsFile = url || !config.demo ? null : join(dataDir, "demo-admin.json");

// Demo and test mode (embedded, or SEATDESK_DEMO=1) run on a test clock an admin can move forward;
// embedded, its offset is kept beside the data so a restart does not send it back.
const clockFile = url ? null : join(dataDir, "clock.json");
const clock: Clock = config.demo
  ? testClock(clockFile && existsSync(clockFile) ? Number((JSON.parse(readFileSync(clockFile, "utf8")) as { offsetMs: number }).offsetMs) : 0, (offsetMs) => {
      if (clockFile) writeFileSync(clockFile, JSON.stringify({ offsetMs }));
    })
  : systemClock;
const [anyAccount] = await database.db.select({ id: accounts.id }).from(accounts).limit(1);
let seededNow: { email: string; password: string } | null = null;
if (config.demo && !anyAccount) {
  const password = generatePassword();
  // Loaded only to seed: the demo's generator (faker) is a development dependency, absent from a production install.
  const { seedDemo } = await import("./demo/seed").catch((e: unknown) => {
    process.stderr.write(`The demo data needs the development dependencies (install without --prod), or set SEATDESK_DEMO=0: ${String(e)}\n`);
    return process.exit(2);
  });
  // SEATDESK_DEMO_EXTRA_USERS=100000 adds that many plain directory users, to try the console at scale.
  await seedDemo(database.db, { catalog: defaultCatalog, now: clock.now(), adminEmail: demoAdminEmail, adminPassword: password, extraUsers: config.demoExtraUsers });
  seededNow = { email: demoAdminEmail, password };
  if (credentialsFile) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(credentialsFile, JSON.stringify(seededNow), { mode: 0o600 });
  }
}

// The Users tab's search index in memory (services/directory-search.ts); SEATDESK_SEARCH_INDEX=off searches in SQL only.
const directorySearch = config.searchIndex ? new DirectorySearch(database.db, { log }) : undefined;
const http = createHttpServer(
  createApp(
    {
      database,
      clock,
      sessionClock: systemClock,
      log,
      catalog: defaultCatalog,
      regions: config.regions ?? defaultRegions,
      trustProxy: config.trustProxy,
      sessionPolicy: config.sessionPolicy,
      reportDir: config.reportDir,
      ...(directorySearch ? { directorySearch } : {}),
      ...(readDatabase ? { reads: new ReadRouting(database.db, readDatabase.db, { waitMs: config.readWaitMs, log }) } : {}),
    },
    { staticDir },
  ),
  { log, timeouts: config.http },
);

// The month close: inside this process on embedded PGlite (single-process), or with SEATDESK_SCHEDULER=1;
// on PostgreSQL it is otherwise the worker's job (pnpm --filter @seatdesk/server worker).
const stopping = new AbortController();
let closeTimer: NodeJS.Timeout | undefined;
/** The close run under way, if any: a shutdown waits for it. */
let closeRunning: Promise<void> | undefined;
if (config.closesMonths) {
  const runClose = async () => {
    try {
      const summary = await closeDue(database.db, defaultCatalog, clock.now(), { signal: stopping.signal });
      if (summary.closed || summary.failed) log.info("month close", { closed: summary.closed, skipped: summary.skipped, failed: summary.failed, failures: summary.failures });
    } catch (e) {
      log.error("month close failed", { error: String(e) });
    }
    if (stopping.signal.aborted || scheduledJobs.length === 0) return;
    const jobs = await runScheduledJobs(database.db, clock.now(), scheduledJobs, {
      catalog: defaultCatalog,
      signal: stopping.signal,
      reportDir: config.reportDir,
      usageRetentionMonths: config.usageRetentionMonths,
    });
    if (jobs.failed > 0) log.error("scheduled jobs failed", jobs.results);
  };
  const loop = () => {
    closeRunning = runClose().finally(() => {
      closeRunning = undefined;
      if (!stopping.signal.aborted) closeTimer = setTimeout(loop, config.closeEveryMs);
    });
  };
  loop();
  // Webhook deliveries every SEATDESK_WEBHOOK_EVERY_S seconds (services/webhooks/loop.ts), on the server's clock.
  startWebhookLoop(database.db, () => clock.now(), webhookConfig, stopping.signal, (r) =>
    r.error ? log.error("webhook delivery failed", { error: String(r.error) }) : log.info("webhooks delivered", r.counts ?? {}),
  );
}

try {
  const address = await http.listen(config.port, config.host);
  const local = ["0.0.0.0", "::", "127.0.0.1", "::1", "localhost"].includes(config.host);
  const shownHost = local ? "localhost" : address.family === "IPv6" ? `[${address.address}]` : address.address;
  const lines = [`Seatdesk is running at http://${shownHost}:${address.port}  (database: ${database.kind}${url ? "" : `, data in ${dataDir}`})`];
  const demo = credentialsFile && existsSync(credentialsFile) ? (JSON.parse(readFileSync(credentialsFile, "utf8")) as { email: string; password: string }) : seededNow;
  if (demo) lines.push(`Sign in as ${demo.email} with password ${demo.password}${credentialsFile ? "" : " (shown once: it is stored nowhere)"}`);
  if (!existsSync(staticDir)) lines.push("(the console's pages are not built: run `pnpm --filter @seatdesk/web build`)");
  process.stdout.write(`${lines.join("\n")}\n`);
} catch (e) {
  const code = (e as NodeJS.ErrnoException).code;
  process.stderr.write(`Cannot listen on ${config.host}:${config.port}: ${code === "EADDRINUSE" ? "the port is in use (set PORT)" : code === "EADDRNOTAVAIL" ? "no such address here (set HOST)" : String(e)}\n`);
  await database.close();
  await readDatabase?.close();
  process.exit(1);
}

/**
 * Graceful shutdown: stop accepting, let the requests under way and the running close batch finish (at
 * most SEATDESK_SHUTDOWN_TIMEOUT_S), close the pool, exit 0 (1 when the wait ran out and work was cut).
 * A second signal exits at once.
 */
async function shutdown(signal: string): Promise<void> {
  if (stopping.signal.aborted) {
    log.error("second signal: exiting without waiting", { signal });
    process.exit(1);
  }
  stopping.abort();
  if (closeTimer) clearTimeout(closeTimer);
  log.info("shutting down", { signal, inFlight: http.inFlight(), closeRunning: closeRunning !== undefined });
  const deadline = Date.now() + config.shutdownTimeoutMs;
  const closeFinished = async () => {
    if (!closeRunning) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([closeRunning.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now()))))]);
    clearTimeout(timer);
    if (!finished) log.error("the month close did not finish in time; its open batch is rolled back", { waitedMs: config.shutdownTimeoutMs });
    return finished;
  };
  const [served, closed] = await Promise.all([http.shutdown(config.shutdownTimeoutMs), closeFinished()]);
  await database.close().catch((e: unknown) => log.error("closing the database failed", { error: String(e) }));
  await readDatabase?.close().catch((e: unknown) => log.error("closing the read replica's pool failed", { error: String(e) }));
  log.info("stopped", { signal });
  process.exit(served && closed ? 0 : 1);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
