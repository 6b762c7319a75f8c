import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTenant, testPassword, type Harness, type Tenant } from "../harness";
import { call, cell, cellHarness } from "./cell";

/**
 * DESIGN.md §3: what a server keeps in its own memory never decides an answer another server would give
 * differently. Each case acts on one server and looks on the other (directly, and through HAProxy):
 * the directory search index (checked against the account's directory version in the page's own
 * statement), console sessions and the sign-in throttle (both in the database), and the test clock
 * (per process: demo mode is single-server, so the cell runs without it and the clock cannot be moved).
 */
let h: Harness;
let t: Tenant;
let a: string;
let b: string;

beforeAll(async () => {
  h = await cellHarness();
  t = await makeTenant(h, { users: 300 });
  [a, b] = cell().servers.map((s) => s.url) as [string, string];
});
afterAll(() => h.close());

async function signIn(base: string, email: string, password = testPassword) {
  const answer = await call<{ email: string }>(base, "session.signIn", { email, password });
  const cookie = answer.headers.get("set-cookie")?.split(";")[0];
  return { ...answer, cookie };
}

type UsersPage = { rows: { userId: string; displayName: string }[] };
const search = async (base: string, cookie: string, text: string) => {
  const answer = await call<UsersPage>(base, "subscriptions.list", { profileId: t.profileId, search: text }, { cookie }, true);
  expect(answer.status, answer.message).toBe(200);
  return answer.data!.rows.map((r) => r.displayName);
};

describe("state shared by the cell's servers", () => {
  it("a session made on one server works on the other; signed out on that one, it is gone on the first", async () => {
    const signedIn = await signIn(a, t.admins.admin.email);
    expect(signedIn.status).toBe(200);
    const cookie = signedIn.cookie!;
    expect(cookie).toMatch(/^seatdesk_session=/);
    for (const base of [b, cell().url]) expect((await call<{ email: string }>(base, "session.me", undefined, { cookie }, true)).data?.email).toBe(t.admins.admin.email);
    expect((await call(b, "session.signOut", {}, { cookie })).status).toBe(200);
    expect((await call(a, "session.me", undefined, { cookie }, true)).code).toBe("UNAUTHORIZED");
  });

  it("a directory change made on one server is found by a search on the other at once", async () => {
    const cookie = (await signIn(a, t.admins.admin.email)).cookie!;
    // Both servers have built the account's index (the first search starts the build; later ones use it).
    for (const base of [a, b]) {
      for (let i = 0; i < 20 && (await search(base, cookie, "user 0029")).length !== 10; i++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 300));
      expect(await search(base, cookie, "user 0029")).toHaveLength(10);
    }
    const created = await call<{ id: string }>(a, "directory.createUser", { displayName: "Zephyrine Quist", email: `zq-${randomUUID().slice(0, 8)}@example.com` }, { cookie });
    expect(created.status, created.message).toBe(200);
    // No wait: B's index was built before the change, and its version check sends this page to SQL.
    expect(await search(b, cookie, "zephyrine")).toEqual(["Zephyrine Quist"]);
    expect(await search(cell().url, cookie, "zephyrine")).toEqual(["Zephyrine Quist"]);
    // And the other way round, on a fragment both indexes hold (every "User 0029x" matches "user 002").
    const again = await call(b, "directory.createUser", { displayName: "User 0029z", email: `u29z-${randomUUID().slice(0, 8)}@example.com` }, { cookie });
    expect(again.status, again.message).toBe(200);
    expect(await search(a, cookie, "user 0029")).toHaveLength(11);
    expect(await search(a, cookie, "user 0029z")).toEqual(["User 0029z"]);
  });

  it("sign-in limits hold across both servers: five failures spread over them lock the e-mail on every server", async () => {
    const email = `nobody-${randomUUID().slice(0, 8)}@example.com`;
    for (const [i, base] of [a, b, a, b, a].entries()) expect((await signIn(base, email, `wrong password ${i}`)).code, `attempt ${i + 1}`).toBe("UNAUTHORIZED");
    for (const base of [b, a, cell().url]) {
      const refused = await signIn(base, email, "wrong again");
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("demo mode is single-server: the cell runs on the real clock, and no server lets it be moved", async () => {
    const cookie = (await signIn(b, t.admins.owner.email)).cookie!;
    for (const base of [a, b]) {
      const clock = await call<{ now: string; testClock: boolean }>(base, "clock.get", undefined, { cookie }, true);
      expect(clock.data?.testClock).toBe(false);
      expect(Math.abs(Date.parse(clock.data!.now) - Date.now())).toBeLessThan(60_000);
      expect((await call(base, "clock.advance", { nextMonth: true }, { cookie })).code).toBe("PRECONDITION_FAILED");
    }
  });
});
