import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../build";

/**
 * Issue 14: production runs the compiled JavaScript with plain node. Built here into a folder of its
 * own (apps/server/test-output), then started as a real process: it answers, a request under way when
 * SIGTERM arrives completes, and the process exits 0. On PGlite the server seeds the demo (the seed is
 * a chunk loaded only then); on PostgreSQL it runs without it, and the worker and migrate are tried too.
 */
const serverDir = join(import.meta.dirname, "..");
const pgUrl = process.env.TEST_DATABASE_URL;
let outdir = "";
const temp: string[] = [];

beforeAll(async () => {
  ({ outdir } = await buildServer({ quiet: true, outdir: join(serverDir, "test-output", `build-${process.pid}-${randomUUID().slice(0, 8)}`) }));
}, 60_000);
afterAll(() => {
  for (const dir of [outdir, ...temp]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "seatdesk-ops-"));
  temp.push(dir);
  return dir;
};

/** The environment of a started program: only what it is given (not DATABASE_URL or pnpm's INIT_CWD from this run). */
function envWith(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return { ...env, ...vars };
}

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: string | null; at: number }>;
}
function start(program: string, args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [join(outdir, program), ...args], { env: envWith(env), cwd: tempDir() });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, at: performance.now() })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const errorCode = (p: Promise<unknown>) =>
  p.then(
    () => "answered",
    (e: NodeJS.ErrnoException) => e.code,
  );

function getOnce(port: number, path: string): Promise<{ status: number; body: string; requestId: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, requestId: res.headers["x-request-id"] as string | undefined }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the compiled programs", () => {
  it("a bad variable stops the server before it starts: one line naming it, exit 2", async () => {
    const run = start("main.js", [], { PORT: "abc", SEATDESK_DATA_DIR: tempDir() });
    const { code } = await run.exited;
    expect(code).toBe(2);
    expect(run.stderr()).toBe('Configuration error: PORT: expected a whole number from 0 to 65535, got "abc"\n');
    expect(run.stdout()).toBe("");
  });

  it("the worker without DATABASE_URL: one line, exit 2", async () => {
    const run = start("worker.js", [], {});
    expect((await run.exited).code).toBe(2);
    expect(run.stderr()).toBe("Configuration error: DATABASE_URL: the worker runs against PostgreSQL: set it (embedded PGlite closes months inside the server)\n");
  });

  it(
    `the server (${pgUrl ? "PostgreSQL" : "embedded PGlite with the demo"}) answers, finishes a request under way at SIGTERM, refuses new connections and exits 0`,
    async () => {
      const staticDir = tempDir();
      const size = 24 * 1024 * 1024;
      writeFileSync(join(staticDir, "big.bin"), Buffer.alloc(size, 7));
      writeFileSync(join(staticDir, "index.html"), "<!doctype html><title>Seatdesk</title>");
      const run = start("main.js", [], {
        PORT: "0",
        SEATDESK_STATIC_DIR: staticDir,
        SEATDESK_SHUTDOWN_TIMEOUT_S: "20",
        ...(pgUrl ? { DATABASE_URL: pgUrl, SEATDESK_DEMO: "0" } : { SEATDESK_DATA_DIR: tempDir() }),
      });
      await waitFor("the server to start", () => /running at http:\/\/localhost:\d+/.test(run.stdout()) || run.child.exitCode !== null, 45_000);
      const port = Number(/running at http:\/\/localhost:(\d+)/.exec(run.stdout())?.[1]);
      expect(port).toBeGreaterThan(0);
      if (!pgUrl) expect(run.stdout()).toMatch(/Sign in as admin@northwind\.example with password \S+/);

      const health = await getOnce(port, "/healthz");
      expect(health.status).toBe(200);
      expect(health.requestId).toMatch(/^[0-9a-f-]{36}$/);

      // A large answer, read slowly: in flight when SIGTERM arrives.
      let received = 0;
      let resume: () => void = () => {};
      let gotFirst: () => void = () => {};
      const firstChunk = new Promise<void>((r) => (gotFirst = r));
      const big = new Promise<{ status: number; bytes: number }>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: "/big.bin", agent: false }, (res) => {
          res.on("data", (c: Buffer) => {
            received += c.length;
            if (received === c.length) {
              res.pause();
              resume = () => res.resume();
              gotFirst();
            }
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes: received }));
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
      });
      await firstChunk;

      const signalledAt = performance.now();
      run.child.kill("SIGTERM");
      await waitFor("the shutdown to begin", () => run.stderr().includes('"msg":"shutting down"'), 5_000);
      expect(await errorCode(getOnce(port, "/healthz"))).toBe("ECONNREFUSED");
      expect(run.child.exitCode).toBeNull();
      resume();
      expect(await big).toEqual({ status: 200, bytes: size });

      const exit = await run.exited;
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.at - signalledAt).toBeLessThan(15_000);
      const lines = run.stderr().trim().split("\n").map((l) => JSON.parse(l) as { msg: string; inFlight?: number });
      expect(lines.find((l) => l.msg === "shutting down")?.inFlight).toBe(1);
      expect(lines.at(-1)?.msg).toBe("stopped");
    },
    60_000,
  );
});

if (pgUrl) {
  describe("the compiled worker and migrate (PostgreSQL)", () => {
    it("migrate applies the migrations it finds beside the compiled files", async () => {
      const run = start("migrate.js", [], { DATABASE_URL: pgUrl });
      expect((await run.exited).code).toBe(0);
      expect(run.stdout()).toBe("migrations applied (postgres)\n");
    }, 30_000);

    it("the worker stops promptly on SIGTERM between runs and exits 0", async () => {
      // An account with no profiles: the run closes nothing of the other tests' tenants.
      const run = start("worker.js", [`--account=${randomUUID()}`], { DATABASE_URL: pgUrl, SEATDESK_CLOSE_EVERY_S: "3600" });
      await waitFor("the first close run", () => run.stderr().includes('"msg":"close run done"'), 20_000);
      const signalledAt = performance.now();
      run.child.kill("SIGTERM");
      const exit = await run.exited;
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.at - signalledAt).toBeLessThan(2_000);
      expect(run.stderr()).toContain('"msg":"stopped"');
    }, 30_000);
  });
}
