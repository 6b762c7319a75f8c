import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const webDir = fileURLToPath(new URL("..", import.meta.url));
const serverDir = fileURLToPath(new URL("../../server", import.meta.url));

export interface RunningServer {
  url: string;
  credentials: { email: string; password: string };
  /** Everything the server printed, for a failure message. */
  output: () => string;
  stop: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

/**
 * The real server (`src/main.ts` through tsx) on a free port, with a fresh data folder, so the
 * demo is seeded from scratch and nothing is left behind. Waits for /healthz.
 */
export async function startServer(timeoutMs = 100_000, extraEnv: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "seatdesk-e2e-"));
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), SEATDESK_DATA_DIR: dataDir, INIT_CWD: serverDir, ...extraEnv };
  // E2E_DIST: a build in another folder (`vite build --outDir …`), so two builds never race over dist/.
  if (process.env.E2E_DIST) env.SEATDESK_STATIC_DIR = process.env.E2E_DIST;
  // Embedded PGlite, always: a DATABASE_URL from the caller's shell must not point the test at a real database.
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: serverDir, env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited(child);
      clearTimeout(killer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`the server did not answer /healthz within ${timeoutMs / 1000} s`);
      const healthy = await fetch(`${url}/healthz`)
        .then(async (r) => r.ok && ((await r.json()) as { ok?: boolean }).ok === true)
        .catch(() => false);
      if (healthy) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const file = join(dataDir, "demo-admin.json");
    if (!existsSync(file)) throw new Error(`the server wrote no demo credentials to ${file}`);
    const credentials = JSON.parse(readFileSync(file, "utf8")) as { email: string; password: string };
    return { url, credentials, output: () => log, stop };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- server output ---\n${log}`);
  }
}
