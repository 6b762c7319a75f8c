/**
 * The month-close worker (issue 6): `pnpm --filter @seatdesk/scheduler start` with DATABASE_URL.
 * Any number may run at once; they coordinate only through PostgreSQL (closeDue).
 *
 *   start            closes what is due now, then again every SEATDESK_CLOSE_EVERY_S seconds (60)
 *   start --once     closes everything due, prints {"closed":…,"skipped":…,"failed":…} and exits
 *                    (exit code 1 when a close failed)
 *   --account=<id>   only that account's profiles (re-running one tenant; the kill tests)
 *
 * Logs are JSON lines on stderr, with progress (profiles done / total, rate) on long runs.
 */
import { defaultCatalog } from "@seatdesk/domain";
import { connect } from "@seatdesk/db";
import { closeDue, type CloseSummary } from "./close";

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write("The worker runs against PostgreSQL: set DATABASE_URL (embedded PGlite closes months inside the server).\n");
  process.exit(2);
}
const once = process.argv.includes("--once");
const accountId = process.argv.find((a) => a.startsWith("--account="))?.slice("--account=".length);
const everyMs = Math.max(1, Number(process.env.SEATDESK_CLOSE_EVERY_S ?? 60)) * 1000;
const log = (msg: string, fields: Record<string, unknown> = {}) => process.stderr.write(`${JSON.stringify({ level: "info", msg, ...fields })}\n`);

const database = await connect({ url, max: 3 });
let stopping = false;
let timer: NodeJS.Timeout | undefined;
const stop = () => {
  stopping = true;
  if (timer) clearTimeout(timer);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

async function run(): Promise<CloseSummary> {
  const started = performance.now();
  const summary = await closeDue(database.db, defaultCatalog, new Date(), {
    accountId,
    onProgress: (p) => log("closing", { done: p.done, total: p.total, perSecond: Math.round(p.perSecond * 10) / 10 }),
  });
  log("close run done", { ...summary, seconds: Math.round(performance.now() - started) / 1000 });
  return summary;
}

if (once) {
  const summary = await run();
  process.stdout.write(`${JSON.stringify({ closed: summary.closed, skipped: summary.skipped, failed: summary.failed })}\n`);
  await database.close();
  process.exit(summary.failed > 0 ? 1 : 0);
}

const loop = async () => {
  try {
    await run();
  } catch (e) {
    process.stderr.write(`${JSON.stringify({ level: "error", msg: "close run failed", error: String(e) })}\n`);
  }
  if (stopping) await database.close();
  else timer = setTimeout(() => void loop(), everyMs);
};
await loop();
