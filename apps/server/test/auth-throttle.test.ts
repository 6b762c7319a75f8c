import { randomInt } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TRPCError } from "@trpc/server";
import { eq, inArray } from "drizzle-orm";
import { rateLimits } from "@seatdesk/db";
import * as password from "../src/auth/password";
import { clearSignInThrottle, SignInThrottled } from "../src/auth/throttle";
import { createContext } from "../src/http/app";
import { appRouter } from "../src/routers/_app";
import { createCallerFactory } from "../src/trpc/init";
import { harnessForFile, makeTenant, memoryJar, rejection, testPassword } from "./harness";

// Counts password checks, to show that a throttled attempt makes none.
vi.mock("../src/auth/password", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../src/auth/password")>();
  return { ...actual, verifyPassword: vi.fn(actual.verifyPassword) };
});

const h = harnessForFile();
const createCaller = createCallerFactory(appRouter);
const minute = 60 * 1000;

/**
 * The throttle counts by the server's real time (rate-limiter-flexible reads Date), so only Date is faked here,
 * from the real now and less than an hour ahead: on PostgreSQL other files share the table, and neither their
 * sweeps nor this file's may delete a counter the other still uses.
 */
afterEach(() => void vi.useRealTimers());
const fakeNow = (at: number) => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(at);
};

const fromAddress = (ip: string) => async () => createCaller(await createContext(h.deps, memoryJar(), undefined, ip));
const someAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

async function attempt(api: Awaited<ReturnType<ReturnType<typeof fromAddress>>>, email: string, pw: string) {
  return api.session.signIn({ email, password: pw }).then(
    () => "ok" as const,
    (e: unknown) => {
      expect(e).toBeInstanceOf(TRPCError);
      const err = e as TRPCError;
      return err.code === "TOO_MANY_REQUESTS" ? { throttled: (err.cause as SignInThrottled).retryAfterSeconds } : err.code;
    },
  );
}

describe("sign-in throttle", () => {
  it("locks an e-mail for 15 minutes at the 5th failure, 30 at the next lock-out, and forgets both after a good sign-in; a throttled attempt checks no password", async () => {
    const t = await makeTenant(h, { users: 0 });
    const email = t.admins.viewer.email;
    const api = await fromAddress(someAddress())();
    const start = Date.now();
    fakeNow(start);
    const checks = vi.mocked(password.verifyPassword);

    for (let i = 0; i < 4; i++) expect(await attempt(api, email, "wrong")).toBe("UNAUTHORIZED");
    vi.setSystemTime(start + 10 * minute);
    expect(await attempt(api, email, "wrong")).toBe("UNAUTHORIZED");
    checks.mockClear();
    expect(await attempt(api, email, testPassword)).toEqual({ throttled: 15 * 60 });
    expect(checks).not.toHaveBeenCalled();

    // 15 minutes after the 5th failure (not the 1st) it opens: a new window of 5.
    vi.setSystemTime(start + 24 * minute);
    expect(await attempt(api, email, "wrong")).toEqual({ throttled: 60 });
    vi.setSystemTime(start + 25 * minute);
    for (let i = 0; i < 5; i++) expect(await attempt(api, email, "wrong")).toBe("UNAUTHORIZED");
    // The second lock-out within a day lasts twice as long.
    expect(await attempt(api, email, "wrong")).toEqual({ throttled: 30 * 60 });
    vi.setSystemTime(start + 55 * minute);
    expect(await attempt(api, email, testPassword)).toBe("ok");

    // A good sign-in reset both: 5 more failures lock for 15 minutes again.
    for (let i = 0; i < 5; i++) expect(await attempt(api, email, "wrong")).toBe("UNAUTHORIZED");
    expect(await attempt(api, email, testPassword)).toEqual({ throttled: 15 * 60 });

    // An operator's password reset can forget the lock-out.
    await clearSignInThrottle(h.database.db, email);
    expect(await attempt(api, email, testPassword)).toBe("ok");
  });

  it("an unknown e-mail is counted and locked exactly like a known one (no way to tell them apart), and e-mails are stored hashed", async () => {
    const api = await fromAddress(someAddress())();
    const unknown = `nobody-${randomInt(1e9)}@example.com`;
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await attempt(api, unknown, "wrong"));
    expect(answers).toEqual(["UNAUTHORIZED", "UNAUTHORIZED", "UNAUTHORIZED", "UNAUTHORIZED", "UNAUTHORIZED", { throttled: 15 * 60 }]);
    const keys = (await h.database.db.select({ key: rateLimits.key }).from(rateLimits)).map((r) => r.key);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.some((k) => k.includes("@") || k.includes("nobody"))).toBe(false);
  });

  it("limits come from Deps: 2 failures per e-mail, 3 per address; in-process callers (no address) meet only the e-mail's", async () => {
    const t = await makeTenant(h, { users: 0 });
    const deps = { ...h.deps, signInLimits: { emailFailures: 2, ipFailures: 3 } };
    const ip = someAddress();
    const api = async (from?: string) => createCaller(await createContext(deps, memoryJar(), undefined, from));
    expect(await attempt(await api(ip), t.admins.owner.email, "wrong")).toBe("UNAUTHORIZED");
    expect(await attempt(await api(ip), t.admins.owner.email, "wrong")).toBe("UNAUTHORIZED");
    expect(await attempt(await api(ip), t.admins.owner.email, "wrong")).toEqual({ throttled: 15 * 60 });
    expect(await attempt(await api(ip), t.admins.admin.email, "wrong")).toBe("UNAUTHORIZED");
    const overIp = await attempt(await api(ip), t.admins.viewer.email, testPassword);
    expect(overIp).toMatchObject({ throttled: expect.any(Number) });
    expect((overIp as { throttled: number }).throttled).toBeGreaterThan(59 * 60);
    expect(await attempt(await api(), t.admins.viewer.email, testPassword)).toBe("ok");
  });

  it("counters expired over an hour ago are swept", async () => {
    const db = h.database.db;
    const [stale, recent] = [`sign-in-ip:stale-${randomInt(1e9)}`, `sign-in-ip:recent-${randomInt(1e9)}`];
    await db.insert(rateLimits).values([
      { key: stale, points: 3, expire: new Date(Date.now() - 61 * minute) },
      { key: recent, points: 3, expire: new Date(Date.now() - minute) },
    ]);
    const t = await makeTenant(h, { users: 0 });
    expect(await attempt(await fromAddress(someAddress())(), t.admins.owner.email, testPassword)).toBe("ok");
    // Over an hour expired: gone; expired a minute ago: left for a later sweep (it counts as nothing meanwhile).
    expect((await db.select().from(rateLimits).where(inArray(rateLimits.key, [stale, recent]))).map((r) => r.key)).toEqual([recent]);
    await db.delete(rateLimits).where(eq(rateLimits.key, recent));
  });

  it("a database failure while counting is not taken for a throttle: it fails the attempt as a server fault", async () => {
    const broken = { ...h.deps, database: { ...h.database, db: new Proxy(h.database.db, { get: (target, p) => (p === "insert" ? () => { throw new Error("connection lost"); } : Reflect.get(target, p)) }) } };
    const api = createCaller(await createContext(broken, memoryJar(), undefined, someAddress()));
    const e = await rejection(api.session.signIn({ email: "someone@example.com", password: "x" }));
    expect(e.code).not.toBe("TOO_MANY_REQUESTS");
    expect(e.code).not.toBe("UNAUTHORIZED");
  });
});
