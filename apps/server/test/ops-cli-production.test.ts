import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import postgres from "postgres";
import { freePort } from "./ports";

/**
 * The README's production section, followed word for word on a fresh database: the operator's
 * commands exactly as printed there, run by a shell from the repository's root, then the server, then
 * the owner signing in over HTTP with what the command printed, into an empty account.
 */
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const serverDir = fileURLToPath(new URL("..", import.meta.url));

/** The README's lines, verbatim. */
export const readme = {
  migrate: "npx -y pnpm@12.4.2 seatdesk migrate",
  createAccount: 'npx -y pnpm@12.4.2 seatdesk account create --name "Acme Corp" --owner-name "Ada Lovelace" --owner-email ada@acme.example',
  listAccounts: "npx -y pnpm@12.4.2 seatdesk account list",
  resetPassword: "npx -y pnpm@12.4.2 seatdesk owner reset-password --email ada@acme.example",
};
const ownerEmail = "ada@acme.example";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function shell(line: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", line], { cwd: repoRoot, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(line: string, env: NodeJS.ProcessEnv): Promise<string> {
  const ran = await shell(line, env);
  expect(ran.code, `${line}\n${ran.stdout}\n${ran.stderr}`).toBe(0);
  return ran.stdout;
}

const printedPassword = (stdout: string) => {
  const match = /^One-time password: (\S+)$/m.exec(stdout);
  expect(match, stdout).not.toBeNull();
  return match![1]!;
};


/** The server from source, as `pnpm --filter @seatdesk/server start` runs it; waits for /healthz. */
async function startServer(env: NodeJS.ProcessEnv): Promise<{ url: string; stop: () => Promise<number | null>; output: () => string }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: serverDir,
    env: { ...env, PORT: String(port), HOST: "127.0.0.1", INIT_CWD: repoRoot },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await exited;
    clearTimeout(killer);
    return code;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 40_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}\n${log}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the server did not answer /healthz\n${log}`);
    }
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, stop, output: () => log };
}

async function signIn(url: string, email: string, password: string): Promise<{ status: number; cookie: string }> {
  const res = await fetch(`${url}/trpc/session.signIn`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
  return { status: res.status, cookie: (res.headers.get("set-cookie") ?? "").split(";")[0]! };
}

async function query<T>(url: string, cookie: string, path: string, input?: unknown): Promise<{ status: number; data: T }> {
  const res = await fetch(`${url}/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { headers: { cookie } });
  const body = (await res.json()) as { result?: { data: T } };
  return { status: res.status, data: body.result?.data as T };
}

/** Signed in as the owner, in the account the command made, and it is empty: no profile, no directory user. */
async function expectEmptyAccount(url: string, password: string): Promise<string> {
  const signedIn = await signIn(url, ownerEmail, password);
  expect(signedIn.status).toBe(200);
  const me = await query<{ email: string; role: string; account: { name: string } }>(url, signedIn.cookie, "session.me");
  expect(me).toMatchObject({ status: 200, data: { email: ownerEmail, role: "owner", account: { name: "Acme Corp" } } });
  const profiles = await query<{ profiles: unknown[] }>(url, signedIn.cookie, "profiles.list");
  expect(profiles.status).toBe(200);
  expect(profiles.data.profiles).toEqual([]);
  const users = await query<{ rows: unknown[] }>(url, signedIn.cookie, "directory.listUsers", {});
  expect(users.status).toBe(200);
  expect(users.data.rows).toEqual([]);
  return signedIn.cookie;
}

/** The environment a shell on the operator's machine has: nothing of the test run's own database. */
function operatorEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ["TEST_DATABASE_URL", "SEATDESK_DEMO", "SEATDESK_PGLITE_SNAPSHOT", "INIT_CWD", "npm_config_user_agent", "PNPM_SCRIPT_SRC_DIR"]) delete env[name];
  if (!extra.DATABASE_URL) delete env.DATABASE_URL;
  if (!extra.SEATDESK_DATA_DIR) delete env.SEATDESK_DATA_DIR;
  return env;
}

describe("the README's production section", () => {
  it("holds these command lines word for word", () => {
    const text = readFileSync(join(repoRoot, "README.md"), "utf8");
    const section = text.slice(text.indexOf("## In production (PostgreSQL)"));
    for (const line of Object.values(readme)) expect(section).toContain(line);
  });
});

if (process.env.TEST_DATABASE_URL) {
  describe("production on PostgreSQL, as the README says", () => {
    it("migrate, create the account and owner, start the server, sign in to an empty account; reset the owner's password", { timeout: 120_000 }, async () => {
      const admin = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
      const name = `seatdesk_readme_${process.pid}_${Date.now()}`;
      await admin.unsafe(`create database ${name}`);
      const databaseUrl = new URL(process.env.TEST_DATABASE_URL!);
      databaseUrl.pathname = `/${name}`;
      const env = operatorEnv({ DATABASE_URL: databaseUrl.href });
      let server: Awaited<ReturnType<typeof startServer>> | undefined;
      try {
        expect(await ok(readme.migrate, env)).toContain("Migrations applied: PostgreSQL at");
        const password = printedPassword(await ok(readme.createAccount, env));
        const listed = await ok(readme.listAccounts, env);
        expect(listed).toMatch(/^[0-9a-f-]{36} {2}Acme Corp {2}ada@acme\.example {2}\d{4}-\d\d-\d\d \d\d:\d\d UTC$/m);
        expect(listed).toContain("1 account\n");

        server = await startServer(env);
        const cookie = await expectEmptyAccount(server.url, password);

        // Recovering an owner, with the server running: their sessions end, the old password stops working.
        const reset = await ok(readme.resetPassword, env);
        expect(reset).toContain("1 session ended");
        const newPassword = printedPassword(reset);
        expect((await query(server.url, cookie, "session.me")).status).toBe(401);
        expect((await signIn(server.url, ownerEmail, password)).status).toBe(401);
        await expectEmptyAccount(server.url, newPassword);

        // Run twice, the account is refused by its owner's e-mail (ops-cli.test.ts shows nothing is left half made).
        const again = await shell(readme.createAccount, env);
        expect(again.code).toBe(1);
        expect(again.stderr).toContain("--owner-email: ada@acme.example is already a console admin's sign-in");
      } finally {
        await server?.stop();
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    });
  });
}

if (!process.env.TEST_DATABASE_URL) {
  describe("the same commands on the embedded database (SEATDESK_DATA_DIR, no DATABASE_URL)", () => {
    it("migrate, create, sign in to an empty account; reset is refused while the server has the database open, which a clean stop closes", { timeout: 120_000 }, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "seatdesk-ops-readme-"));
      const env = operatorEnv({ SEATDESK_DATA_DIR: dataDir });
      let server: Awaited<ReturnType<typeof startServer>> | undefined;
      try {
        expect(await ok(readme.migrate, env)).toContain(`Migrations applied: the embedded database in ${join(dataDir, "pglite")} is up to date.`);
        const password = printedPassword(await ok(readme.createAccount, env));

        // An account exists, so the embedded server does not seed the demo.
        server = await startServer(env);
        await expectEmptyAccount(server.url, password);
        const whileRunning = await shell(readme.resetPassword, env);
        expect(whileRunning.code).toBe(1);
        expect(whileRunning.stderr).toContain("is open in another process (a running Seatdesk server?): stop it first");

        // A clean stop closes the embedded database, and the commands may open it again.
        expect(await server.stop()).toBe(0);
        server = undefined;
        expect(existsSync(join(dataDir, "pglite", "postmaster.pid"))).toBe(false);
      } finally {
        await server?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
