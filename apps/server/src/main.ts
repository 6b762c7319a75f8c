import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultCatalog } from "@seatdesk/domain";
import { accounts, connect } from "@seatdesk/db";
import { generatePassword } from "./auth/password";
import { systemClock } from "./clock";
import { seedDemo } from "./demo/seed";
import { createApp } from "./http/app";
import { jsonLog } from "./log";
import { defaultRegions } from "./regions";

const env = process.env;
// pnpm runs scripts inside the package; paths given on the command line are meant from where it was typed.
const invokedFrom = env.INIT_CWD ?? process.cwd();
const dataDir = resolve(invokedFrom, env.SEATDESK_DATA_DIR ?? ".data");
const port = Number(env.PORT ?? 3000);
const url = env.DATABASE_URL;
const log = jsonLog();
const staticDir = fileURLToPath(new URL("../../web/dist", import.meta.url));

const database = await connect({ url, dataDir: url ? undefined : join(dataDir, "pglite") });
await database.migrate();

const demoAdminEmail = "admin@northwind.example";
// Embedded: the demo sign-in is kept beside the data and printed at every start.
// PostgreSQL (with SEATDESK_DEMO=1): printed once, at the start that seeds it, and kept nowhere.
const credentialsFile = url ? null : join(dataDir, "demo-admin.json");
const seedWanted = !url || env.SEATDESK_DEMO === "1";
const [anyAccount] = await database.db.select({ id: accounts.id }).from(accounts).limit(1);
let seededNow: { email: string; password: string } | null = null;
if (seedWanted && !anyAccount) {
  const password = generatePassword();
  await seedDemo(database.db, { catalog: defaultCatalog, now: systemClock.now(), adminEmail: demoAdminEmail, adminPassword: password });
  seededNow = { email: demoAdminEmail, password };
  if (credentialsFile) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(credentialsFile, JSON.stringify(seededNow), { mode: 0o600 });
  }
}

const server = createServer(createApp({ database, clock: systemClock, log, catalog: defaultCatalog, regions: defaultRegions }, { staticDir }));
server.listen(port, () => {
  const lines = [`Seatdesk is running at http://localhost:${port}  (database: ${database.kind}${url ? "" : `, data in ${isAbsolute(dataDir) ? dataDir : resolve(dataDir)}`})`];
  const demo = credentialsFile && existsSync(credentialsFile) ? (JSON.parse(readFileSync(credentialsFile, "utf8")) as { email: string; password: string }) : seededNow;
  if (demo) lines.push(`Sign in as ${demo.email} with password ${demo.password}${credentialsFile ? "" : " (shown once: it is stored nowhere)"}`);
  if (!existsSync(staticDir)) lines.push("(the console's pages are not built: run `pnpm --filter @seatdesk/web build`)");
  process.stdout.write(`${lines.join("\n")}\n`);
});

const stop = () => {
  server.close();
  void database.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
