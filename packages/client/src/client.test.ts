import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
// The test needs a real server in this process. The package itself imports only the router's type
// (tests/architecture.test.ts checks that); the server's app and test harness are reached by path
// here, in the test alone, the way apps/server's own tests use them.
import { createApp } from "../../../apps/server/src/http/app";
import { addMembers, makeTenant, openHarness, testPassword, type Harness, type Tenant } from "../../../apps/server/test/harness";
import { main } from "./cli";
import { createClient, TRPCClientError, type AppRouter, type SeatdeskClient } from "./index";

let h: Harness;
let server: Server;
let url: string;
let t: Tenant;

beforeAll(async () => {
  h = await openHarness();
  t = await makeTenant(h, { users: 5, groups: 1, name: "Client Test Co" });
  await addMembers(h, t, t.groupIds[0]!, t.userIds.slice(0, 3));
  server = createServer(createApp(h.deps));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

/** The TRPCClientError a promise rejected with (fails the test if it resolved or threw something else). */
async function rejection(promise: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return error as TRPCClientError<AppRouter>;
}

describe("createClient", () => {
  it("signs in, and the session answers who am I", async () => {
    const client = await createClient(url, { email: t.admins.admin.email, password: testPassword });
    expect(await client.session.me.query()).toEqual({
      email: t.admins.admin.email,
      name: t.admins.admin.name,
      role: "admin",
      account: { id: t.accountId, name: "Client Test Co" },
    });
    await client.signOut();
  });

  it("lists the Users tab through the typed client", async () => {
    const client = await createClient(url, { email: t.admins.viewer.email, password: testPassword });
    const page = await client.subscriptions.list.query({ profileId: t.profileId, limit: 3 });
    expect(page.rows.map((r) => r.displayName)).toEqual(["User 00000", "User 00001", "User 00002"]);
    expect(page.rows.every((r) => r.status === null)).toBe(true);
    const rest = await client.subscriptions.list.query({ profileId: t.profileId, cursor: page.nextCursor, limit: 3 });
    expect(rest.rows.map((r) => r.displayName)).toEqual(["User 00003", "User 00004"]);
    expect(rest.nextCursor).toBeNull();
    await client.signOut();
  });

  it("rejects a wrong password with the server's message", async () => {
    const error = await rejection(createClient(url, { email: t.admins.admin.email, password: `${testPassword}!` }));
    expect(error.message).toBe("E-mail or password is wrong");
    expect(error.data?.code).toBe("UNAUTHORIZED");
  });

  it("surfaces the server's errors as TRPCClientError with its message and code", async () => {
    const client = await createClient(url, { email: t.admins.viewer.email, password: testPassword });
    const badCursor = await rejection(client.subscriptions.list.query({ profileId: t.profileId, cursor: "nonsense" }));
    expect(badCursor.message).toBe("cursor: not a cursor this list gave out");
    expect(badCursor.data?.code).toBe("BAD_REQUEST");
    const viewer = await rejection(client.subscriptions.subscribe.mutate({ profileId: t.profileId, userIds: [t.userIds[0]!], tier: "pro" }));
    expect(viewer.message).toBe("Viewers cannot change anything");
    expect(viewer.data?.code).toBe("FORBIDDEN");
    await client.signOut();
  });

  it("after signOut, calls are UNAUTHORIZED, and the old session cookie is dead on the server too", async () => {
    const sentCookies: string[] = [];
    const recording: typeof fetch = (input, init) => {
      const cookie = new Headers(init?.headers).get("cookie");
      if (cookie) sentCookies.push(cookie);
      return fetch(input, init);
    };
    const client: SeatdeskClient = await createClient(url, { email: t.admins.admin.email, password: testPassword }, { fetch: recording });
    await client.session.me.query();
    const cookie = sentCookies.at(-1);
    expect(cookie).toMatch(/^seatdesk_session=[\w-]+$/);

    await client.signOut();
    const after = await rejection(client.session.me.query());
    expect(after.data?.code).toBe("UNAUTHORIZED");
    expect(after.message).toBe("Sign in first");

    const replayed = await fetch(`${url}/trpc/session.me`, { headers: { cookie: cookie! } });
    expect(replayed.status).toBe(401);
  });

  it("keeps two clients' sessions apart", async () => {
    const admin = await createClient(url, { email: t.admins.admin.email, password: testPassword });
    const viewer = await createClient(url, { email: t.admins.viewer.email, password: testPassword });
    expect((await admin.session.me.query()).role).toBe("admin");
    expect((await viewer.session.me.query()).role).toBe("viewer");
    await admin.signOut();
    expect((await viewer.session.me.query()).role).toBe("viewer");
    await viewer.signOut();
  });
});

describe("the seatdesk command line", () => {
  let stdout: string;
  let stderr: string;
  const run = (...args: string[]) => {
    stdout = "";
    stderr = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
    return main(args).finally(() => vi.restoreAllMocks());
  };
  afterEach(() => vi.restoreAllMocks());
  const as = (role: "admin" | "viewer") => ["--url", url, "--email", t.admins[role].email, "--password", testPassword];

  it("prints the Users tab as an aligned table", async () => {
    expect(await run("users", ...as("viewer"), "--search", "user 0000", "--limit", "2")).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Name\s+E-mail\s+Tier\s+Status\s+Scheduled change\s+Last active$/);
    expect(lines[1]).toMatch(/^-+( {2}-+){5}$/);
    expect(lines[2]!.split(/ {2,}/)).toEqual(["User 00000", t.admins.viewer.email.replace(/^viewer-/, "user0-"), "—", "Not subscribed", "—", "—"]);
    expect(lines[3]).toMatch(/^User 00001 /);
    // Every column starts where its header does.
    const starts = (line: string) => [...line.matchAll(/(?<=^| {2})\S/g)].map((m) => m.index);
    expect(starts(lines[2]!)).toEqual(starts(lines[0]!));
    expect(lines.at(-1)).toBe("2 users (more: --limit <n> or --all)");
    expect(stderr).toBe("");
  });

  it("subscribes a group by name, and the Users tab shows its members Pending", async () => {
    expect(await run("subscribe-group", "group 0", "pro+", ...as("admin"))).toBe(0);
    expect(stdout).toBe("Subscribed Group 0 (3 members) to Pro+ in us-east-1.\n       3  newly subscribed (Pending until they use the tool)\n");

    expect(await run("users", ...as("viewer"), "--all")).toBe(0);
    const rows = stdout.split("\n").filter((l) => l.startsWith("User "));
    expect(rows).toHaveLength(5);
    expect(rows.slice(0, 3).every((l) => /\bPro\+ +Pending\b/.test(l))).toBe(true);
    expect(rows.slice(3).every((l) => /— +Not subscribed\b/.test(l))).toBe(true);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("5 users");
  });

  it("answers the server's refusal on stderr with exit code 1", async () => {
    expect(await run("subscribe-group", "Group 0", "power", ...as("viewer"))).toBe(1);
    expect(stderr).toBe("seatdesk: Viewers cannot change anything\n");
    expect(await run("users", "--url", url, "--email", t.admins.admin.email, "--password", "wrong")).toBe(1);
    expect(stderr).toBe("seatdesk: E-mail or password is wrong\n");
    expect(await run("subscribe-group", "No Such Group", "pro", ...as("admin"))).toBe(1);
    expect(stderr).toBe('seatdesk: no group named "No Such Group"\n');
    expect(await run("users", ...as("viewer"), "--region", "eu-central-1")).toBe(1);
    expect(stderr).toBe("seatdesk: no profile in eu-central-1; you have profiles in us-east-1 (use --region)\n");
  });

  it("checks the command line before signing in (exit code 2)", async () => {
    const unreachable = ["--url", "http://127.0.0.1:9", "--email", "a@b.example", "--password", "x"];
    expect(await run("subscribe-group", "Group 0", "gold", ...unreachable)).toBe(2);
    expect(stderr).toMatch(/^unknown tier "gold": use one of pro \(Pro\), pro_plus \(Pro\+\), power \(Power\)\n\nUsage:/);
    expect(await run("frobnicate", ...unreachable)).toBe(2);
    expect(stderr).toMatch(/^unknown command "frobnicate"/);
    expect(await run("users", "--url", url, "--password", "x")).toBe(2);
    expect(stderr).toMatch(/^--email: give the console admin's e-mail \(or set SEATDESK_EMAIL\)/);
    expect(await run("users", "--colour")).toBe(2);
    expect(await run("users", ...unreachable)).toBe(1);
    expect(stderr).toMatch(/^seatdesk: cannot reach http:\/\/127\.0\.0\.1:9: is the server running\?/);
  });
});
