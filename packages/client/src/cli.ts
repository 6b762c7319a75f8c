/**
 * `pnpm seatdesk <command> [options]`: the console's operations from a terminal, through the typed
 * client. Output for people goes to stdout, errors to stderr; the exit code is 0 on success, 1 when
 * the server refused or failed, 2 for a wrong command line (or an account the walkthrough cannot run on).
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { defaultCatalog, tierIds, type TierId } from "@seatdesk/domain";
import { createClient, TRPCClientError, type AppRouter, type SeatdeskClient } from "./index";
import { NotEnoughPeople, walkthrough } from "./walkthrough";

const usage = `Usage: pnpm seatdesk <command> [options]

Commands:
  users [--search <text>] [--limit <n> | --all]   the Users tab: name, e-mail, tier, status, scheduled change, last active
  subscribe-group <group name> <tier>             subscribe every member of a group (tier: ${tierIds.join(", ")}, or Pro / Pro+ / Power)
  walkthrough                                     on the demo account: subscribe a new group, upgrade one member, downgrade
                                                  another, unsubscribe a third person, then show their rows and the running bill

Options:
  --url <url>            the Seatdesk server (default http://localhost:3000)
  --email <e-mail>       a console admin (or SEATDESK_EMAIL)
  --password <password>  their password (or SEATDESK_PASSWORD; the variable keeps it out of your shell history)
  --region <region>      the profile's region (default us-east-1)
  -h, --help             this text

Operator commands (on the database directly, no server or sign-in): migrate, account create,
account list, owner reset-password; \`pnpm seatdesk account --help\` tells more.
`;

/** A mistake on the command line: answered with the usage text and exit code 2. */
class UsageError extends Error {}

const options = {
  url: { type: "string", default: "http://localhost:3000" },
  email: { type: "string" },
  password: { type: "string" },
  region: { type: "string", default: "us-east-1" },
  search: { type: "string" },
  limit: { type: "string" },
  all: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

const out = (line = "") => process.stdout.write(`${line}\n`);

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const tierName = (id: string | null) => (id ? (defaultCatalog.tiers.find((t) => t.id === id)?.name ?? id) : "—");
export const statusName = (status: string | null) => (status ? status[0]!.toUpperCase() + status.slice(1) : "Not subscribed");
/** Instants cross the API as ISO strings; shown to the minute, in UTC as the rules count them. */
export const instant = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—");
const day = (iso: string) => iso.slice(0, 10);

/** Accepts a tier id (pro_plus) or its name (Pro+), case-insensitively. */
export function parseTier(text: string): TierId {
  const wanted = text.trim().toLowerCase();
  const tier = defaultCatalog.tiers.find((t) => t.id === wanted || t.name.toLowerCase() === wanted);
  if (!tier) throw new UsageError(`unknown tier "${text}": use one of ${defaultCatalog.tiers.map((t) => `${t.id} (${t.name})`).join(", ")}`);
  return tier.id;
}

function credentials(values: Values): { email: string; password: string } {
  const email = values.email ?? process.env.SEATDESK_EMAIL;
  const password = values.password ?? process.env.SEATDESK_PASSWORD;
  if (!email) throw new UsageError("--email: give the console admin's e-mail (or set SEATDESK_EMAIL)");
  if (!password) throw new UsageError("--password: give the password (or set SEATDESK_PASSWORD)");
  return { email, password };
}

/** The profile of the chosen region, or the DESIGN.md §1 answer naming the regions where the account has one. */
export async function profileIn(client: SeatdeskClient, region: string): Promise<string> {
  const { profile, otherRegions } = await client.profiles.byRegion.query({ region });
  if (profile) return profile.id;
  const hint = otherRegions.length ? `; you have profiles in ${otherRegions.join(", ")} (use --region)` : "; the account has no profile yet";
  throw new CommandError(`no profile in ${region}${hint}`);
}

/** The server answered, but the command cannot go on (exit code 1). */
export class CommandError extends Error {}

const maxPageSize = 200;

async function usersCommand(client: SeatdeskClient, values: Values, region: string) {
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!values.all && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`--limit: a whole number of rows, at least 1 (got "${values.limit}")`);
  const profileId = await profileIn(client, region);
  const wanted = values.all ? Number.POSITIVE_INFINITY : limit;
  const rows: string[][] = [];
  let cursor: string | null = null;
  let more = false;
  do {
    const page: Awaited<ReturnType<typeof client.subscriptions.list.query>> = await client.subscriptions.list.query({
      profileId,
      search: values.search,
      cursor,
      limit: Math.min(maxPageSize, wanted - rows.length),
    });
    for (const r of page.rows) {
      const scheduled = r.scheduledTier && r.scheduledAt ? `${tierName(r.scheduledTier)} on ${day(r.scheduledAt)}` : r.accessEndsAt ? `access ends ${instant(r.accessEndsAt)}` : "—";
      rows.push([r.displayName, r.email, tierName(r.tier), `${statusName(r.status)}${r.directoryActive ? "" : " (inactive in directory)"}`, scheduled, instant(r.lastActiveAt)]);
    }
    cursor = page.nextCursor;
    more = cursor !== null;
  } while (more && rows.length < wanted);

  if (rows.length === 0) {
    out(values.search ? `No users match "${values.search}".` : "The directory has no users.");
    return;
  }
  out(formatTable(["Name", "E-mail", "Tier", "Status", "Scheduled change", "Last active"], rows));
  out();
  out(`${rows.length} user${rows.length === 1 ? "" : "s"}${more ? " (more: --limit <n> or --all)" : ""}`);
}

/** What happened to one member, in the words of DESIGN.md §2. */
function outcomeLabel(kind: string, onDay: string | null): string {
  const labels: Record<string, string> = {
    subscribed: "newly subscribed (Pending until they use the tool)",
    upgraded: "upgraded now",
    "changed-now": "tier changed now (still Pending)",
    "downgrade-scheduled": `downgrade scheduled for ${onDay ?? "the 1st"}`,
    "scheduled-change-cleared": "scheduled downgrade cleared",
    restored: "re-subscribed this month (no second charge)",
    unchanged: "no change (already on this tier or higher)",
    none: "not subscribed (inactive in the directory)",
  };
  return labels[kind] ?? (onDay ? `${kind} on ${onDay}` : kind);
}

async function subscribeGroupCommand(client: SeatdeskClient, groupName: string, tier: TierId, region: string) {
  const profileId = await profileIn(client, region);
  // Group names are unique per account, case-insensitively; the search finds every name containing this one.
  const wanted = groupName.trim().toLowerCase();
  const similar: string[] = [];
  let group: { id: string; displayName: string; memberCount: number } | undefined;
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof client.directory.listGroups.query>> = await client.directory.listGroups.query({ search: groupName.trim(), cursor, limit: maxPageSize });
    group = page.rows.find((g) => g.displayName.toLowerCase() === wanted);
    similar.push(...page.rows.slice(0, 5 - similar.length).map((g) => `"${g.displayName}"`));
    cursor = page.nextCursor;
  } while (!group && cursor);
  if (!group) {
    throw new CommandError(`no group named "${groupName}"${similar.length ? `; did you mean ${similar.join(", ")}?` : ""}`);
  }
  const result = await client.subscriptions.subscribe.mutate({ profileId, groupIds: [group.id], tier });
  const users = result.targets.flatMap((t) => t.users);
  const counts = new Map<string, number>();
  for (const u of users) {
    const label = outcomeLabel(u.outcome.kind, u.when === "next-month" && u.at ? day(u.at) : null);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  out(`Subscribed ${group.displayName} (${group.memberCount} member${group.memberCount === 1 ? "" : "s"}) to ${tierName(tier)} in ${region}.`);
  for (const [label, n] of [...counts].sort((a, b) => b[1] - a[1])) out(`  ${String(n).padStart(6)}  ${label}`);
}

/** What the command line asks for, checked before anything is sent. */
type Plan = { command: "users" } | { command: "subscribe-group"; groupName: string; tier: TierId } | { command: "walkthrough" };

function plan(command: string, args: string[]): Plan {
  if (command === "users" || command === "walkthrough") {
    if (args.length) throw new UsageError(`${command} takes no arguments (got "${args.join(" ")}")${command === "users" ? "; to search, use --search" : ""}`);
    return { command };
  }
  if (command === "subscribe-group") {
    const [groupName, tierText, ...extra] = args;
    if (!groupName?.trim() || !tierText || extra.length) throw new UsageError('subscribe-group takes a group name and a tier, e.g. subscribe-group "Engineering" pro_plus');
    return { command, groupName, tier: parseTier(tierText) };
  }
  throw new UsageError(`unknown command "${command}"`);
}

/** tRPC wraps a failed connection in a TRPCClientError without a server answer (no data). */
const unreachable = (e: TRPCClientError<AppRouter>) => !e.data && e.cause instanceof Error && e.cause.message === "fetch failed";

/**
 * Operator commands work on the database, not through the API: the server's own command line
 * (apps/server/src/ops) runs them in a child process, so this package never loads the database.
 */
const operatorCommands = new Set(["account", "owner", "migrate"]);
const serverDir = fileURLToPath(new URL("../../../apps/server", import.meta.url));

function runOperatorCommand(argv: string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/ops/cli.ts", ...argv], {
      cwd: serverDir,
      stdio: "inherit",
      // Paths on the command line (SEATDESK_DATA_DIR) are meant from where it was typed.
      env: { ...process.env, INIT_CWD: process.env.INIT_CWD ?? process.cwd() },
    });
    child.on("error", (e) => {
      process.stderr.write(`seatdesk: could not run the operator command: ${e.message}\n`);
      done(1);
    });
    child.on("exit", (code) => done(code ?? 1));
  });
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] && operatorCommands.has(argv[0])) return runOperatorCommand(argv);
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || !command) {
    (values.help ? process.stdout : process.stderr).write(usage);
    return values.help ? 0 : 2;
  }
  let client: SeatdeskClient | null = null;
  try {
    const wanted = plan(command, args);
    client = await createClient(values.url, credentials(values));
    if (wanted.command === "users") await usersCommand(client, values, values.region);
    else if (wanted.command === "walkthrough") await walkthrough(client, { region: values.region, out });
    else await subscribeGroupCommand(client, wanted.groupName, wanted.tier, values.region);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${usage}`);
      return 2;
    }
    if (e instanceof NotEnoughPeople) {
      // The account lacks the people the walkthrough needs; it stopped before changing anything.
      process.stderr.write(`seatdesk walkthrough: ${e.message}\n`);
      return 2;
    }
    if (e instanceof TRPCClientError && unreachable(e)) {
      process.stderr.write(`seatdesk: cannot reach ${values.url}: is the server running? (${String(e.cause?.cause ?? e.message)})\n`);
      return 1;
    }
    if (e instanceof TRPCClientError || e instanceof CommandError) {
      process.stderr.write(`seatdesk: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    // Each run signs in afresh; its session is ended rather than left to expire.
    await client?.signOut().catch((e: unknown) => process.stderr.write(`seatdesk: could not sign out: ${(e as Error).message}\n`));
  }
}

const invokedAs = process.argv[1] ? pathToFileURL(resolve(process.argv[1])).href : "";
if (import.meta.url === invokedAs) {
  process.exitCode = await main(process.argv.slice(2));
}
