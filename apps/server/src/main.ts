import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultCatalog } from "@seatdesk/domain";
import { accounts, connect } from "@seatdesk/db";
import { generatePassword } from "./auth/password";
import { closeDue } from "@seatdesk/scheduler";
import { systemClock, testClock, type Clock } from "./clock";
import { seedDemo } from "./demo/seed";
import { createApp } from "./http/app";
import { DirectorySearch } from "./services/directory-search";
import { jsonLog } from "./log";
import { defaultRegions } from "./regions";

const env = process.env;
// pnpm runs scripts inside the package; paths given on the command line are meant from where it was typed.
const invokedFrom = env.INIT_CWD ?? process.cwd();
const dataDir = resolve(invokedFrom, env.SEATDESK_DATA_DIR ?? ".data");
const port = Number(env.PORT ?? 3000);
const url = env.DATABASE_URL;
const log = jsonLog();
// The built console; SEATDESK_STATIC_DIR points elsewhere (a test build in its own folder).
const staticDir = env.SEATDESK_STATIC_DIR ? resolve(invokedFrom, env.SEATDESK_STATIC_DIR) : fileURLToPath(new URL("../../web/dist", import.meta.url));

const database = await connect({ url, dataDir: url ? undefined : join(dataDir, "pglite") });
await database.migrate();

const demoAdminEmail = "admin@northwind.example";
// Embedded: the demo sign-in is kept beside the data and printed at every start.
// PostgreSQL (with SEATDESK_DEMO=1): printed once, at the start that seeds it, and kept nowhere.
const credentialsFile = url ? null : join(dataDir, "demo-admin.json");
const seedWanted = !url || env.SEATDESK_DEMO === "1";

// Demo and test mode (embedded, or SEATDESK_DEMO=1) run on a test clock an admin can move forward;
// embedded, its offset is kept beside the data so a restart does not send it back.
const clockFile = url ? null : join(dataDir, "clock.json");
const clock: Clock = seedWanted
  ? testClock(clockFile && existsSync(clockFile) ? Number((JSON.parse(readFileSync(clockFile, "utf8")) as { offsetMs: number }).offsetMs) : 0, (offsetMs) => {
      if (clockFile) writeFileSync(clockFile, JSON.stringify({ offsetMs }));
    })
  : systemClock;
const [anyAccount] = await database.db.select({ id: accounts.id }).from(accounts).limit(1);
let seededNow: { email: string; password: string } | null = null;
if (seedWanted && !anyAccount) {
  const password = generatePassword();
  // SEATDESK_DEMO_EXTRA_USERS=100000 adds that many plain directory users, to try the console at scale.
  await seedDemo(database.db, { catalog: defaultCatalog, now: clock.now(), adminEmail: demoAdminEmail, adminPassword: password, extraUsers: Number(env.SEATDESK_DEMO_EXTRA_USERS ?? 0) });
  seededNow = { email: demoAdminEmail, password };
  if (credentialsFile) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(credentialsFile, JSON.stringify(seededNow), { mode: 0o600 });
  }
}

// The Users tab's search index in memory (services/directory-search.ts); SEATDESK_SEARCH_INDEX=off searches in SQL only.
const directorySearch = env.SEATDESK_SEARCH_INDEX === "off" ? undefined : new DirectorySearch(database.db, { log });
const server = createServer(
  createApp({ database, clock, sessionClock: systemClock, log, catalog: defaultCatalog, regions: defaultRegions, ...(directorySearch ? { directorySearch } : {}) }, { staticDir }),
);

// The month close: inside this process on embedded PGlite (single-process), or with SEATDESK_SCHEDULER=1;
// on PostgreSQL it is otherwise the worker's job (pnpm --filter @seatdesk/scheduler start).
const closeEveryMs = 60_000;
let closeTimer: NodeJS.Timeout | undefined;
if (!url || env.SEATDESK_SCHEDULER === "1") {
  const runClose = async () => {
    try {
      const summary = await closeDue(database.db, defaultCatalog, clock.now());
      if (summary.closed || summary.failed) log.info("month close", { closed: summary.closed, skipped: summary.skipped, failed: summary.failed, failures: summary.failures });
    } catch (e) {
      log.error("month close failed", { error: String(e) });
    }
    closeTimer = setTimeout(() => void runClose(), closeEveryMs);
  };
  void runClose();
}
server.listen(port, () => {
  const lines = [`Seatdesk is running at http://localhost:${port}  (database: ${database.kind}${url ? "" : `, data in ${isAbsolute(dataDir) ? dataDir : resolve(dataDir)}`})`];
  const demo = credentialsFile && existsSync(credentialsFile) ? (JSON.parse(readFileSync(credentialsFile, "utf8")) as { email: string; password: string }) : seededNow;
  if (demo) lines.push(`Sign in as ${demo.email} with password ${demo.password}${credentialsFile ? "" : " (shown once: it is stored nowhere)"}`);
  if (!existsSync(staticDir)) lines.push("(the console's pages are not built: run `pnpm --filter @seatdesk/web build`)");
  process.stdout.write(`${lines.join("\n")}\n`);
});

const stop = () => {
  if (closeTimer) clearTimeout(closeTimer);
  server.close();
  void database.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
