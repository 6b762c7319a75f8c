import { randomInt } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, asc, eq } from "drizzle-orm";
import { auditLog } from "@seatdesk/db";
import { defaultSignInLimits } from "../src/auth/throttle";
import { createApp } from "../src/http/app";
import type { Log } from "../src/log";
import { makeTenant, openHarness, testPassword, type Harness, type Tenant } from "./harness";

const ipFailures = 12;
let h: Harness;
let server: Server;
let base: string;
let t: Tenant;
const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
const recordingLog: Log = { info: (msg, fields) => void lines.push({ msg, fields }), error: (msg, fields) => void lines.push({ msg, fields }) };

beforeAll(async () => {
  h = await openHarness();
  t = await makeTenant(h, { users: 0 });
  // Behind a trusted proxy, so each test speaks from an address of its own (X-Forwarded-For): the counts live in
  // the database, which on PostgreSQL outlives this file, and 127.0.0.1 is every other test's address.
  // The address limit is lowered from its default (50 an hour) so that reaching it takes a few seconds, not a minute of hashing.
  server = createServer(createApp({ ...h.deps, log: recordingLog, trustProxy: true, signInLimits: { ipFailures } }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

/** An address no other run uses (10.0.0.0/8, random). */
const someAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

const signIn = (from: string, email: string, password: string) =>
  fetch(`${base}/trpc/session.signIn`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": from },
    body: JSON.stringify({ email, password }),
  });

interface TrpcErrorBody {
  error: { message: string; data: { code: string; httpStatus: number } };
}

describe("sign-in throttling over HTTP", () => {
  it("200 wrong passwords for one e-mail: 401 up to the limit, then 429 with Retry-After, the right password too; another e-mail from the address works until the address's limit", async () => {
    const ip = someAddress();
    const victim = t.admins.admin.email;
    // Sent 20 at a time: every attempt is counted before its password is checked, so at most the limit get through even at once.
    const statuses: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < 200; i += 20) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, async (_, j) => {
          const res = await signIn(ip, victim, `guess-${i + j}`);
          return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as TrpcErrorBody };
        }),
      );
      for (const a of answers) {
        statuses.push(a.status);
        if (a.status === 429) {
          expect(a.body.error.data.code).toBe("TOO_MANY_REQUESTS");
          expect(a.body.error.message).toMatch(/^Too many sign-in attempts; try again in \d+ minutes$/);
          waits.push(Number(a.retryAfter));
        } else expect(a.body.error.data.code).toBe("UNAUTHORIZED");
      }
    }
    const limit = defaultSignInLimits.emailFailures;
    expect(statuses.filter((s) => s === 401)).toHaveLength(limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(200 - limit);
    // The first 20 went at once; every later attempt found the e-mail locked.
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    // The lock-out: 15 minutes from the 5th failure, counting down (never more than that).
    for (const w of waits) expect(Number.isInteger(w) && w > 15 * 60 - 60 && w <= 15 * 60).toBe(true);

    // The right password during the lock-out is refused the same way.
    const right = await signIn(ip, victim, testPassword);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(right.headers.get("set-cookie")).toBeNull();

    // Another e-mail from the same address signs in: the lock is the e-mail's, and refused attempts did not count against the address.
    const other = await signIn(ip, t.admins.owner.email, testPassword);
    expect(other.status).toBe(200);
    expect(other.headers.get("set-cookie")).toMatch(/^seatdesk_session=/);

    // ...until the address's own limit of failures, any e-mail (5 so far, from the victim's).
    for (let i = limit; i < ipFailures; i++) {
      expect((await signIn(ip, `nobody-${i}-${ip}@example.com`, "wrong")).status).toBe(401);
    }
    const blocked = await signIn(ip, t.admins.owner.email, testPassword);
    expect(blocked.status).toBe(429);
    const wait = Number(blocked.headers.get("retry-after"));
    expect(wait > 0 && wait <= 60 * 60).toBe(true);
    // A different address is not held by that one's count.
    expect((await signIn(someAddress(), t.admins.owner.email, testPassword)).status).toBe(200);

    // Every failure against a known e-mail is audited in its account, the lock-out with its length; never the password.
    const audited = await h.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.accountId, t.accountId), eq(auditLog.action, "admin.signInFailed")))
      .orderBy(asc(auditLog.at), asc(auditLog.id));
    expect(audited).toHaveLength(limit);
    expect(audited.every((a) => a.targetId === t.admins.admin.adminId && a.actorType === "system" && a.actorLabel === `sign-in from ${ip}`)).toBe(true);
    expect(audited.map((a) => (a.after as { lockedForSeconds?: number }).lockedForSeconds ?? null).sort()).toEqual([900, null, null, null, null]);
    // ...and logged, the refusals too.
    const failedLines = lines.filter((l) => l.msg === "sign-in failed" && l.fields?.clientIp === ip);
    expect(failedLines).toHaveLength(ipFailures);
    expect(lines.filter((l) => l.msg === "sign-in throttled" && l.fields?.clientIp === ip).length).toBe(200 - limit + 2);
    const logged = JSON.stringify(lines) + JSON.stringify(audited);
    expect(logged).not.toContain("guess-");
    expect(logged).not.toContain(testPassword);
  }, 60_000);

  it("a batch cannot carry several guesses", async () => {
    const res = await fetch(`${base}/trpc/session.signIn,session.signIn?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": someAddress() },
      body: JSON.stringify({ 0: { email: t.admins.viewer.email, password: "a" }, 1: { email: t.admins.viewer.email, password: "b" } }),
    });
    expect(res.status).toBe(400);
  });
});
