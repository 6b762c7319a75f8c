import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { consoleSessions } from "@seatdesk/db";
import { defaultSessionPolicy, sessionCookieName } from "../src/auth/sessions";
import type { CookieJar, Deps } from "../src/trpc/context";
import { createContext } from "../src/http/app";
import { appRouter } from "../src/routers/_app";
import { createCallerFactory } from "../src/trpc/init";
import { harnessForFile, makeTenant, memoryJar, rejection, testNow, testPassword } from "./harness";

const h = harnessForFile({ resetClock: true });
const createCaller = createCallerFactory(appRouter);
const minute = 60 * 1000;

/** A browser signed in as the tenant's admin at the session clock's now; `me()` is one request with its cookie. */
async function browser(deps: Deps, email: string) {
  const jar = memoryJar();
  let maxAge = 0;
  const recording: CookieJar = { ...jar, set: (name, value, o) => ((maxAge = o.maxAgeSeconds), jar.set(name, value, o)) };
  await createCaller(await createContext(deps, recording, undefined)).session.signIn({ email, password: testPassword });
  return {
    maxAge: () => maxAge,
    token: () => jar.values[sessionCookieName]!,
    me: async () => createCaller(await createContext(deps, jar, undefined)).session.me(),
  };
}

/** The session clock is its own (real time in the demo); the billing clock stays put here to show expiry follows the session clock. */
function withSessionClock() {
  let now = testNow.getTime();
  const deps: Deps = { ...h.deps, sessionClock: { now: () => new Date(now) } };
  return { deps, at: (offsetMs: number) => void (now = testNow.getTime() + offsetMs) };
}

describe("console sessions (ASVS V3.3)", () => {
  it("defaults: 30 minutes idle, 12 hours in all", () => {
    expect(defaultSessionPolicy).toEqual({ idleMs: 30 * minute, absoluteMs: 12 * 60 * minute });
  });

  it("end 30 minutes after the last request, however long the session has lived", async () => {
    const t = await makeTenant(h, { users: 0 });
    const clock = withSessionClock();
    const b = await browser(clock.deps, t.admins.owner.email);
    expect(b.maxAge()).toBe(12 * 60 * 60);
    clock.at(29 * minute);
    expect((await b.me()).email).toBe(t.admins.owner.email);
    clock.at(58 * minute); // 29 minutes after that request
    expect((await b.me()).email).toBe(t.admins.owner.email);
    clock.at(88 * minute); // 30 minutes after it
    expect((await rejection(b.me())).code).toBe("UNAUTHORIZED");
    // An ended session is gone, not merely refused.
    expect(await h.database.db.select().from(consoleSessions).where(eq(consoleSessions.adminId, t.admins.owner.adminId))).toEqual([]);
    expect(h.clock.now()).toEqual(testNow);
  });

  it("end 12 hours after sign-in, however busy", async () => {
    const t = await makeTenant(h, { users: 0 });
    const clock = withSessionClock();
    const b = await browser(clock.deps, t.admins.admin.email);
    for (let m = 20; m < 12 * 60; m += 20) {
      clock.at(m * minute);
      expect((await b.me()).email, `${m} minutes in`).toBe(t.admins.admin.email);
    }
    clock.at(12 * 60 * minute - 1);
    expect((await b.me()).email).toBe(t.admins.admin.email);
    clock.at(12 * 60 * minute);
    expect((await rejection(b.me())).code).toBe("UNAUTHORIZED");
  });

  it("Deps.sessionPolicy sets both, the cookie's Max-Age with them; shortening it ends sessions already open", async () => {
    const t = await makeTenant(h, { users: 0 });
    const clock = withSessionClock();
    const short = { ...clock.deps, sessionPolicy: { idleMs: 5 * minute, absoluteMs: 60 * minute } };
    const b = await browser(short, t.admins.viewer.email);
    expect(b.maxAge()).toBe(60 * 60);
    clock.at(4 * minute);
    expect((await b.me()).role).toBe("viewer");
    clock.at(9 * minute + 1);
    expect((await rejection(b.me())).code).toBe("UNAUTHORIZED");

    // Opened under the defaults (12 hours), then the policy is shortened to 1 hour: it ends at 1 hour.
    clock.at(0);
    const opened = await browser(clock.deps, t.admins.viewer.email);
    const kept = { ...short, sessionPolicy: { idleMs: 30 * minute, absoluteMs: 60 * minute } };
    const me = async () => createCaller(await createContext(kept, memoryJar({ [sessionCookieName]: opened.token() }), undefined)).session.me();
    for (const m of [20, 40, 59]) {
      clock.at(m * minute);
      expect((await me()).role).toBe("viewer");
    }
    clock.at(60 * minute);
    expect((await rejection(me())).code).toBe("UNAUTHORIZED");
  });
});
