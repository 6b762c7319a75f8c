import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { consoleAdmins } from "@seatdesk/db";
import { currentScrypt, hashPassword, needsRehash, verifyPassword } from "../src/auth/password";
import { createContext } from "../src/http/app";
import { appRouter } from "../src/routers/_app";
import { createCallerFactory } from "../src/trpc/init";
import { harnessForFile, makeTenant, memoryJar, rejection, testPassword } from "./harness";

const h = harnessForFile();
const createCaller = createCallerFactory(appRouter);
const older = { N: 1 << 14, r: 8, p: 1 };

describe("password hashes", () => {
  it("a hash carries its parameters and verifies with them, whatever today's are; malformed or absurd ones never verify", async () => {
    const weaker = await hashPassword("pw-1234567890", older);
    const stronger = await hashPassword("pw-1234567890", { N: 1 << 16, r: 8, p: 1 });
    expect(weaker).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword("pw-1234567890", weaker)).toBe(true);
    expect(await verifyPassword("pw-1234567890", stronger)).toBe(true);
    expect(await verifyPassword("pw-1234567891", weaker)).toBe(false);
    expect([needsRehash(weaker), needsRehash(stronger), needsRehash(await hashPassword("x"))]).toEqual([true, true, false]);
    const [, , r, p, salt, hash] = weaker.split("$");
    for (const bad of ["", "bcrypt$x", `scrypt$16383$${r}$${p}$${salt}$${hash}`, `scrypt$${1 << 24}$${r}$${p}$${salt}$${hash}`, `scrypt$16384$${r}$${p}$${salt}$`, `${weaker}$extra`]) {
      expect(await verifyPassword("pw-1234567890", bad), bad).toBe(false);
    }
  });

  it("sign-in rehashes a password stored with older parameters, and the password still works after", async () => {
    const t = await makeTenant(h, { users: 0 });
    const who = and(eq(consoleAdmins.accountId, t.accountId), eq(consoleAdmins.id, t.admins.admin.adminId));
    const stored = await hashPassword(testPassword, older);
    await h.database.db.update(consoleAdmins).set({ passwordHash: stored }).where(who);
    const api = async () => createCaller(await createContext(h.deps, memoryJar(), undefined));

    // A wrong password changes nothing.
    expect((await rejection((await api()).session.signIn({ email: t.admins.admin.email, password: "wrong" }))).code).toBe("UNAUTHORIZED");
    expect((await h.database.db.select().from(consoleAdmins).where(who))[0]!.passwordHash).toBe(stored);

    await (await api()).session.signIn({ email: t.admins.admin.email, password: testPassword });
    const rehashed = (await h.database.db.select().from(consoleAdmins).where(who))[0]!.passwordHash;
    expect(rehashed.startsWith(`scrypt$${currentScrypt.N}$${currentScrypt.r}$${currentScrypt.p}$`)).toBe(true);
    expect(needsRehash(rehashed)).toBe(false);
    expect(await (await api()).session.signIn({ email: t.admins.admin.email, password: testPassword })).toMatchObject({ email: t.admins.admin.email });
    // Current hashes are left alone.
    expect((await h.database.db.select().from(consoleAdmins).where(who))[0]!.passwordHash).toBe(rehashed);
  });
});
