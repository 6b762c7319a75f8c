import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, expect, it } from "vitest";
import { seatdeskDistribution } from "@seatdesk/db/distribution";
import type { LoggedStatement } from "@seatdesk/db/testing";
import { loadParser, tenantSqlProblems } from "@seatdesk/db/tenant-sql";

/**
 * DESIGN.md §3: no statement the product sends joins across accounts or needs more than one account's shard
 * on Citus. The statements are the ones a representative set of this suite's tests really send (through the
 * application's database: the tests' own reads and set-up are not logged), each checked on PostgreSQL's
 * parse tree with its parameters (packages/db tenant-sql.ts). A statement the tests do not reach is not
 * checked; one run inside the database (a trigger, a function) neither. Known and not reached here: signing in
 * over HTTP ends the session the browser brings by its token's hash alone (it may be any account's), and the
 * webhook worker claims due deliveries of every account when it runs unscoped (FOR UPDATE SKIP LOCKED across
 * shards, which Citus does not run).
 */
// Not the tests that go through real HTTP from 127.0.0.1: the sign-in throttle counts by client address in the
// shared database, and this run goes on beside the suite's own run of the same files.
const representative = [
  "test/auth-sessions.test.ts",
  "test/usage.test.ts",
  "test/scim-core.test.ts",
  "test/admins.test.ts",
  "test/subscribe.test.ts",
  "test/users-tab.test.ts",
  "test/month-close.test.ts",
  "test/webhooks.test.ts",
  "test/billing.test.ts",
];

interface Exemption {
  /** The statement, by the start of its text (white space collapsed). */
  startsWith: string;
  /**
   * `lookup`: finds the account from a credential, so it cannot name it; `batch`: per-account rows of several
   * accounts; `storage`: the partitions' upkeep, about the table and not any account's rows (sent only when a
   * month's partition is due, so a run may not see it).
   */
  kind: "lookup" | "batch" | "storage";
  why: string;
}

const credential = "the credential a request presents does not name its account: found by an index on every shard (a multi-shard read on Citus, one index probe each), and every statement after it is keyed by the account it finds";
const close =
  "the month close works on a batch of profiles at once, every row joined to its own account (the check proves each tenant table is tied to the batch's account_id): Citus runs it on each shard for that shard's accounts, co-located, never joining two accounts";

const exemptions: Exemption[] = [
  { kind: "lookup", startsWith: "select k.id, k.account_id, k.profile_id, k.secret_hash, k.last_used_at from api_keys k where k.lookup =", why: `a profile API key (usage.record): ${credential}` },
  {
    kind: "lookup",
    startsWith: "with k as (select k.id, k.account_id, k.profile_id, k.secret_hash, k.last_used_at from api_keys k where k.lookup =",
    why: `usage.check reads the key and the answer in one statement: ${credential}; the rest is tied to the key's account through (select k.account_id from k), which Citus plans after the lookup (not one shard: the one hot statement that is not)`,
  },
  { kind: "lookup", startsWith: "select id, account_id, name, secret_hash, last_used_at from scim_tokens where lookup =", why: `a SCIM bearer token: ${credential}` },
  { kind: "lookup", startsWith: 'select "account_id", "id", "email", "name", "role", "password_hash", "created_at" from "console_admins" where lower("console_admins"."email") =', why: `signing in by e-mail: ${credential}` },
  {
    kind: "lookup",
    startsWith: "select s.account_id, s.admin_id, s.created_at, s.last_seen_at, s.expires_at, a.email, a.name, a.role",
    why: `a console session's cookie (with the profile of the page, in the same statement): ${credential}`,
  },
  { kind: "batch", startsWith: "select m.profile_id, m.user_id,", why: `the bills of the closing profiles' months (scheduler bill.ts): ${close}` },
  { kind: "batch", startsWith: "select s.profile_id, s.user_id,", why: `the subscriptions billed in the closing month (scheduler bill.ts): ${close}` },
  { kind: "batch", startsWith: "select account_id, id, overages_enabled, created_at, closed_through from profiles where (account_id, id) in (select * from unnest(", why: `the profiles to close, locked (scheduler close.ts): ${close}` },
  { kind: "batch", startsWith: "select profile_id from invoices where period =", why: `the invoices a retried close already wrote (scheduler close.ts): ${close}` },
  { kind: "batch", startsWith: "insert into invoices (account_id, profile_id,", why: `the closed month's invoices (scheduler close.ts): ${close}` },
  { kind: "batch", startsWith: "insert into invoice_lines (account_id, profile_id,", why: `the closed month's invoice lines (scheduler close.ts): ${close}` },
  { kind: "batch", startsWith: "update subscriptions set tier = (case when", why: `the scheduled downgrades due on the 1st (scheduler close.ts): ${close}` },
  { kind: "batch", startsWith: "with e as ( select account_id, profile_id, user_id from subscriptions", why: `the ended subscriptions' notices (scheduler close.ts): ${close}` },
  { kind: "batch", startsWith: "insert into notices (account_id, profile_id, user_id, period, kind, detail, created_at) select v.account_id", why: `the allowance-reset notices (scheduler close.ts): ${close}` },
  { kind: "batch", startsWith: "insert into audit_log (account_id, at, profile_id,", why: `the close's audit entries (scheduler close.ts): ${close}` },
  { kind: "batch", startsWith: "update profiles set closed_through =", why: `the closed period, marked (scheduler close.ts): ${close}` },
];

const partitions =
  "the scheduler's partition job (scheduler partitions.ts) asks whether a month's partition exists and whether the default partition holds that month's events: storage upkeep for every account at once; on Citus, time partitions of a distributed table are managed per shard by Citus itself (create_time_partitions)";
exemptions.push(
  { kind: "storage", startsWith: "select to_regclass(", why: partitions },
  { kind: "storage", startsWith: "select exists (select 1 from usage_events_default where occurred_at <", why: partitions },
  { kind: "storage", startsWith: "with moved as (delete from usage_events_default where occurred_at <", why: partitions },
);

const batchProblem = "runs for a batch of accounts (each row joined within its own account)";
const here = fileURLToPath(new URL("..", import.meta.url));
let statements: LoggedStatement[] = [];

beforeAll(async () => {
  await loadParser();
  const folder = mkdtempSync(join(tmpdir(), "seatdesk-sql-"));
  const log = join(folder, "statements.jsonl");
  try {
    const run = spawnSync(process.execPath, [join(here, "../../node_modules/vitest/vitest.mjs"), "run", ...representative], {
      cwd: here,
      env: { ...process.env, SEATDESK_SQL_LOG: log },
      encoding: "utf8",
      timeout: 540_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    statements = readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as LoggedStatement);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}, 600_000);

it("every statement the representative tests send stays within one account, but for the named exemptions", () => {
  expect(statements.length).toBeGreaterThan(1000);
  const unexpected: { sql: string; problems: string[] }[] = [];
  const used = new Set<Exemption>();
  for (const { sql, params } of statements) {
    const text = sql.replace(/\s+/g, " ").trim();
    const exemption = exemptions.find((e) => text.startsWith(e.startsWith));
    if (exemption) used.add(exemption);
    const problems = tenantSqlProblems(sql, params, seatdeskDistribution).map((p) => p.message);
    if (problems.length === 0) continue;
    const allowed = exemption && (exemption.kind === "batch" ? problems.every((p) => p === batchProblem) : !problems.some((p) => p.startsWith("reaches")));
    if (!allowed && !unexpected.some((u) => u.sql === text)) unexpected.push({ sql: text, problems });
  }
  expect(unexpected).toEqual([]);
  // Each exemption names a statement the product still sends: a stale one is removed, not kept as a blank cheque.
  expect(exemptions.filter((e) => e.kind !== "storage" && !used.has(e)).map((e) => e.startsWith)).toEqual([]);
});
