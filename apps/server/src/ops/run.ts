import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ZodError } from "zod";
import { connect, type Database } from "@seatdesk/db";
import { createAccount, listAccounts, OpsError, resetOwnerPassword, type AccountRow } from "./commands";

/**
 * The operators' commands (`pnpm seatdesk account create …`), run against the database directly: no
 * server needed. Exit codes as the API client's: 0 done, 1 refused or failed, 2 a wrong command line.
 */

export const opsCommands = ["account", "owner", "migrate"] as const;

export const opsUsage = `Usage: pnpm seatdesk <operator command> [options]

Operator commands work on the database directly (no server needed): DATABASE_URL, or when it is
unset the embedded database in SEATDESK_DATA_DIR (default .data; stop the server first: the
embedded database is opened by one process at a time).

  migrate                                       apply the database migrations (safe to repeat)
  account create --name <account name> --owner-name <name> --owner-email <e-mail>
                                                a new, empty account and its first owner; prints the
                                                owner's one-time password once (only its hash is stored)
  account list                                  every account: id, name, owners, created
  owner reset-password --email <e-mail>         a new one-time password for an owner, printed once;
                                                ends every session of theirs

Options:
  -h, --help                                    this text

A one-time password is shown once and stored nowhere but as a hash: hand it to the owner over a
channel you trust; they sign in with it and change it (session.changePassword).
`;

const options = {
  name: { type: "string" },
  "owner-name": { type: "string" },
  "owner-email": { type: "string" },
  email: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];
type Option = Exclude<keyof Values, "help">;

/** What each command accepts, and requires. */
const commands: Record<string, { options: readonly Option[]; database: "any" | "migrated" }> = {
  migrate: { options: [], database: "any" },
  "account create": { options: ["name", "owner-name", "owner-email"], database: "migrated" },
  "account list": { options: [], database: "migrated" },
  "owner reset-password": { options: ["email"], database: "migrated" },
};

/** A mistake on the command line: answered with the usage text and exit code 2. */
class UsageError extends Error {}

export interface OpsIo {
  env: NodeJS.ProcessEnv;
  /** Where relative paths (SEATDESK_DATA_DIR) are meant from, when INIT_CWD does not say. */
  cwd: string;
  out: (text: string) => void;
  err: (text: string) => void;
  now?: () => Date;
}

/** Which database the commands open: described without the URL's password. */
interface Target {
  url?: string;
  dataDir?: string;
  label: string;
}

function target(env: NodeJS.ProcessEnv, cwd: string): Target {
  const url = env.DATABASE_URL;
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError("DATABASE_URL: not a URL; expected postgres://user:password@host:5432/database");
    }
    if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
      throw new UsageError(`DATABASE_URL: expected a postgres:// URL (got ${parsed.protocol}//…)`);
    }
    return { url, label: `PostgreSQL at ${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}` };
  }
  // As the server does (main.ts): relative to where the command was typed, which pnpm passes as INIT_CWD.
  const dataDir = join(resolve(env.INIT_CWD ?? cwd, env.SEATDESK_DATA_DIR ?? ".data"), "pglite");
  return { dataDir, label: `the embedded database in ${dataDir}` };
}

const instant = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const accountRows = (rows: AccountRow[]) => rows.map((r) => [r.id, r.name, r.owners.join(", ") || "(none)", instant(r.createdAt)]);

/** The deepest cause's message: drivers wrap a refused connection, the query layer wraps the driver's error. */
function rootMessage(e: unknown): string {
  let current: unknown = e;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** PostgreSQL's SQLSTATE, wherever the driver and the query layer put it. */
function sqlState(e: unknown): string | undefined {
  for (let current: unknown = e; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

async function run(command: string, values: Values, database: Database, where: Target, io: OpsIo): Promise<void> {
  const now = io.now?.() ?? new Date();
  const db = database.db;
  if (command === "migrate") {
    await database.migrate();
    io.out(`Migrations applied: ${where.label} is up to date.\n`);
  } else if (command === "account create") {
    const created = await createAccount(db, { name: values.name ?? "", ownerName: values["owner-name"] ?? "", ownerEmail: values["owner-email"] ?? "" }, now);
    io.out(
      [
        `Account created: ${created.account.name} (id ${created.account.id})`,
        `Owner: ${created.owner.name} <${created.owner.email}>`,
        `One-time password: ${created.oneTimePassword}`,
        "",
        "The password is shown this once (only its hash is stored): hand it to the owner over a channel you",
        "trust. They sign in to the console with it and change it; the account starts empty (no profile yet).",
        "",
      ].join("\n"),
    );
  } else if (command === "account list") {
    const rows = await listAccounts(db);
    io.out(rows.length ? `${table(["Id", "Name", "Owners", "Created"], accountRows(rows))}\n\n${rows.length} account${rows.length === 1 ? "" : "s"}\n` : "No accounts yet: create one with `seatdesk account create`.\n");
  } else {
    const reset = await resetOwnerPassword(db, values.email ?? "", now);
    io.out(
      [
        `Password reset for ${reset.email} (owner of ${reset.accountName}, id ${reset.accountId}); ${reset.sessionsEnded} session${reset.sessionsEnded === 1 ? "" : "s"} ended.`,
        `One-time password: ${reset.password}`,
        "",
        "The password is shown this once (only its hash is stored): hand it to the owner over a channel you trust.",
        "",
      ].join("\n"),
    );
  }
}

/** Runs one operator command line; answers the exit code. Never prints a stack trace. */
export async function runOps(argv: string[], io: OpsIo): Promise<number> {
  const usageError = (message: string) => {
    io.err(`seatdesk: ${message}\n\n${opsUsage}`);
    return 2;
  };
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    return usageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(opsUsage);
    return 0;
  }
  const [first, second, ...extra] = positionals;
  const command = first === "migrate" ? first : `${first ?? ""} ${second ?? ""}`.trim();
  const spec = commands[command];
  if (!spec) {
    if (first === "account" || first === "owner") {
      const known = Object.keys(commands).filter((c) => c.startsWith(`${first} `)).map((c) => c.slice(first.length + 1));
      return usageError(second ? `unknown command "${first} ${second}": use ${first} ${known.join(" or ")}` : `${first}: name what to do (${known.join(", ")})`);
    }
    return usageError(`unknown operator command "${positionals.join(" ")}"`);
  }
  const extraPositionals = first === "migrate" ? positionals.slice(1) : extra;
  if (extraPositionals.length) return usageError(`${command} takes no further arguments (got "${extraPositionals.join(" ")}"); quote a name with spaces`);
  for (const option of Object.keys(values) as (keyof Values)[]) {
    if (option !== "help" && !spec.options.includes(option)) return usageError(`--${option} is not an option of ${command}`);
  }
  for (const option of spec.options) {
    if (values[option] === undefined) return usageError(`${command}: --${option} is required`);
  }

  let where: Target;
  try {
    where = target(io.env, io.cwd);
  } catch (e) {
    if (e instanceof UsageError) return usageError(e.message);
    throw e;
  }
  if (where.dataDir && existsSync(join(where.dataDir, "postmaster.pid"))) {
    // PGlite writes this file while the folder is open and removes it on a clean close; two processes
    // writing one embedded database would corrupt it.
    io.err(
      `seatdesk: ${where.label} is open in another process (a running Seatdesk server?): stop it first. ` +
        `If none is running, the last one did not stop cleanly: start and stop the server once.\n`,
    );
    return 1;
  }
  if (where.dataDir && spec.database === "migrated" && !existsSync(where.dataDir)) {
    io.err(`seatdesk: no embedded database in ${where.dataDir}: set DATABASE_URL, or SEATDESK_DATA_DIR, or run \`seatdesk migrate\` first\n`);
    return 1;
  }

  let database: Database | undefined;
  try {
    database = await connect({ url: where.url, dataDir: where.dataDir, max: 1 });
    await run(command, values, database, where, io);
    return 0;
  } catch (e) {
    if (e instanceof OpsError) {
      io.err(`seatdesk: ${e.message}\n`);
      return 1;
    }
    if (e instanceof ZodError) {
      const issue = e.issues[0];
      const field = { name: "--name", ownerName: "--owner-name", ownerEmail: "--owner-email" }[String(issue?.path[0])] ?? String(issue?.path[0]);
      return usageError(`${field}: ${issue?.message ?? "invalid"}`);
    }
    if (sqlState(e) === "42P01") {
      io.err(`seatdesk: ${where.label} has no Seatdesk tables yet: run \`seatdesk migrate\` first\n`);
      return 1;
    }
    io.err(`seatdesk: ${command} failed on ${where.label}: ${rootMessage(e)}\n`);
    return 1;
  } finally {
    await database?.close().catch((e: unknown) => io.err(`seatdesk: could not close ${where.label} cleanly: ${rootMessage(e)}\n`));
  }
}
