import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { directoryUsers } from "@seatdesk/db";
import { createApp } from "../src/http/app";
import { tenantFingerprint } from "./fingerprint";
import { callerAs, harnessForFile, makeTenant, testNow, type Tenant } from "./harness";
import { makeKey } from "./usage-helpers";

/**
 * Issue 5, "Correctness": fuzzed bad input to the usage API, over real HTTP. Every request gets the one
 * status the rules give it (400, or 404 for a well-formed unknown user, 409 for a key already used with
 * another body, 412 for a closed period or a user without a subscription), never a 5xx; the message names
 * the field (`events.<index>.<field>` in a batch); the error's data carries the domain's code (edge case 16);
 * and nothing of the tenant changes.
 */

const h = harnessForFile();
let server: Server;
let base: string;
let t: Tenant;
let key: string;
/** Subscribed (Pro) and active: an event for them would be accepted if nothing else were wrong. */
let subscribed: { id: string; name: string };
/** In the directory, without a subscription in the profile. */
let unsubscribed: { id: string; name: string };
const when = testNow.toISOString();
const storedKey = "fuzz-stored";

beforeAll(async () => {
  t = await makeTenant(h, { users: 2 });
  key = (await makeKey(h, t)).key;
  await callerAs(h, t.admins.admin).subscriptions.subscribe({ profileId: t.profileId, userIds: [t.userIds[0]!], tier: "pro" });
  const users = await h.database.db
    .select({ id: directoryUsers.id, name: directoryUsers.userName })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.accountId, t.accountId)));
  subscribed = users.find((u) => u.id === t.userIds[0])!;
  unsubscribed = users.find((u) => u.id === t.userIds[1])!;
  server = createServer(createApp(h.deps));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

// ---- What is sent, and what must come back ----

type Path = "usage.record" | "usage.recordBatch" | "usage.check";
type Status = 400 | 404 | 409 | 412;

interface Case {
  label: string;
  path: Path;
  /** The POST body, or the GET `input`, as raw text: usually JSON, sometimes deliberately not. */
  raw: string | undefined;
  status: Status;
  /** The message starts with `<field>: `; null where no field can be named (the text is not JSON). */
  field: string | null;
  /** Text the message must also contain (an unknown field's name, a limit). */
  mentions?: string;
}

interface ErrorBody {
  error?: { message: string; data?: { code?: string; httpStatus?: number; domainCode?: string } };
  result?: unknown;
}

async function send(c: Pick<Case, "path" | "raw">): Promise<{ status: number; text: string }> {
  const headers = { authorization: `Bearer ${key}` };
  const res =
    c.path === "usage.check"
      ? await fetch(`${base}/trpc/${c.path}${c.raw === undefined ? "" : `?input=${encodeURIComponent(c.raw)}`}`, { headers })
      : await fetch(`${base}/trpc/${c.path}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: c.raw ?? "" });
  return { status: res.status, text: await res.text() };
}

const json = (v: unknown) => JSON.stringify(v);

/** The machine-readable code a case's refusal must carry (edge case 16); none for text that is not JSON (tRPC's PARSE_ERROR). */
function expectedDomainCode(c: Case): string | undefined {
  if (c.field === null) return undefined;
  switch (c.status) {
    case 404:
      return "unknown-user";
    case 409:
      return "idempotency-conflict";
    case 412:
      return c.label.endsWith("occurredAt: closed period") ? "period-closed" : "not-subscribed";
    default:
      return c.label.endsWith("occurredAt: future") ? "event-in-future" : "invalid-input";
  }
}

// ---- Good parts: an event that would be accepted on its own ----

type Body = Record<string, unknown>;

/** Any character: ASCII (with controls and NUL) half the time, else any code point, lone surrogates included. */
const anyChar = fc.oneof(fc.constantFrom("\u0000", "\\", '"', "'", "{", "}", ",", " "), fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }));

/** Printable ASCII without spaces, the idempotency key alphabet. */
const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 60 });

function goodEvent(): fc.Arbitrary<Body> {
  return fc.record({
    who: fc.oneof(
      fc.constant({ userId: subscribed.id }),
      // The identity provider's name, in any case: the same user.
      fc.array(fc.boolean(), { minLength: subscribed.name.length, maxLength: subscribed.name.length }).map((up) => ({
        userName: [...subscribed.name].map((ch, i) => (up[i] ? ch.toUpperCase() : ch)).join(""),
      })),
    ),
    credits: fc.integer({ min: 1, max: 100_000_000 }).map((cc) => cc / 100),
    client: fc.constantFrom("ide", "cli", "jetbrains-plugin", "vs.code_1"),
    occurredAt: fc.constantFrom(when, "2026-01-01T00:00:00Z", "2026-01-08T13:04:59.999+01:00", "2026-01-08T12:05:00.000Z"),
    idempotencyKey: printable,
  }).map(({ who, ...rest }) => ({ ...who, ...rest }));
}

// ---- Bad parts: one thing wrong with an event ----

/**
 * One thing wrong with an event, and what the API must answer. `field` is relative to the event
 * ("" for the event itself: "input" when sent alone, "events.<i>" in a batch).
 */
interface Mutation {
  label: string;
  apply: (e: Body) => unknown;
  status: Status;
  field: string;
  mentions?: string;
}

const eventFields = ["userId", "userName", "credits", "client", "occurredAt", "idempotencyKey"];
const set = (name: string, value: unknown) => (e: Body) => ({ ...e, [name]: value });
const without = (name: string) => (e: Body) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== name));
/** The event for user `ref`, whichever way the good event named its user. */
const forUser = (ref: Body) => (e: Body) => ({ ...without("userId")(without("userName")(e)), ...ref });

const notANumber = fc.oneof(
  fc.constantFrom("NaN", "Infinity", "-Infinity", "1", "1.50", "", "0x10", "1e3", " 2 "),
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null), // NaN and ±Infinity become null in JSON
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);
const notAString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);

/** Credits the rules refuse, built so that every value is wrong (independently of the server's code). */
const badCredits = fc.oneof(
  fc.constantFrom(0, -0, 0.001, 0.005, 0.009, 1.001, 1.234, 99.999, 1e-7, Number.MIN_VALUE),
  fc.integer({ min: 1, max: 1_000_000_000 }).filter((n) => n % 10 !== 0).map((n) => n / 1000), // three decimals
  fc.double({ max: -Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }), // negative
  fc.integer({ min: -100_000_000, max: -1 }).map((cc) => cc / 100),
  fc.double({ min: Number.MIN_VALUE, max: 0.0099, noNaN: true }), // below 0.01
  fc.constantFrom(1e12, 1e21, 1e308, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, 1_000_000.01), // more than one event may carry
  fc.integer({ min: 1_000_001, max: Number.MAX_SAFE_INTEGER }),
  // Any double that is not a two-decimal amount from 0.01 to 1,000,000.
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !(x > 0 && /^\d+(\.\d{1,2})?$/.test(String(x)) && Math.round(x * 100) <= 100_000_000)),
);

const isoAt = (d: Date, offsetMinutes: number) => {
  const local = new Date(d.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
  if (offsetMinutes === 0) return `${local}Z`;
  const abs = Math.abs(offsetMinutes);
  return `${local}${offsetMinutes < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
};
const offset = fc.integer({ min: -12 * 60, max: 14 * 60 });
/** Later than now plus the 5 minutes of clock skew allowed, up to year 9999. */
const future = fc
  .tuple(fc.date({ min: new Date(testNow.getTime() + 5 * 60_000 + 1), max: new Date("9999-12-30T00:00:00Z"), noInvalidDate: true }), offset)
  .map(([d, o]) => isoAt(d, o));
/** In a period whose grace window has closed: December 2025 closed at 2026-01-01T00:15Z, before now. */
const closed = fc
  .tuple(fc.date({ min: new Date("0001-01-02T00:00:00Z"), max: new Date("2025-12-31T23:59:59.999Z"), noInvalidDate: true }), offset)
  .map(([d, o]) => isoAt(d, o));
const malformedDate = fc.oneof(
  fc.constantFrom(
    "2026-13-01T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2026-01-32T00:00:00Z",
    "2026-01-08T24:00:00Z",
    "2026-01-08T12:60:00Z",
    "2026-01-08",
    "2026-01-08T12:00:00",
    "2026-01-08 12:00:00Z",
    "2026-01-08T12:00Z",
    "2026-01-08T12:00:00+0100",
    "2026-01-08T12:00:00+25:00",
    "+012026-01-08T12:00:00Z",
    "2026-1-8T12:00:00Z",
    "yesterday",
    "",
    "NaN",
  ),
  fc.string({ unit: anyChar, maxLength: 30 }).filter((s) => !/^\d{4}-/.test(s)),
);

function mutations(): fc.Arbitrary<Mutation> {
  const unknownName = fc
    .string({ unit: anyChar, minLength: 1, maxLength: 320 })
    .filter((s) => s.trim().length > 0 && ![subscribed.name, unsubscribed.name].includes(s.trim().toLowerCase()));
  const notUuid = fc.oneof(fc.string({ unit: anyChar, maxLength: 40 }), fc.uuid().map((u) => `${u}x`), fc.uuid().map((u) => u.slice(1))).filter((s) => !z.uuid().safeParse(s).success);
  const extraKey = fc.oneof(fc.constantFrom("__proto__", "constructor", "toString", "user_id", "Credits", "amount", ""), fc.string({ unit: anyChar, maxLength: 12 })).filter((k) => !eventFields.includes(k));
  const badClient = fc.oneof(
    fc.constantFrom("", "IDE", "my ide", "-ide", ".ide", "ide!", "a".repeat(41), "é", "ide\n"),
    fc.string({ unit: anyChar, maxLength: 80 }).filter((s) => !/^[a-z0-9][a-z0-9_.-]{0,39}$/.test(s)),
  );
  const badKey = fc.oneof(
    fc.constantFrom("", " ", "a b", "ключ", "key\t", "\u0000"),
    fc.string({ minLength: 256, maxLength: 400, unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) }), // too long
    fc.constant("k".repeat(300)),
    fc.string({ unit: anyChar, maxLength: 255 }).filter((s) => !/^[\x21-\x7e]{1,255}$/.test(s)),
  );
  const m = (label: string, status: Status, field: string, value: fc.Arbitrary<(e: Body) => unknown>): fc.Arbitrary<Mutation> => value.map((apply) => ({ label, status, field, apply }));
  return fc.oneof(
    // credits
    m("credits: not a number", 400, "credits", notANumber.map((v) => set("credits", v))),
    m("credits: refused amount", 400, "credits", badCredits.map((v) => set("credits", v))),
    m("credits: missing", 400, "credits", fc.constant(without("credits"))),
    // client
    m("client: refused", 400, "client", badClient.map((v) => set("client", v))),
    m("client: not a string", 400, "client", notAString.map((v) => set("client", v))),
    m("client: missing", 400, "client", fc.constant(without("client"))),
    // occurredAt
    m("occurredAt: future", 400, "occurredAt", future.map((v) => set("occurredAt", v))),
    m("occurredAt: closed period", 412, "occurredAt", closed.map((v) => set("occurredAt", v))),
    m("occurredAt: malformed", 400, "occurredAt", malformedDate.map((v) => set("occurredAt", v))),
    m("occurredAt: not a string", 400, "occurredAt", notAString.map((v) => set("occurredAt", v))),
    m("occurredAt: missing", 400, "occurredAt", fc.constant(without("occurredAt"))),
    // idempotencyKey
    m("idempotencyKey: refused", 400, "idempotencyKey", badKey.map((v) => set("idempotencyKey", v))),
    m("idempotencyKey: not a string", 400, "idempotencyKey", notAString.map((v) => set("idempotencyKey", v))),
    m("idempotencyKey: missing", 400, "idempotencyKey", fc.constant(without("idempotencyKey"))),
    m(
      "idempotencyKey: stored with another body",
      409,
      "idempotencyKey",
      fc.integer({ min: 2, max: 1000 }).map((credits) => (e: Body) => ({ ...forUser({ userId: subscribed.id })(e), credits, idempotencyKey: storedKey })),
    ),
    // the user
    m("userId: not a uuid", 400, "userId", notUuid.map((v) => forUser({ userId: v }))),
    m("userId: not a string", 400, "userId", notAString.map((v) => forUser({ userId: v }))),
    m("userId: unknown", 404, "userId", fc.oneof(fc.uuid({ version: 4 }), fc.uuid({ version: 7 }), fc.constant("00000000-0000-0000-0000-000000000000")).map((v) => forUser({ userId: v }))),
    m("userId: not subscribed", 412, "userId", fc.constant(forUser({ userId: unsubscribed.id }))),
    // Well-formed names of nobody: 404. A NUL cannot be stored in a name at all: 400.
    unknownName.map((v): Mutation => ({ label: "userName: unknown", status: v.includes("\u0000") ? 400 : 404, field: "userName", apply: forUser({ userName: v }) })),
    m("userName: not subscribed", 412, "userName", fc.constant(forUser({ userName: unsubscribed.name.toUpperCase() }))),
    m("userName: blank or too long", 400, "userName", fc.oneof(fc.constantFrom("", " ", "\t\n"), fc.constant("n".repeat(321))).map((v) => forUser({ userName: v }))),
    m("userName: not a string", 400, "userName", notAString.map((v) => forUser({ userName: v }))),
    m("user: both ids", 400, "userId", fc.constant(forUser({ userId: subscribed.id, userName: subscribed.name }))),
    m("user: neither", 400, "userId", fc.constant(forUser({}))),
    // the event itself
    extraKey.map((k): Mutation => ({ label: "extra field", status: 400, field: "", apply: (e) => ({ ...e, [k]: 1 }), mentions: `"${k}"` })),
    m("not an object", 400, "", fc.oneof(fc.constant(null), fc.string({ maxLength: 5 }), fc.integer(), fc.array(fc.integer(), { maxLength: 2 })).map((v) => () => v)),
  );
}

// ---- Requests ----

const at = (prefix: string, field: string) => (field === "" ? prefix : `${prefix}.${field}`);

function singleCases(): fc.Arbitrary<Case> {
  return fc.tuple(goodEvent(), mutations()).map(([e, mut]) => ({
    label: `record / ${mut.label}`,
    path: "usage.record" as const,
    raw: json(mut.apply(e)),
    status: mut.status,
    field: mut.field === "" ? "input" : mut.field,
    ...(mut.mentions ? { mentions: mut.mentions } : {}),
  }));
}

/** Good events with keys unique in the batch. */
const goods = (min: number, max: number) => fc.array(goodEvent(), { minLength: min, maxLength: max }).map((es) => es.map((e, i): Body => ({ ...e, idempotencyKey: `g${i}-${String(e.idempotencyKey)}` })));

function batchCases(): fc.Arbitrary<Case> {
  const mixed = fc.tuple(goods(0, 12), goodEvent(), mutations(), fc.nat()).map(([ok, e, mut, n]): Case => {
    const i = n % (ok.length + 1);
    const events: unknown[] = [...ok];
    events.splice(i, 0, mut.apply({ ...e, idempotencyKey: `bad-${String(e.idempotencyKey)}` }));
    return { label: `batch / ${mut.label}`, path: "usage.recordBatch", raw: json({ events }), status: mut.status, field: at(`events.${i}`, mut.field), ...(mut.mentions ? { mentions: mut.mentions } : {}) };
  });
  const sameKeyOtherBody = fc.tuple(goods(2, 12), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 99 })).map(([ok, a, b, extra]): Case => {
    const first = a % (ok.length - 1);
    const later = first + 1 + (b % (ok.length - 1 - first));
    // The later event repeats the first one's key and body, with other credits (still a valid amount).
    const firstCc = Math.round(Number(ok[first]!.credits) * 100);
    const otherCc = firstCc + extra <= 100_000_000 ? firstCc + extra : firstCc - extra;
    const events = ok.map((e, i) => (i === later ? { ...ok[first]!, credits: otherCc / 100 } : e));
    return { label: "batch / one key, two bodies", path: "usage.recordBatch", raw: json({ events }), status: 409, field: `events.${later}.idempotencyKey`, mentions: "creditsCc differs" };
  });
  const tooMany = goods(1, 1).map(([e]): Case => ({
    label: "batch / 1,001 events",
    path: "usage.recordBatch",
    raw: json({ events: Array.from({ length: 1001 }, (_, i) => ({ ...e, idempotencyKey: `many-${i}` })) }),
    status: 400,
    field: "events",
    mentions: "at most 1000 events",
  }));
  const badList = fc.oneof(fc.constant([]), fc.constant(null), fc.string({ maxLength: 5 }), fc.integer(), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 })).map(
    (events): Case => ({ label: "batch / events not a list of events", path: "usage.recordBatch", raw: json({ events }), status: 400, field: "events" }),
  );
  const noList = fc.constant<Case>({ label: "batch / no events", path: "usage.recordBatch", raw: "{}", status: 400, field: "events" });
  const extraTop = fc.tuple(goods(1, 3), fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== "events")).map(
    ([events, k]): Case => ({ label: "batch / extra field", path: "usage.recordBatch", raw: json({ events, [k]: true }), status: 400, field: "input", mentions: `"${k}"` }),
  );
  return fc.oneof({ arbitrary: mixed, weight: 6 }, { arbitrary: sameKeyOtherBody, weight: 1 }, { arbitrary: tooMany, weight: 1 }, { arbitrary: badList, weight: 1 }, { arbitrary: noList, weight: 1 }, { arbitrary: extraTop, weight: 1 });
}

function checkCases(): fc.Arbitrary<Case> {
  const c = (label: string, input: unknown, status: Status, field: string, mentions?: string): Case => ({
    label: `check / ${label}`,
    path: "usage.check",
    raw: input === undefined ? undefined : json(input),
    status,
    field,
    ...(mentions ? { mentions } : {}),
  });
  return fc.oneof(
    fc.uuid({ version: 4 }).map((id) => c("unknown user id", { userId: id }, 404, "userId")),
    fc.string({ unit: anyChar, minLength: 1, maxLength: 60 }).filter((s) => s.trim().length > 0 && ![subscribed.name, unsubscribed.name].includes(s.trim().toLowerCase())).map((n) => c("unknown user name", { userName: n }, n.includes("\u0000") ? 400 : 404, "userName")),
    fc.string({ unit: anyChar, maxLength: 40 }).filter((s) => !z.uuid().safeParse(s).success).map((s) => c("userId not a uuid", { userId: s }, 400, "userId")),
    notAString.map((v) => c("userId not a string", { userId: v }, 400, "userId")),
    fc.constant(c("both ids", { userId: subscribed.id, userName: subscribed.name }, 400, "userId")),
    fc.constant(c("neither id", {}, 400, "userId")),
    fc.constant(c("no input", undefined, 400, "input")),
    fc.string({ unit: anyChar, minLength: 1, maxLength: 10 }).filter((k) => k !== "userId" && k !== "userName").map((k) => c("extra field", { userId: subscribed.id, [k]: 1 }, 400, "input", `"${k}"`)),
  );
}

/** Text that is not JSON at all: no field can be named, but it is still the client's 400. */
const notJson = fc.constantFrom(
  '{"credits": NaN}',
  '{"userId": "x", "credits": 1,',
  "credits=1&client=ide",
  "{'credits': 1}",
  '{"events": [NaN]}',
);

function unparsable(): fc.Arbitrary<Case> {
  return fc.tuple(notJson, fc.constantFrom<Path>("usage.record", "usage.recordBatch", "usage.check")).map(([raw, path]) => ({ label: `${path} / not JSON`, path, raw, status: 400, field: null }));
}

/** JSON numbers past a double: JSON.parse reads them as ±Infinity, which no amount may be. */
function overflow(): fc.Arbitrary<Case> {
  return fc.tuple(goodEvent(), fc.constantFrom("1e400", "-1e400", "123e99999")).map(([e, literal]) => ({
    label: "record / credits past a double",
    path: "usage.record" as const,
    raw: json({ ...e, credits: 1 }).replace('"credits":1', `"credits":${literal}`),
    status: 400,
    field: "credits",
  }));
}

describe("usage API under fuzzed input", () => {
  it("1,000 bad requests: each gets its exact 4xx naming the field, never a 5xx, and the tenant does not change", { timeout: 180_000 }, async () => {
    // One good event stored first, so a key can be reused with another body; and the key's last use stamped.
    const stored = await send({ path: "usage.record", raw: json({ userId: subscribed.id, credits: 1, client: "ide", occurredAt: when, idempotencyKey: storedKey }) });
    expect(stored.status).toBe(200);
    const before = await tenantFingerprint(h.database, t.accountId);

    const seen = new Map<string, number>();
    const arbitrary = fc.oneof(
      { arbitrary: singleCases(), weight: 10 },
      { arbitrary: batchCases(), weight: 6 },
      { arbitrary: checkCases(), weight: 2 },
      { arbitrary: unparsable(), weight: 1 },
      { arbitrary: overflow(), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(arbitrary, async (c) => {
        seen.set(c.label, (seen.get(c.label) ?? 0) + 1);
        const res = await send(c);
        const body = JSON.parse(res.text) as ErrorBody;
        const message = body.error?.message ?? "";
        expect({ status: res.status, message }).toMatchObject({ status: c.status });
        if (c.field !== null) expect(message.startsWith(`${c.field}: `), `"${message}" should start with "${c.field}: "`).toBe(true);
        if (c.mentions) expect(message).toContain(c.mentions);
        // Nothing of the server's insides: no stack, no file, no SQL or driver message.
        expect(Object.keys(body.error ?? {}).sort()).toEqual(["code", "data", "message"]);
        expect(Object.keys(body.error?.data ?? {}).every((k) => ["code", "httpStatus", "path", "domainCode", "fields"].includes(k))).toBe(true);
        expect(body.error?.data?.domainCode, message).toBe(expectedDomainCode(c));
        expect(message).not.toMatch(/\n\s+at |node_modules|\.ts:\d|Failed query|syntax error|violates|invalid byte sequence|relation "/);
      }),
      { numRuns: 1000, seed: 20260108, endOnFailure: true },
    );

    expect(await tenantFingerprint(h.database, t.accountId)).toEqual(before);
    // Every kind of bad input was tried.
    for (const kind of ["credits: not a number", "credits: refused amount", "occurredAt: future", "occurredAt: closed period", "idempotencyKey: refused", "extra field", "userId: unknown"]) {
      expect(seen.get(`record / ${kind}`), kind).toBeGreaterThan(0);
      expect(seen.get(`batch / ${kind}`), kind).toBeGreaterThan(0);
    }
    expect(seen.get("batch / 1,001 events")).toBeGreaterThan(0);
    expect(seen.get("batch / one key, two bodies")).toBeGreaterThan(0);
  });
});
