import { request } from "node:http";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directoryUsers } from "@seatdesk/db";
import { bodyLimits } from "../src/http/body";
import { maxBatchSize } from "../src/http/app";
import { callerAs, harnessForFile, makeTenant, testNow, testPassword, type Tenant } from "./harness";
import { listen, makeScimToken } from "./scim-helpers";
import { makeKey } from "./usage-helpers";

/**
 * Request bodies on every path (issue 14): the cap per path (413 in each path's error format, the connection
 * closed), a body just under it accepted, strict UTF-8 (400, nothing stored), and sign-in kept out of batches.
 */

const h = harnessForFile();
let t: Tenant;
let key: string;
let scimToken: string;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  t = await makeTenant(h, { users: 2 });
  key = (await makeKey(h, t)).key;
  scimToken = (await makeScimToken(h, t)).token;
  await callerAs(h, t.admins.admin).subscriptions.subscribe({ profileId: t.profileId, userIds: [t.userIds[0]!], tier: "pro" });
  ({ url: base, close } = await listen(h));
});
afterAll(() => close());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- error bodies are read field by field
  body: any;
}

/** A POST with raw bytes (fetch would re-encode a string as UTF-8), announced by Content-Length or chunked. */
function send(path: string, bytes: Buffer, headers: Record<string, string> = {}, chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...(chunked ? {} : { "content-length": String(bytes.length) }), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : null });
      });
    });
    // A refused body may reset the socket under our write after the answer came; the answer is what counts.
    req.on("error", (e) => reject(e));
    if (chunked) {
      for (let i = 0; i < bytes.length; i += 64 * 1024) req.write(bytes.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(bytes);
  });
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8");
/** A JSON document of exactly `size` bytes: an object whose one string fills the rest. */
const paddedTo = (size: number, field = "pad") => Buffer.from(`{"${field}":"${"a".repeat(size - field.length - 7)}"}`, "utf8");
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const scimJson = { "content-type": "application/scim+json" };

describe("body caps", () => {
  it("the caps are the documented ones", () => {
    expect(bodyLimits).toEqual({ default: 1024 * 1024, usage: 1024 * 1024, scim: 4 * 1024 * 1024, csvImport: 12 * 1024 * 1024 });
  });

  it("tRPC: one byte over 1 MB is 413 in tRPC's error shape, announced or chunked, and the connection closes", async () => {
    expect(paddedTo(bodyLimits.default + 1).length).toBe(bodyLimits.default + 1);
    for (const chunked of [false, true]) {
      const res = await send("/trpc/session.signIn", paddedTo(bodyLimits.default + 1), {}, chunked);
      expect(res.status, `chunked: ${chunked}`).toBe(413);
      expect(res.headers.connection).toBe("close");
      expect(res.body.error).toMatchObject({ message: "The request body is larger than 1 MB", data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413 } });
    }
  });

  it("tRPC: a body at the cap is read and answered by the procedure (here: input refused)", async () => {
    const res = await send("/trpc/session.signIn", paddedTo(bodyLimits.default));
    expect(res.status).toBe(400);
    expect(res.body.error.data.code).toBe("BAD_REQUEST");
  });

  it("directory.importCsv takes up to 12 MB only with a session cookie", async () => {
    const big = paddedTo(2 * 1024 * 1024, "csv");
    expect((await send("/trpc/directory.importCsv", big)).status).toBe(413);
    // With a cookie the body is read; the forged session is then refused as any other.
    expect((await send("/trpc/directory.importCsv", big, { cookie: "seatdesk_session=forged" })).status).toBe(401);
    expect((await send("/trpc/directory.importCsv", paddedTo(bodyLimits.csvImport + 1, "csv"), { cookie: "seatdesk_session=forged" })).status).toBe(413);
  });

  it("usage: 1,000 events (about 190 KB) pass; a body over 1 MB is 413 before the key is even checked", async () => {
    const events = Array.from({ length: 1000 }, (_, i) => ({ userId: t.userIds[0]!, credits: 0.01, client: "ide", occurredAt: testNow.toISOString(), idempotencyKey: `edge-${i}-${"k".repeat(40)}` }));
    const body = json({ events });
    expect(body.length).toBeGreaterThan(150_000);
    const ok = await send("/trpc/usage.recordBatch", body, bearer(key));
    expect(ok.status).toBe(200);
    expect(ok.body.result.data.results).toHaveLength(1000);
    for (const chunked of [false, true]) {
      const res = await send("/trpc/usage.record", paddedTo(bodyLimits.usage + 1), {}, chunked);
      expect(res.status).toBe(413);
      expect(res.body.error.data).toMatchObject({ code: "PAYLOAD_TOO_LARGE", httpStatus: 413 });
    }
  });

  it("SCIM: over 4 MB is 413 in SCIM's error schema; a User just under the cap is read (and refused for its size)", async () => {
    for (const chunked of [false, true]) {
      const res = await send("/scim/v2/Users", paddedTo(bodyLimits.scim + 1), { ...bearer(scimToken), ...scimJson }, chunked);
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "413", detail: "The request body is larger than 4 MB" });
    }
    const user = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "big@example.com", title: "t".repeat(bodyLimits.scim - 200) };
    const res = await send("/scim/v2/Users", json(user), { ...bearer(scimToken), ...scimJson });
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe("The user's attributes are larger than 64 KB");
  });
});

describe("strict UTF-8", () => {
  // "Zo\xeb" in Latin-1: the 0xEB byte starts a three-byte sequence that never comes.
  const latin1 = (text: string) => Buffer.from(text, "latin1");

  it("tRPC (regular and batched): 400, not U+FFFD", async () => {
    const res = await send("/trpc/session.signIn", latin1(`{"email":"zo\xeb@example.com","password":"x"}`));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ message: "The request body is not valid UTF-8", data: { code: "BAD_REQUEST" } });
    const batch = await send("/trpc/session.signOut,session.signOut?batch=1", latin1(`{"0":{"x":"\xeb"},"1":{}}`));
    expect(batch.status).toBe(400);
  });

  it("usage: 400, and no event stored", async () => {
    const res = await send("/trpc/usage.record", latin1(`{"userId":"${t.userIds[0]}","credits":1,"client":"ide\xe9","occurredAt":"${testNow.toISOString()}","idempotencyKey":"utf8-1"}`), bearer(key));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("The request body is not valid UTF-8");
    // Nothing was stored under its idempotency key: the same event in proper form is new.
    const good = await send("/trpc/usage.record", json({ userId: t.userIds[0], credits: 1, client: "ide", occurredAt: testNow.toISOString(), idempotencyKey: "utf8-1" }), bearer(key));
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    expect(good.body.result.data.replayed).toBe(false);
  });

  it("SCIM: 400 invalidSyntax, and no user stored", async () => {
    const res = await send("/scim/v2/Users", latin1(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"zo\xeb@example.com"}`), { ...bearer(scimToken), ...scimJson });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: "400", scimType: "invalidSyntax", detail: "The request body is not valid UTF-8" });
    const stored = await h.database.db.select().from(directoryUsers).where(and(eq(directoryUsers.accountId, t.accountId), eq(directoryUsers.userName, "zo\ufffd@example.com")));
    expect(stored).toEqual([]);
  });

  it("a byte order mark before the JSON is dropped, as UTF-8 allows", async () => {
    const res = await send("/trpc/session.signIn", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json({ email: t.admins.admin.email, password: testPassword })]));
    expect(res.status).toBe(200);
  });
});

describe("batches", () => {
  it("session.signIn beside other calls in a batch is refused (400); alone, even as a batch of one, it works", async () => {
    const guesses = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [String(i), { email: t.admins.admin.email, password: `guess-${i}` }]));
    const res = await send("/trpc/session.signIn,session.signIn,session.signIn?batch=1", json(guesses));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("session.signIn cannot be sent in a batch; call it on its own");
    const mixed = await send("/trpc/session.signOut,session.signIn?batch=1", json({ 0: {}, 1: { email: t.admins.admin.email, password: testPassword } }));
    expect(mixed.status).toBe(400);
    const alone = await send("/trpc/session.signIn?batch=1", json({ 0: { email: t.admins.admin.email, password: testPassword } }));
    expect(alone.status).toBe(200);
  });

  it(`a batch of more than ${maxBatchSize} calls is refused (400)`, async () => {
    const paths = Array.from({ length: maxBatchSize + 1 }, () => "session.signOut").join(",");
    const res = await send(`/trpc/${paths}?batch=1`, json(Object.fromEntries(Array.from({ length: maxBatchSize + 1 }, (_, i) => [String(i), {}]))));
    expect(res.status).toBe(400);
  });
});
