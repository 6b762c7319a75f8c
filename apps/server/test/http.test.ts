import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { createApp } from "../src/http/app";
import { makeTenant, openHarness, testPassword, type Harness, type Tenant } from "./harness";

let h: Harness;
let server: Server;
let base: string;
let t: Tenant;

beforeAll(async () => {
  h = await openHarness();
  t = await makeTenant(h, { users: 3 });
  server = createServer(createApp(h.deps));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

async function signIn(email: string, password = testPassword): Promise<string> {
  const res = await post("session.signIn", { email, password });
  expect(res.status).toBe(200);
  const cookie = res.headers.get("set-cookie") ?? "";
  return cookie.split(";")[0]!;
}

describe("HTTP surface", () => {
  it("GET /healthz is liveness only; GET /readyz names the database, migrated", async () => {
    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ ok: true });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, database: h.database.kind });
  });

  it("nothing but sign-in works without the session cookie", async () => {
    for (const path of ["session.me", "profiles.list", `subscriptions.list?input=${encodeURIComponent(JSON.stringify({ profileId: t.profileId }))}`]) {
      const res = await fetch(`${base}/trpc/${path}`);
      expect(res.status, path).toBe(401);
    }
    const res = await post("subscriptions.subscribe", { profileId: t.profileId, userIds: t.userIds, tier: "pro" });
    expect(res.status).toBe(401);
  });

  it("signs in with an HttpOnly, SameSite=Lax cookie and answers who am I", async () => {
    const res = await post("session.signIn", { email: t.admins.admin.email.toUpperCase(), password: testPassword });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^seatdesk_session=[\w-]{43}; /);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/); // 127.0.0.1 is local; elsewhere the cookie is Secure
    const me = await fetch(`${base}/trpc/session.me`, { headers: { cookie: setCookie.split(";")[0]! } });
    expect(((await me.json()) as { result: { data: unknown } }).result.data).toMatchObject({ email: t.admins.admin.email, role: "admin", account: { id: t.accountId } });
  });

  it("a wrong password or unknown e-mail gets the same 401", async () => {
    const wrong = await post("session.signIn", { email: t.admins.admin.email, password: "nope" });
    const unknown = await post("session.signIn", { email: "nobody@example.com", password: "nope" });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const message = async (r: Response) => ((await r.json()) as { error: { message: string } }).error.message;
    expect(await message(wrong)).toBe(await message(unknown));
  });

  it("a new sign-in rotates the session: the old cookie stops working; sign-out ends it", async () => {
    const first = await signIn(t.admins.owner.email);
    const res = await post("session.signIn", { email: t.admins.owner.email, password: testPassword }, { cookie: first });
    const second = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
    expect(second).not.toBe(first);
    expect((await fetch(`${base}/trpc/session.me`, { headers: { cookie: first } })).status).toBe(401);
    expect((await fetch(`${base}/trpc/session.me`, { headers: { cookie: second } })).status).toBe(200);
    expect((await post("session.signOut", {}, { cookie: second })).status).toBe(200);
    expect((await fetch(`${base}/trpc/session.me`, { headers: { cookie: second } })).status).toBe(401);
  });

  it("refuses a state change from another site's page", async () => {
    const cookie = await signIn(t.admins.admin.email);
    const res = await post("subscriptions.subscribe", { profileId: t.profileId, userIds: t.userIds, tier: "pro" }, { cookie, origin: "https://evil.example" });
    expect(res.status).toBe(403);
  });

  it("bad input comes back as 400 naming the field, with no stack or SQL", async () => {
    const cookie = await signIn(t.admins.admin.email);
    const res = await post("subscriptions.subscribe", { profileId: t.profileId, userIds: ["x"], tier: "gold" }, { cookie });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; data: { fields: { path: string }[] } } };
    expect(body.error.message).toMatch(/userIds\.0: .*; tier: /);
    expect(body.error.data.fields.map((f) => f.path)).toEqual(["userIds.0", "tier"]);
    expect(JSON.stringify(body)).not.toMatch(/stack|at .*\.ts|select |insert /i);
  });

  it("a profile's page reads session and profile together: another account's profile is 404, a viewer's change 403, a page 200", async () => {
    const other = await makeTenant(h, { users: 1 });
    const viewer = await signIn(t.admins.viewer.email);
    const list = (profileId: string, cookie: string) =>
      fetch(`${base}/trpc/subscriptions.list?input=${encodeURIComponent(JSON.stringify({ profileId }))}`, { headers: { cookie } });
    const mine = await list(t.profileId, viewer);
    expect(mine.status).toBe(200);
    const page = (await mine.json()) as { result: { data: { rows: { userId: string }[] } } };
    expect(page.result.data.rows.map((r) => r.userId).sort()).toEqual([...t.userIds].sort());
    const theirs = await list(other.profileId, viewer);
    expect(theirs.status).toBe(404);
    const change = await post("subscriptions.subscribe", { profileId: t.profileId, userIds: t.userIds, tier: "pro" }, { cookie: viewer });
    expect(change.status).toBe(403);
    const theirChange = await post("subscriptions.subscribe", { profileId: other.profileId, userIds: other.userIds, tier: "pro" }, { cookie: await signIn(t.admins.admin.email) });
    expect(theirChange.status).toBe(404);
    expect((await list(t.profileId, "seatdesk_session=not-a-session")).status).toBe(401);
  });

  it("moving the test clock a month does not sign anyone out: sessions expire by the session clock", async () => {
    const sessionClock = fixedClock(h.clock.now());
    const billingClock = fixedClock(h.clock.now());
    const own = createServer(createApp({ ...h.deps, clock: billingClock, sessionClock }));
    await new Promise<void>((resolve) => own.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(own.address() as AddressInfo).port}`;
    try {
      const res = await fetch(`${url}/trpc/session.signIn`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: t.admins.viewer.email, password: testPassword }) });
      const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
      billingClock.set(new Date(billingClock.now().getTime() + 40 * 86_400_000));
      expect((await fetch(`${url}/trpc/session.me`, { headers: { cookie } })).status).toBe(200);
      sessionClock.set(new Date(sessionClock.now().getTime() + 13 * 3_600_000));
      expect((await fetch(`${url}/trpc/session.me`, { headers: { cookie } })).status).toBe(401);
    } finally {
      await new Promise((resolve) => own.close(resolve));
    }
  });

  it("a single GET query answers as tRPC's adapter does: a procedure without input ignores ?input, a bad input is 400", async () => {
    const cookie = await signIn(t.admins.viewer.email);
    const clock = await fetch(`${base}/trpc/clock.get?input=undefined`, { headers: { cookie } });
    expect(clock.status).toBe(200);
    expect(((await clock.json()) as { result: { data: { now: string } } }).result.data.now).toBe(h.clock.now().toISOString());
    const bad = await fetch(`${base}/trpc/subscriptions.list?input=${encodeURIComponent("{not json")}`, { headers: { cookie } });
    expect(bad.status).toBe(400);
    const batched = await fetch(`${base}/trpc/clock.get,session.me?batch=1`, { headers: { cookie } });
    expect(batched.status).toBe(200);
    expect(((await batched.json()) as unknown[]).length).toBe(2);
  });

  it("refuses oversized batches", async () => {
    const cookie = await signIn(t.admins.viewer.email);
    const paths = Array.from({ length: 21 }, () => "session.me").join(",");
    const res = await fetch(`${base}/trpc/${paths}?batch=1`, { headers: { cookie } });
    expect(res.status).toBe(400);
  });
});
