import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { defaultCatalog } from "@seatdesk/domain";
import { connect, type Database } from "@seatdesk/db";
import { generateApiKey } from "../src/auth/api-keys";
import { generateScimToken } from "../src/auth/scim-tokens";
import { fixedClock } from "../src/clock";
import { createApp } from "../src/http/app";
import type { Log } from "../src/log";
import { domainCodeOf, isDatabaseUnavailable, toTRPCError } from "../src/trpc/errors";
import { expectNothingInternal, freePort } from "./fault-helpers";
import { testNow } from "./harness";

/**
 * Issue 14: a database that cannot be reached (nothing listens on its port) answers every path with a
 * fast 503 and nothing internal: /readyz, the usage API (lean path), the console's tRPC (regular adapter)
 * and SCIM; /healthz stays 200 (liveness only). The detail goes to the log. Needs no database, so it runs
 * in both the PGlite and the PostgreSQL run.
 */
describe("the database unreachable", () => {
  let database: Database;
  let server: Server;
  let base: string;
  const logged: { msg: string; fields?: Record<string, unknown> }[] = [];
  const log: Log = { info: () => {}, error: (msg, fields) => void logged.push({ msg, ...(fields ? { fields } : {}) }) };

  beforeAll(async () => {
    database = await connect({ url: `postgres://seatdesk@127.0.0.1:${await freePort()}/nowhere`, max: 2 });
    server = createServer(createApp({ database, clock: fixedClock(testNow), log, catalog: defaultCatalog, regions: [] }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await database.close();
  });

  async function timedFetch(path: string, init?: RequestInit) {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - t0, contentType: res.headers.get("content-type") };
  }

  it("/healthz answers 200 without the database; /readyz a fast 503 database-unavailable", async () => {
    const live = await timedFetch("/healthz");
    expect(live.status).toBe(200);
    expect(JSON.parse(live.text)).toEqual({ ok: true });
    const ready = await timedFetch("/readyz");
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toEqual({ ok: false, code: "database-unavailable" });
    expect(ready.ms).toBeLessThan(1_500);
    expect(logged.some((l) => l.msg === "not ready" && String(l.fields?.error).includes("ECONNREFUSED"))).toBe(true);
  });

  it("usage.record (the lean path) and a console query (tRPC's adapter) answer 503 with domainCode database-unavailable", async () => {
    const headers = { "content-type": "application/json", authorization: `Bearer ${generateApiKey().key}` };
    const event = { userId: "00000000-0000-4000-8000-000000000000", credits: 1, client: "cli", occurredAt: testNow.toISOString(), idempotencyKey: "k1" };
    const answers = [
      await timedFetch("/trpc/usage.record", { method: "POST", headers, body: JSON.stringify(event) }),
      await timedFetch("/trpc/usage.record,usage.record?batch=1", { method: "POST", headers, body: JSON.stringify({ 0: event, 1: { ...event, idempotencyKey: "k2" } }) }),
      await timedFetch("/trpc/session.me", { headers: { cookie: "seatdesk_session=abc" } }),
    ];
    for (const a of answers) {
      expect(a.status, a.text).toBe(503);
      const body = JSON.parse(a.text) as { error?: { message: string; data: { domainCode?: string; httpStatus: number } } } | { error: { message: string; data: { domainCode?: string } } }[];
      for (const one of Array.isArray(body) ? body : [body]) {
        expect(one.error?.data.domainCode, a.text).toBe("database-unavailable");
        expect(one.error?.message).toBe("The database is unavailable; try again shortly.");
      }
      expectNothingInternal(a.text);
      expect(a.ms).toBeLessThan(3_000);
    }
    const faults = logged.filter((l) => l.msg === "database unavailable");
    expect(faults.length).toBeGreaterThanOrEqual(3);
    expect(faults.every((l) => /ECONNREFUSED|CONNECTION_/.test(String(l.fields?.error)))).toBe(true);
  });

  it("SCIM answers 503 in the SCIM error schema", async () => {
    const a = await timedFetch("/scim/v2/Users", { headers: { authorization: `Bearer ${generateScimToken().key}` } });
    expect(a.status, a.text).toBe(503);
    expect(a.contentType).toMatch(/application\/scim\+json/);
    expect(JSON.parse(a.text)).toEqual({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503", detail: "The database is unavailable; try again shortly.", code: "database-unavailable" });
    expectNothingInternal(a.text);
  });
});

describe("toTRPCError: what a database fault and an unexpected failure show a client", () => {
  const failedQuery = (cause: unknown) => new DrizzleQueryError("select secret_hash from api_keys where lookup = $1", ["abc"], cause as Error);

  it.each([
    ["postgres.js closed connection", Object.assign(new Error("write CONNECTION_CLOSED db.internal:5432"), { code: "CONNECTION_CLOSED" })],
    ["connect timeout", Object.assign(new Error("write CONNECT_TIMEOUT db.internal:5432"), { code: "CONNECT_TIMEOUT" })],
    ["refused", Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:5432"), { code: "ECONNREFUSED" })],
    ["terminated backend (57P01)", Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" })],
    ["server starting (57P03)", Object.assign(new Error("the database system is starting up"), { code: "57P03" })],
    ["connection exception class 08 (08006)", Object.assign(new Error("connection failure"), { code: "08006" })],
    ["too many connections (53300)", Object.assign(new Error("sorry, too many clients already"), { code: "53300" })],
    ["statement timeout (57014)", Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" })],
  ])("%s → 503 database-unavailable, whether thrown bare, by drizzle or wrapped by tRPC", (_, fault) => {
    for (const thrown of [fault, failedQuery(fault), new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: failedQuery(fault) })]) {
      expect(isDatabaseUnavailable(thrown)).toBe(true);
      const mapped = toTRPCError(thrown);
      expect(mapped.code).toBe("SERVICE_UNAVAILABLE");
      expect(mapped.message).toBe("The database is unavailable; try again shortly.");
      expect(domainCodeOf(mapped)).toBe("database-unavailable");
    }
  });

  it("an unexpected failure wrapped by tRPC (its message names the query) shows only the plain sentence", () => {
    const thrown = new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: failedQuery(new Error("division by zero")) });
    expect(thrown.message).toContain("select secret_hash");
    const mapped = toTRPCError(thrown);
    expect(mapped.code).toBe("INTERNAL_SERVER_ERROR");
    expect(mapped.message).toBe("Something went wrong on our side; it has been logged.");
    expect(isDatabaseUnavailable(thrown)).toBe(false);
    // A refusal of the caller's stays what it was.
    const conflict = toTRPCError(failedQuery(Object.assign(new Error("duplicate key"), { code: "23505" })));
    expect(conflict.code).toBe("CONFLICT");
  });
});
