import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { accounts, auditLog, consoleAdmins } from "@seatdesk/db";
import { verifyPassword } from "../src/auth/password";
import { createSession, findSession } from "../src/auth/sessions";
import { createAccount, listAccounts, OpsError, resetOwnerPassword } from "../src/ops/commands";
import { runOps } from "../src/ops/run";
import { callerAs, harnessForFile, makeTenant, testNow } from "./harness";

const h = harnessForFile();
const unique = () => randomUUID().slice(0, 8);
const signIn = (email: string, password: string) => callerAs(h, null).session.signIn({ email, password });

async function failure(p: Promise<unknown>): Promise<OpsError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(OpsError);
  return e as OpsError;
}

describe("account create", () => {
  it("makes an empty account and its owner, who signs in with the one-time password; audited as the operator", async () => {
    const email = `ada-${unique()}@acme.example`;
    const created = await createAccount(h.database.db, { name: "  Acme Corp ", ownerName: "Ada Lovelace", ownerEmail: email }, testNow);
    expect(created.account).toMatchObject({ name: "Acme Corp", createdAt: testNow });
    expect(created.owner).toMatchObject({ email, name: "Ada Lovelace" });
    expect(created.oneTimePassword).toMatch(/^[\w]{5}(-[\w]{5}){3}$/);

    const admins = await h.database.db.select().from(consoleAdmins).where(eq(consoleAdmins.accountId, created.account.id));
    expect(admins.map((a) => ({ email: a.email, role: a.role }))).toEqual([{ email, role: "owner" }]);
    expect(admins[0]!.passwordHash).not.toContain(created.oneTimePassword);
    expect(await verifyPassword(created.oneTimePassword, admins[0]!.passwordHash)).toBe(true);

    const signedIn = await signIn(email.toUpperCase(), created.oneTimePassword);
    expect(signedIn).toEqual({ email, name: "Ada Lovelace", role: "owner" });

    const audit = await h.database.db.select().from(auditLog).where(eq(auditLog.accountId, created.account.id));
    expect(audit.map((a) => ({ action: a.action, actorType: a.actorType, actorId: a.actorId, targetId: a.targetId, at: a.at })).sort((a, b) => a.action.localeCompare(b.action))).toEqual([
      { action: "account.create", actorType: "operator", actorId: null, targetId: created.account.id, at: testNow },
      { action: "admin.invite", actorType: "operator", actorId: null, targetId: created.owner.id, at: testNow },
    ]);
    expect(JSON.stringify(audit)).not.toContain(created.oneTimePassword);
  });

  it("refuses an e-mail that already signs in anywhere, whatever its case, and leaves no account behind", async () => {
    const t = await makeTenant(h);
    const name = `Taken ${unique()}`;
    const e = await failure(createAccount(h.database.db, { name, ownerName: "Someone", ownerEmail: t.admins.viewer.email.toUpperCase() }, testNow));
    expect(e.message).toMatch(/^--owner-email: .* is already a console admin's sign-in/);
    expect(await h.database.db.select().from(accounts).where(eq(accounts.name, name))).toEqual([]);
  });

  it.each([
    [{ name: "", ownerName: "Ada", ownerEmail: "a@b.example" }, "name", "enter the account's name"],
    [{ name: "Acme", ownerName: " ", ownerEmail: "a@b.example" }, "ownerName", "enter a name"],
    [{ name: "Acme", ownerName: "Ada", ownerEmail: "not-an-address" }, "ownerEmail", "not an e-mail address"],
    [{ name: "x".repeat(201), ownerName: "Ada", ownerEmail: "a@b.example" }, "name", "at most 200 characters"],
  ])("refuses bad input naming the field: %j", async (input, field, message) => {
    const e = await createAccount(h.database.db, input, testNow).then(
      () => null,
      (err: unknown) => err as { issues: { path: string[]; message: string }[] },
    );
    expect(e?.issues[0]).toMatchObject({ path: [field], message });
  });
});

describe("owner reset-password", () => {
  it("sets a new one-time password, ends every session of that owner (not others'), and audits it", async () => {
    const t = await makeTenant(h);
    const owner = t.admins.owner;
    const tokens = [await createSession(h.database.db, t.accountId, owner.adminId, testNow), await createSession(h.database.db, t.accountId, owner.adminId, testNow)];
    const othersToken = await createSession(h.database.db, t.accountId, t.admins.admin.adminId, testNow);

    const reset = await resetOwnerPassword(h.database.db, ` ${owner.email.toUpperCase()} `, testNow);
    expect(reset).toMatchObject({ accountId: t.accountId, email: owner.email, sessionsEnded: 2 });
    for (const token of tokens) expect(await findSession(h.database.db, token, testNow)).toBeNull();
    expect(await findSession(h.database.db, othersToken, testNow)).not.toBeNull();

    expect(await signIn(owner.email, reset.password)).toMatchObject({ email: owner.email, role: "owner" });
    const audit = await h.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.accountId, t.accountId), eq(auditLog.action, "admin.resetPassword")));
    expect(audit.map((a) => ({ actorType: a.actorType, targetId: a.targetId, after: a.after }))).toEqual([{ actorType: "operator", targetId: owner.adminId, after: { sessionsEnded: 2 } }]);
  });

  it("lifts a sign-in lock-out of that e-mail: the owner signs in with the new password at once", async () => {
    const t = await makeTenant(h);
    const owner = t.admins.owner;
    // Locked out by wrong passwords (the default limit is 5 failures per e-mail).
    for (let i = 0; i < 6; i++) await signIn(owner.email, `wrong-${i}`).catch(() => undefined);
    await expect(signIn(owner.email, "still-wrong")).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    const reset = await resetOwnerPassword(h.database.db, owner.email, testNow);
    expect(await signIn(owner.email, reset.password)).toMatchObject({ email: owner.email, role: "owner" });
  });

  it("refuses admins and viewers, unknown e-mails and malformed ones, naming --email, and changes nothing", async () => {
    const t = await makeTenant(h);
    const before = await h.database.db.select({ id: consoleAdmins.id, hash: consoleAdmins.passwordHash }).from(consoleAdmins).where(eq(consoleAdmins.accountId, t.accountId));
    expect((await failure(resetOwnerPassword(h.database.db, t.admins.admin.email, testNow))).message).toMatch(/^--email: .* is an admin, not an owner/);
    expect((await failure(resetOwnerPassword(h.database.db, t.admins.viewer.email, testNow))).message).toMatch(/^--email: .* is a viewer, not an owner/);
    expect((await failure(resetOwnerPassword(h.database.db, `nobody-${unique()}@acme.example`, testNow))).message).toMatch(/^--email: no console admin signs in as nobody-/);
    expect((await failure(resetOwnerPassword(h.database.db, "nobody", testNow))).message).toBe('--email: not an e-mail address (got "nobody")');
    const after = await h.database.db.select({ id: consoleAdmins.id, hash: consoleAdmins.passwordHash }).from(consoleAdmins).where(eq(consoleAdmins.accountId, t.accountId));
    expect(after).toEqual(before);
  });
});

describe("account list", () => {
  it("shows every account oldest first with its owners alphabetically, and an account without owners", async () => {
    const first = await createAccount(h.database.db, { name: "First", ownerName: "Zed", ownerEmail: `zed-${unique()}@a.example` }, new Date(Date.UTC(2020, 0, 1)));
    const second = await createAccount(h.database.db, { name: "Second", ownerName: "Bea", ownerEmail: `bea-${unique()}@b.example` }, new Date(Date.UTC(2020, 0, 2)));
    const coOwner = `al-${unique()}@a.example`;
    await h.database.db.insert(consoleAdmins).values({ accountId: first.account.id, email: coOwner, name: "Al", role: "owner", passwordHash: "x" });
    await h.database.db.insert(consoleAdmins).values({ accountId: first.account.id, email: `viewer-${unique()}@a.example`, name: "V", role: "viewer", passwordHash: "x" });
    const [bare] = await h.database.db.insert(accounts).values({ name: "No owner", createdAt: new Date(Date.UTC(2020, 0, 3)) }).returning();

    const ids = [first.account.id, second.account.id, bare!.id];
    const rows = (await listAccounts(h.database.db)).filter((r) => ids.includes(r.id));
    expect(rows).toEqual([
      { id: first.account.id, name: "First", owners: [coOwner, first.owner.email], createdAt: new Date(Date.UTC(2020, 0, 1)) },
      { id: second.account.id, name: "Second", owners: [second.owner.email], createdAt: new Date(Date.UTC(2020, 0, 2)) },
      { id: bare!.id, name: "No owner", owners: [], createdAt: new Date(Date.UTC(2020, 0, 3)) },
    ]);
  });
});

describe("the command line", () => {
  async function cli(argv: string[], env: NodeJS.ProcessEnv = { DATABASE_URL: "postgres://127.0.0.1:1/unused" }) {
    let out = "";
    let err = "";
    const code = await runOps(argv, { env, cwd: "/nonexistent", out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }

  it("--help prints the usage and exits 0", async () => {
    const r = await cli(["account", "create", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("account create --name <account name> --owner-name <name> --owner-email <e-mail>");
    expect(r.err).toBe("");
  });

  it.each([
    [["account", "create", "--name", "Acme", "--owner-email", "a@b.example"], "account create: --owner-name is required"],
    [["account", "create", "--name", "Acme", "--owner-name", "Ada", "--owner-email", "a@b.example", "extra"], 'account create takes no further arguments (got "extra")'],
    [["account", "create", "--name", "Acme", "--owner-name", "Ada", "--owner-email", "nope"], "--owner-email: not an e-mail address"],
    [["account", "list", "--email", "a@b.example"], "--email is not an option of account list"],
    [["account", "delete"], 'unknown command "account delete": use account create or list'],
    [["owner"], "owner: name what to do (reset-password)"],
    [["owner", "reset-password"], "owner reset-password: --email is required"],
    [["migrate", "--colour"], "Unknown option '--colour'"],
    [["frobnicate"], 'unknown operator command "frobnicate"'],
  ])("%j exits 2 naming the argument", async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`seatdesk: ${message}`);
    expect(r.err).toContain("Usage: pnpm seatdesk");
    expect(r.out).toBe("");
  });

  it("names DATABASE_URL when it is not a PostgreSQL URL (exit 2), and the database without its password when it cannot connect (exit 1)", async () => {
    const wrong = await cli(["account", "list"], { DATABASE_URL: "mysql://root:hunter2@db/x" });
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain("seatdesk: DATABASE_URL: expected a postgres:// URL (got mysql://…)");
    const down = await cli(["account", "list"], { DATABASE_URL: "postgres://seatdesk:hunter2@127.0.0.1:1/seatdesk" });
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^seatdesk: account list failed on PostgreSQL at 127\.0\.0\.1:1\/seatdesk: .*ECONNREFUSED/);
    expect(down.err).not.toContain("hunter2");
    expect(down.err).not.toMatch(/\n\s+at /);
  });

  it("refuses an embedded database another process has open, and a missing one for commands that need tables", async () => {
    const dir = mkdtempSync(join(tmpdir(), "seatdesk-ops-"));
    try {
      const missing = await cli(["account", "list"], { SEATDESK_DATA_DIR: "data", INIT_CWD: dir });
      expect(missing.code).toBe(1);
      expect(missing.err).toBe(`seatdesk: no embedded database in ${join(dir, "data", "pglite")}: set DATABASE_URL, or SEATDESK_DATA_DIR, or run \`seatdesk migrate\` first\n`);
      mkdirSync(join(dir, "data", "pglite"), { recursive: true });
      writeFileSync(join(dir, "data", "pglite", "postmaster.pid"), "-42\n");
      const open = await cli(["migrate"], { SEATDESK_DATA_DIR: "data", INIT_CWD: dir });
      expect(open.code).toBe(1);
      expect(open.err).toContain(`the embedded database in ${join(dir, "data", "pglite")} is open in another process (a running Seatdesk server?): stop it first`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
