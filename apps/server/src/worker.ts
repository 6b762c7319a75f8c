/**
 * The scheduler worker (issue 6): `pnpm --filter @seatdesk/server worker` with DATABASE_URL, or the
 * compiled `node apps/server/dist/worker.js`. Each run closes the months due, then runs the scheduled jobs
 * (jobs.ts: reports, idle seats, forecasts, ...). Any number may run at once; they coordinate only through
 * PostgreSQL (closeDue, and each job's own locks).
 *
 *   start            closes what is due now, then again every SEATDESK_CLOSE_EVERY_S seconds (60)
 *   start --once     closes everything due, prints {"closed":…,"skipped":…,"failed":…} and exits
 *                    (exit code 1 when a close failed)
 *   --account=<id>   only that account's profiles (re-running one tenant; the kill tests)
 *
 * SIGTERM or SIGINT: no further batch starts, the batches under way commit (for at most
 * SEATDESK_SHUTDOWN_TIMEOUT_S seconds), the pool is closed and the process exits 0 (1 when the wait ran
 * out). A second signal exits at once. Logs are JSON lines on stderr, with progress (profiles done /
 * total, rate) on long runs.
 */
import { defaultCatalog } from "@seatdesk/domain";
import { connect } from "@seatdesk/db";
import { closeDue, runScheduledJobs, type CloseSummary } from "@seatdesk/scheduler";
import { configOrExit, loadWorkerConfig } from "@seatdesk/scheduler/config";
import { scheduledJobs } from "./jobs";
import { loadWebhookConfig, startWebhookLoop } from "./services/webhooks/loop";

const config = configOrExit(() => loadWorkerConfig(process.env));
const webhookConfig = configOrExit(() => loadWebhookConfig(process.env));
const once = process.argv.includes("--once");
const accountId = process.argv.find((a) => a.startsWith("--account="))?.slice("--account=".length);
const write = (level: string, msg: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
const log = (msg: string, fields?: Record<string, unknown>) => write("info", msg, fields);

const database = await connect({ url: config.databaseUrl, max: 3, prepare: config.prepare });
const stopping = new AbortController();
let timer: NodeJS.Timeout | undefined;
/** The close run under way, if any: a stop waits for it. */
let running: Promise<unknown> | undefined;

async function run(): Promise<CloseSummary> {
  const started = performance.now();
  const summary = await closeDue(database.db, defaultCatalog, new Date(), {
    accountId,
    signal: stopping.signal,
    // Each run starts at a random point of the due profiles, so that workers running at once close different batches.
    start: Math.random(),
    onProgress: (p) => log("closing", { done: p.done, total: p.total, perSecond: Math.round(p.perSecond * 10) / 10 }),
  });
  log("close run done", { ...summary, seconds: Math.round(performance.now() - started) / 1000, ...(stopping.signal.aborted ? { stopped: true } : {}) });
  if (!stopping.signal.aborted && scheduledJobs.length > 0) {
    const jobs = await runScheduledJobs(database.db, new Date(), scheduledJobs, { catalog: defaultCatalog, accountId, signal: stopping.signal, reportDir: config.reportDir, usageRetentionMonths: config.usageRetentionMonths });
    write(jobs.failed > 0 ? "error" : "info", "scheduled jobs done", jobs.results);
  }
  return summary;
}

async function stop(signal: string): Promise<void> {
  if (stopping.signal.aborted) {
    write("error", "second signal: exiting without waiting", { signal });
    process.exit(1);
  }
  stopping.abort();
  if (timer) clearTimeout(timer);
  log("stopping", { signal, closeRunning: running !== undefined });
  let finished = true;
  if (running) {
    let deadline: NodeJS.Timeout | undefined;
    finished = await Promise.race([
      running.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(false), config.shutdownTimeoutMs))),
    ]);
    clearTimeout(deadline);
    if (!finished) write("error", "the close run did not finish in time; its open batch is rolled back", { waitedMs: config.shutdownTimeoutMs });
  }
  await database.close().catch((e: unknown) => write("error", "closing the database pool failed", { error: String(e) }));
  log("stopped", { signal });
  process.exit(finished ? 0 : 1);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));

// Webhook deliveries every SEATDESK_WEBHOOK_EVERY_S seconds beside the close runs (services/webhooks/loop.ts).
if (!once) {
  const report = (r: { counts?: Record<string, number>; error?: unknown }) =>
    r.error ? write("error", "webhook delivery failed", { error: String(r.error) }) : log("webhooks delivered", r.counts);
  startWebhookLoop(database.db, () => new Date(), webhookConfig, stopping.signal, report, accountId);
}

if (once) {
  const current = run();
  running = current;
  const summary = await current;
  running = undefined;
  if (!stopping.signal.aborted) {
    process.stdout.write(`${JSON.stringify({ closed: summary.closed, skipped: summary.skipped, failed: summary.failed })}\n`);
    await database.close();
    process.exit(summary.failed > 0 ? 1 : 0);
  }
} else {
  const loop = async () => {
    const current = run().catch((e: unknown) => write("error", "close run failed", { error: String(e) }));
    running = current;
    await current;
    running = undefined;
    // A stop that came during the run has its own wait; it exits the process.
    if (!stopping.signal.aborted) timer = setTimeout(() => void loop(), config.closeEveryMs);
  };
  await loop();
}
