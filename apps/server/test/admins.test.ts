import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { and, asc, count, eq } from "drizzle-orm";
import { auditLog, consoleAdmins, consoleSessions } from "@seatdesk/db";
import { findSession, sessionCookieName, type ConsoleSession } from "../src/auth/sessions";
import { createContext } from "../src/http/app";
import { appRouter } from "../src/routers/_app";
import { createCallerFactory } from "../src/trpc/init";
import { callerAs, harnessForFile, makeTenant, memoryJar, rejection, testPassword, type Tenant } from "./harness";

const h = harnessForFile();

const createCaller = createCallerFactory(appRouter);

/** A browser: its cookie jar, and a caller whose session comes from that cookie, as over HTTP. */
function browser() {
  const jar = memoryJar();
  return {
    jar,
    api: async () => createCaller(await createContext(h.deps, jar, undefined)),
    /** The session the cookie opens now, as the console's procedures look it up. */
    session: async () => {
      const token = jar.values[sessionCookieName];
      return token ? findSession(h.deps.database.db, token, h.deps.clock.now()) : null;
    },
  };
}

async function signIn(email: string, password: string) {
  const b = browser();
  await (await b.api()).session.signIn({ email, password });
  return b;
}

async function auditOf(accountId: string) {
  return h.database.db.select().from(auditLog).where(eq(auditLog.accountId, accountId)).orderBy(asc(auditLog.at), asc(auditLog.action));
}

async function adminCount(accountId: string) {
  return (await h.database.db.select({ n: count() }).from(consoleAdmins).where(eq(consoleAdmins.accountId, accountId)))[0]!.n;
}

async function sessionCount(t: Tenant, adminId: string) {
  return (
    await h.database.db
      .select({ n: count() })
      .from(consoleSessions)
      .where(and(eq(consoleSessions.accountId, t.accountId), eq(consoleSessions.adminId, adminId)))
  )[0]!.n;
}

describe("admins.list", () => {
  it("lists the account's admins, without password hashes, to every role", async () => {
    const t = await makeTenant(h, { users: 0 });
    await makeTenant(h, { users: 0 });
    for (const role of ["owner", "admin", "viewer"] as const) {
      const { admins } = await callerAs(h, t.admins[role]).admins.list();
      expect(admins.map((a) => a.email).sort()).toEqual(Object.values(t.admins).map((a) => a.email).sort());
      expect(admins.filter((a) => a.you).map((a) => a.id)).toEqual([t.admins[role].adminId]);
      for (const a of admins) expect(Object.keys(a).sort()).toEqual(["createdAt", "email", "id", "name", "role", "you"]);
      expect(JSON.stringify(admins)).not.toContain("scrypt");
    }
  });
});

describe("admins.invite", () => {
  it("creates the admin with a one-time password shown once, which signs in through session.signIn", async () => {
    const t = await makeTenant(h, { users: 0 });
    // E-mail is unique across accounts, and a PostgreSQL test database outlives one run: a fresh address each time.
    const email = `New.Person-${randomUUID().slice(0, 8)}@Example.com`;
    const res = await callerAs(h, t.admins.owner).admins.invite({ email: `  ${email} `, name: " New Person ", role: "admin" });
    expect(res.admin).toMatchObject({ email, name: "New Person", role: "admin" });
    expect(res.oneTimePassword).toMatch(/^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/);

    const [row] = await h.database.db.select().from(consoleAdmins).where(eq(consoleAdmins.id, res.admin.id));
    expect(row!.passwordHash).toMatch(/^scrypt\$/);
    expect(row!.passwordHash).not.toContain(res.oneTimePassword);

    const b = browser();
    const me = await (await b.api()).session.signIn({ email: email.toLowerCase(), password: res.oneTimePassword });
    expect(me).toEqual({ email, name: "New Person", role: "admin" });
    expect(b.jar.values[sessionCookieName]).toBeTruthy();
    expect(await b.session()).toMatchObject({ accountId: t.accountId, adminId: res.admin.id, role: "admin" });

    const audit = await auditOf(t.accountId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "admin.invite",
      targetType: "admin",
      targetId: res.admin.id,
      actorId: t.admins.owner.adminId,
      before: null,
      after: { email, name: "New Person", role: "admin" },
    });
    const text = JSON.stringify(audit);
    expect(text).not.toContain(res.oneTimePassword);
    expect(text).not.toContain(row!.passwordHash);
  });

  it("an owner may invite another owner", async () => {
    const t = await makeTenant(h, { users: 0 });
    const res = await callerAs(h, t.admins.owner).admins.invite({ email: `second-owner-${t.accountId}@example.com`, name: "Second Owner", role: "owner" });
    expect(res.admin.role).toBe("owner");
  });

  it("an e-mail already used by any account's admin, in any case, is a CONFLICT naming the field; nothing is written", async () => {
    const t = await makeTenant(h, { users: 0 });
    const other = await makeTenant(h, { users: 0 });
    for (const email of [other.admins.viewer.email.toUpperCase(), t.admins.admin.email]) {
      const e = await rejection(callerAs(h, t.admins.owner).admins.invite({ email, name: "Someone", role: "viewer" }));
      expect(e.code).toBe("CONFLICT");
      expect(e.message).toBe(`email: ${email} is already a console admin's sign-in`);
    }
    expect(await adminCount(t.accountId)).toBe(3);
    expect(await auditOf(t.accountId)).toEqual([]);
  });

  it("bad input names the field", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.owner);
    const cases: [Parameters<typeof api.admins.invite>[0], string][] = [
      [{ email: "not-an-address", name: "X", role: "viewer" }, "email: not an e-mail address"],
      [{ email: "x@example.com", name: "   ", role: "viewer" }, "name: enter a name"],
      // @ts-expect-error: the point is a role the type does not allow
      [{ email: "x@example.com", name: "X", role: "superuser" }, "role: "],
    ];
    for (const [input, message] of cases) {
      const e = await rejection(api.admins.invite(input));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message.startsWith(message)).toBe(true);
    }
    expect(await adminCount(t.accountId)).toBe(3);
    expect(await auditOf(t.accountId)).toEqual([]);
  });

  it("an admin who is not an owner cannot invite, remove or change roles: FORBIDDEN", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.admin);
    for (const call of [
      api.admins.invite({ email: "x@example.com", name: "X", role: "viewer" }),
      api.admins.remove({ adminId: t.admins.viewer.adminId }),
      api.admins.changeRole({ adminId: t.admins.viewer.adminId, role: "admin" }),
    ]) {
      const e = await rejection(call);
      expect(e.code).toBe("FORBIDDEN");
      expect(e.message).toBe("Only an owner can do this");
    }
    expect(await adminCount(t.accountId)).toBe(3);
    expect(await auditOf(t.accountId)).toEqual([]);
  });
});

describe("admins.remove", () => {
  it("deletes the admin and ends every session of theirs", async () => {
    const t = await makeTenant(h, { users: 0 });
    const laptop = await signIn(t.admins.admin.email, testPassword);
    const phone = await signIn(t.admins.admin.email, testPassword);
    expect(await laptop.session()).not.toBeNull();
    expect(await sessionCount(t, t.admins.admin.adminId)).toBe(2);

    const res = await callerAs(h, t.admins.owner).admins.remove({ adminId: t.admins.admin.adminId });
    expect(res).toEqual({ adminId: t.admins.admin.adminId, sessionsEnded: 2 });
    expect(await laptop.session()).toBeNull();
    expect(await phone.session()).toBeNull();
    expect(await sessionCount(t, t.admins.admin.adminId)).toBe(0);
    const { admins } = await callerAs(h, t.admins.owner).admins.list();
    expect(admins.map((a) => a.id)).not.toContain(t.admins.admin.adminId);
    const e = await rejection(signIn(t.admins.admin.email, testPassword));
    expect(e.code).toBe("UNAUTHORIZED");

    const audit = await auditOf(t.accountId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "admin.remove",
      targetId: t.admins.admin.adminId,
      before: { email: t.admins.admin.email, name: t.admins.admin.name, role: "admin" },
      after: null,
    });
  });

  it("an owner cannot remove themselves: PRECONDITION_FAILED, nothing changed", async () => {
    const t = await makeTenant(h, { users: 0 });
    const e = await rejection(callerAs(h, t.admins.owner).admins.remove({ adminId: t.admins.owner.adminId }));
    expect(e.code).toBe("PRECONDITION_FAILED");
    expect(e.message).toBe("adminId: you cannot remove yourself; another owner can");
    expect(await adminCount(t.accountId)).toBe(3);
    expect(await auditOf(t.accountId)).toEqual([]);
  });

  it("another owner can remove an owner", async () => {
    const t = await makeTenant(h, { users: 0 });
    const owner = callerAs(h, t.admins.owner);
    await owner.admins.changeRole({ adminId: t.admins.admin.adminId, role: "owner" });
    const second: ConsoleSession = { ...t.admins.admin, role: "owner" };
    await callerAs(h, second).admins.remove({ adminId: t.admins.owner.adminId });
    const { admins } = await callerAs(h, second).admins.list();
    expect(admins.map((a) => [a.id, a.role])).toEqual(
      expect.arrayContaining([
        [t.admins.admin.adminId, "owner"],
        [t.admins.viewer.adminId, "viewer"],
      ]),
    );
    expect(admins).toHaveLength(2);
  });

  it("an owner demoted since their session began can no longer remove anyone (checked under the lock)", async () => {
    const t = await makeTenant(h, { users: 0 });
    await callerAs(h, t.admins.owner).admins.changeRole({ adminId: t.admins.admin.adminId, role: "owner" });
    await callerAs(h, t.admins.owner).admins.changeRole({ adminId: t.admins.admin.adminId, role: "admin" });
    // A session object that still says "owner" for someone who is an admin now: the row decides.
    const stale: ConsoleSession = { ...t.admins.admin, role: "owner" };
    const e = await rejection(callerAs(h, stale).admins.remove({ adminId: t.admins.owner.adminId }));
    expect(e.code).toBe("FORBIDDEN");
    expect(await adminCount(t.accountId)).toBe(3);
  });

  it("an unknown admin, or another account's, is NOT_FOUND naming the field", async () => {
    const t = await makeTenant(h, { users: 0 });
    const other = await makeTenant(h, { users: 0 });
    for (const adminId of ["00000000-0000-4000-8000-000000000000", other.admins.viewer.adminId]) {
      const e = await rejection(callerAs(h, t.admins.owner).admins.remove({ adminId }));
      expect(e.code).toBe("NOT_FOUND");
      expect(e.message).toBe(`adminId: no console admin ${adminId} in this account`);
    }
    const e = await rejection(callerAs(h, t.admins.owner).admins.remove({ adminId: "nope" }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(/^adminId: /);
    expect(await adminCount(other.accountId)).toBe(3);
  });
});

describe("admins.changeRole", () => {
  it("changes the role at once, for the admin's current session too, and audits before and after", async () => {
    const t = await makeTenant(h, { users: 0 });
    const viewer = await signIn(t.admins.viewer.email, testPassword);
    const res = await callerAs(h, t.admins.owner).admins.changeRole({ adminId: t.admins.viewer.adminId, role: "admin" });
    expect(res).toMatchObject({ changed: true, admin: { id: t.admins.viewer.adminId, role: "admin" } });
    expect((await viewer.session())?.role).toBe("admin");
    const audit = await auditOf(t.accountId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "admin.changeRole", targetId: t.admins.viewer.adminId, before: { role: "viewer" }, after: { role: "admin" } });
  });

  it("the same role again changes nothing and writes no audit entry", async () => {
    const t = await makeTenant(h, { users: 0 });
    const res = await callerAs(h, t.admins.owner).admins.changeRole({ adminId: t.admins.viewer.adminId, role: "viewer" });
    expect(res.changed).toBe(false);
    expect(await auditOf(t.accountId)).toEqual([]);
  });

  it("the last owner cannot be demoted; with a second owner, one may step down", async () => {
    const t = await makeTenant(h, { users: 0 });
    const owner = callerAs(h, t.admins.owner);
    const e = await rejection(owner.admins.changeRole({ adminId: t.admins.owner.adminId, role: "admin" }));
    expect(e.code).toBe("PRECONDITION_FAILED");
    expect(e.message).toBe(`role: ${t.admins.owner.email} is the account's last owner and cannot be made admin; make another admin an owner first`);
    expect(await auditOf(t.accountId)).toEqual([]);

    await owner.admins.changeRole({ adminId: t.admins.admin.adminId, role: "owner" });
    await owner.admins.changeRole({ adminId: t.admins.owner.adminId, role: "viewer" });
    const second = callerAs(h, { ...t.admins.admin, role: "owner" });
    const again = await rejection(second.admins.changeRole({ adminId: t.admins.admin.adminId, role: "viewer" }));
    expect(again.code).toBe("PRECONDITION_FAILED");
    const { admins } = await second.admins.list();
    expect(admins.filter((a) => a.role === "owner").map((a) => a.id)).toEqual([t.admins.admin.adminId]);
    expect((await auditOf(t.accountId)).map((a) => a.action)).toEqual(["admin.changeRole", "admin.changeRole"]);
  });

  it("two owners removing or demoting each other at the same moment: one wins, an owner always remains (a race on PostgreSQL)", async () => {
    for (let round = 0; round < 5; round++) {
      const t = await makeTenant(h, { users: 0 });
      await callerAs(h, t.admins.owner).admins.changeRole({ adminId: t.admins.admin.adminId, role: "owner" });
      const a = callerAs(h, t.admins.owner);
      const b = callerAs(h, { ...t.admins.admin, role: "owner" });
      const results = await Promise.allSettled(
        round % 2 === 0
          ? [a.admins.remove({ adminId: t.admins.admin.adminId }), b.admins.remove({ adminId: t.admins.owner.adminId })]
          : [a.admins.changeRole({ adminId: t.admins.admin.adminId, role: "viewer" }), b.admins.changeRole({ adminId: t.admins.owner.adminId, role: "viewer" })],
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r) => r.status === "rejected");
      expect(refused?.status === "rejected" && refused.reason instanceof TRPCError && refused.reason.code).toBe("FORBIDDEN");
      const owners = await h.database.db
        .select({ id: consoleAdmins.id })
        .from(consoleAdmins)
        .where(and(eq(consoleAdmins.accountId, t.accountId), eq(consoleAdmins.role, "owner")));
      expect(owners).toHaveLength(1);
    }
  });

  it("an unknown role names the field", async () => {
    const t = await makeTenant(h, { users: 0 });
    // @ts-expect-error: the point is a role the type does not allow
    const e = await rejection(callerAs(h, t.admins.owner).admins.changeRole({ adminId: t.admins.viewer.adminId, role: "root" }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(/^role: /);
  });
});

describe("session.changePassword", () => {
  const newPassword = "a much better passphrase";

  it("checks the current password, stores the new one and ends the admin's other sessions; this browser stays signed in", async () => {
    const t = await makeTenant(h, { users: 0 });
    const here = await signIn(t.admins.viewer.email, testPassword);
    const elsewhere = await signIn(t.admins.viewer.email, testPassword);
    const colleague = await signIn(t.admins.owner.email, testPassword);
    const oldCookie = here.jar.values[sessionCookieName];

    // A viewer changes nothing of the account, but may change their own password.
    expect(await (await here.api()).session.changePassword({ currentPassword: testPassword, newPassword })).toEqual({ ok: true });

    expect(here.jar.values[sessionCookieName]).toBeTruthy();
    expect(here.jar.values[sessionCookieName]).not.toBe(oldCookie);
    expect(await here.session()).toMatchObject({ adminId: t.admins.viewer.adminId });
    expect(await elsewhere.session()).toBeNull();
    expect(await colleague.session()).not.toBeNull();
    expect(await sessionCount(t, t.admins.viewer.adminId)).toBe(1);

    expect((await rejection(signIn(t.admins.viewer.email, testPassword))).code).toBe("UNAUTHORIZED");
    expect(await (await signIn(t.admins.viewer.email, newPassword)).session()).not.toBeNull();

    const audit = await auditOf(t.accountId);
    // The change, and the sign-in tried with the old password (failed sign-ins are audited).
    expect(audit.map((a) => a.action)).toEqual(["admin.changePassword", "admin.signInFailed"]);
    expect(audit[0]).toMatchObject({ action: "admin.changePassword", targetId: t.admins.viewer.adminId, actorId: t.admins.viewer.adminId, after: { sessionsEnded: 2 } });
    const [row] = await h.database.db.select().from(consoleAdmins).where(eq(consoleAdmins.id, t.admins.viewer.adminId));
    const text = JSON.stringify(audit);
    expect(text).not.toContain(newPassword);
    expect(text).not.toContain(row!.passwordHash);
  });

  it("a wrong current password, a short new one, or the same one again: BAD_REQUEST naming the field, nothing changed", async () => {
    const t = await makeTenant(h, { users: 0 });
    const api = callerAs(h, t.admins.admin);
    const [before] = await h.database.db.select().from(consoleAdmins).where(eq(consoleAdmins.id, t.admins.admin.adminId));
    const cases: [Parameters<typeof api.session.changePassword>[0], string][] = [
      [{ currentPassword: "not it at all", newPassword }, "currentPassword: that is not your current password"],
      [{ currentPassword: testPassword, newPassword: "short" }, "newPassword: at least 12 characters"],
      [{ currentPassword: testPassword, newPassword: testPassword }, "newPassword: choose a password other than the current one"],
    ];
    for (const [input, message] of cases) {
      const e = await rejection(api.session.changePassword(input));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.message).toBe(message);
    }
    const [after] = await h.database.db.select().from(consoleAdmins).where(eq(consoleAdmins.id, t.admins.admin.adminId));
    expect(after!.passwordHash).toBe(before!.passwordHash);
    expect(await auditOf(t.accountId)).toEqual([]);
  });

  it("signed out: UNAUTHORIZED", async () => {
    const e = await rejection(callerAs(h, null).session.changePassword({ currentPassword: testPassword, newPassword }));
    expect(e.code).toBe("UNAUTHORIZED");
  });
});
