import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * PgBouncer (Debian's package) in front of one PostgreSQL database, for the pooler tests and `BENCH_POOLER`:
 * two pooled databases, `transaction` and `session`, each of `poolSize` server connections.
 */
export interface Bouncer {
  /** The URL of one of the pooled databases. */
  url(pool: "transaction" | "session"): string;
  stop(): Promise<void>;
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, "127.0.0.1");
    socket.once("connect", () => (socket.end(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

export async function startPgBouncer(databaseUrl: string, options: { port: number; poolSize: number; sessionPoolSize?: number }): Promise<Bouncer> {
  const target = new URL(databaseUrl);
  const user = decodeURIComponent(target.username || "postgres");
  const folder = mkdtempSync(join(tmpdir(), "seatdesk-pgbouncer-"));
  chmodSync(folder, 0o777);
  const server = `host=${target.hostname} port=${target.port || 5432} dbname=${target.pathname.slice(1)} user=${user}`;
  writeFileSync(join(folder, "userlist.txt"), `"${user}" "${decodeURIComponent(target.password)}"\n`);
  writeFileSync(
    join(folder, "pgbouncer.ini"),
    [
      "[databases]",
      `transaction = ${server} pool_mode=transaction pool_size=${options.poolSize}`,
      `session = ${server} pool_mode=session pool_size=${options.sessionPoolSize ?? options.poolSize}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${options.port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(folder, "userlist.txt")}`,
      "max_client_conn = 500",
      // postgres.js sends these at connect and PgBouncer would refuse them; the statement timeout then belongs on the database role.
      "ignore_startup_parameters = extra_float_digits,statement_timeout",
      `logfile = ${join(folder, "pgbouncer.log")}`,
      "log_connections = 0",
      "log_disconnections = 0",
      "",
    ].join("\n"),
  );
  // PgBouncer refuses to run as root: -u drops to postgres.
  const ini = join(folder, "pgbouncer.ini");
  const child = spawn("pgbouncer", process.getuid?.() === 0 ? ["-u", "postgres", ini] : [ini], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  for (let i = 0; !(await portOpen(options.port)); i += 1) {
    if (i > 100 || child.exitCode !== null) {
      child.kill("SIGKILL");
      let log = "";
      try {
        log = readFileSync(join(folder, "pgbouncer.log"), "utf8").slice(-500);
      } catch {}
      rmSync(folder, { recursive: true, force: true });
      throw new Error(`pgbouncer did not start on port ${options.port}: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: (pool) => `postgres://${encodeURIComponent(user)}@127.0.0.1:${options.port}/${pool}`,
    async stop() {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
