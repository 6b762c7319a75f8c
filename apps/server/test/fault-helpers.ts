/**
 * The fault tests' pieces (test/fault-*.test.ts): the real server as a child process, a database of
 * their own on the PostgreSQL server of TEST_DATABASE_URL (or a PGlite data folder), a tenant with
 * subscribed users and a profile key, usage clients that keep recording, and reading back what was stored.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import postgres from "postgres";
import { defaultCatalog } from "@seatdesk/domain";
import { connect, rowsOf, type Database } from "@seatdesk/db";
import { sql } from "drizzle-orm";
import { fixedClock } from "../src/clock";
import { silentLog } from "../src/log";
import { defaultRegions } from "../src/regions";
import { callerAs, makeTenant, type Harness } from "./harness";
import { makeKey } from "./usage-helpers";
import { freePort } from "./ports";

const serverDir = fileURLToPath(new URL("..", import.meta.url));


export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- A database of the test's own ----

export interface OwnDatabase {
  url: string;
  /** A connection for the test's own reads and for pg_terminate_backend (not the server's). */
  admin: postgres.Sql;
  drop(): Promise<void>;
}

/** Creates `seatdesk_fault_<tag>_<pid>` on TEST_DATABASE_URL's server (only its host, port and role are used). */
export async function createOwnDatabase(tag: string): Promise<OwnDatabase> {
  const serverUrl = new URL(process.env.TEST_DATABASE_URL!);
  const name = `seatdesk_fault_${tag}_${process.pid}`;
  const root = postgres(serverUrl.toString(), { max: 1, onnotice: () => {} });
  await root.unsafe(`drop database if exists "${name}" with (force)`);
  await root.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const admin = postgres(url.toString(), { max: 2, onnotice: () => {} });
  return {
    url: url.toString(),
    admin,
    async drop() {
      await admin.end({ timeout: 5 });
      await root.unsafe(`drop database if exists "${name}" with (force)`);
      await root.end({ timeout: 5 });
    },
  };
}

// ---- The tenant ----

export interface Seeded {
  accountId: string;
  profileId: string;
  userIds: string[];
  key: string;
}

/**
 * Migrates and seeds through the product's own code: an account with its admins and directory users
 * (the test harness), the users subscribed to Pro by the owner and a profile key created through the API.
 * Usage recorded later activates each user on their first event.
 */
export async function seedTenant(database: Database, users = 16): Promise<Seeded> {
  await database.migrate();
  const clock = fixedClock(new Date());
  const h: Harness = { database, clock, deps: { database, clock, log: silentLog, catalog: defaultCatalog, regions: defaultRegions }, close: () => database.close() };
  const t = await makeTenant(h, { users });
  await callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds, tier: "pro" });
  const { key } = await makeKey(h, t);
  return { accountId: t.accountId, profileId: t.profileId, userIds: t.userIds, key };
}

export async function seedDatabase(options: { url?: string; dataDir?: string }, users = 16): Promise<Seeded> {
  const database = await connect({ ...options, max: 2 });
  try {
    return await seedTenant(database, users);
  } finally {
    await database.close();
  }
}

// ---- The server, a child process ----

export interface Spawned {
  base: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr. */
  output(): string;
  alive(): boolean;
  /** SIGTERM (SIGKILL after 10 s), and waits for the exit. */
  stop(): Promise<void>;
  /** kill -9, and waits for the exit. */
  kill9(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

/**
 * `node --import tsx src/main.ts` on a free port, on PostgreSQL (DATABASE_URL) or a PGlite data folder
 * (SEATDESK_DATA_DIR), without the demo; resolves once /readyz answers 200.
 */
export async function spawnServer(database: { url: string } | { dataDir: string }, timeoutMs = 60_000): Promise<Spawned> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), INIT_CWD: serverDir, SEATDESK_SEARCH_INDEX: "off" };
  delete env.DATABASE_URL;
  delete env.SEATDESK_DEMO;
  delete env.SEATDESK_SCHEDULER;
  if ("url" in database) env.DATABASE_URL = database.url;
  else env.SEATDESK_DATA_DIR = database.dataDir;
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: serverDir, env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const spawned: Spawned = {
    base: `http://127.0.0.1:${port}`,
    child,
    output: () => log,
    alive,
    async stop() {
      if (!alive()) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited(child);
      clearTimeout(killer);
    },
    async kill9() {
      if (!alive()) return;
      child.kill("SIGKILL");
      await exited(child);
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`the server exited (${child.exitCode ?? child.signalCode})\n${log}`);
    if (Date.now() > deadline) {
      await spawned.kill9();
      throw new Error(`the server was not ready within ${timeoutMs / 1000} s\n${log}`);
    }
    const ready = await fetch(`${spawned.base}/readyz`).then((r) => r.ok, () => false);
    if (ready) return spawned;
    await sleep(100);
  }
}

// ---- Usage clients ----

export interface SentEvent {
  userId: string;
  credits: number;
  client: string;
  occurredAt: string;
  idempotencyKey: string;
}

export interface Attempt {
  event: SentEvent;
  status: number;
  /** The answer's text as received (for "no SQL, no host" checks). */
  text: string;
  /** performance.now() when the request was sent and when its answer (or failure) came. */
  sentAt: number;
  doneAt: number;
}

/** One usage.record over HTTP; a connection that fails (the server died) is status 0. */
export async function recordOnce(base: string, key: string, event: SentEvent, signal?: AbortSignal): Promise<Attempt> {
  const sentAt = performance.now();
  try {
    const res = await fetch(`${base}/trpc/usage.record`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify(event),
      ...(signal ? { signal } : {}),
    });
    const text = await res.text();
    return { event, status: res.status, text, sentAt, doneAt: performance.now() };
  } catch (e) {
    return { event, status: 0, text: String(e), sentAt, doneAt: performance.now() };
  }
}

/**
 * `clients` loops, each recording one event after another (1 to 9 hundredths of a credit, a key never
 * used before) until `stop()`; every attempt is kept. The event's time is fixed when the run starts.
 */
export function usageLoad(base: string, seeded: Seeded, clients = 16) {
  const run = randomUUID().slice(0, 8);
  const occurredAt = new Date().toISOString();
  const attempts: Attempt[] = [];
  let stopping = false;
  let n = 0;
  const loops = Array.from({ length: clients }, async (_, c) => {
    while (!stopping) {
      const i = n++;
      const event: SentEvent = { userId: seeded.userIds[c % seeded.userIds.length]!, credits: (1 + (i % 9)) / 100, client: `client-${c}`, occurredAt, idempotencyKey: `fault-${run}-${c}-${i}` };
      const attempt = await recordOnce(base, seeded.key, event);
      attempts.push(attempt);
      // A refused request is retried by a real client after a pause; this one moves on to its next event.
      if (attempt.status !== 200) await sleep(20);
    }
  });
  return {
    attempts,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** A 503 of a database fault: tRPC's shape with domainCode "database-unavailable", and no SQL, host, port or stack in the text. */
export function expectDatabaseUnavailable(attempt: Attempt) {
  expect(attempt.status, attempt.text).toBe(503);
  const body = JSON.parse(attempt.text) as { error?: { message?: string; data?: { domainCode?: string; httpStatus?: number } } };
  expect(body.error?.data?.domainCode, attempt.text).toBe("database-unavailable");
  expect(body.error?.data?.httpStatus).toBe(503);
  expectNothingInternal(attempt.text);
}

/** No SQL, parameters, host, port or stack trace in what a client received. */
export function expectNothingInternal(text: string) {
  expect(text).not.toMatch(/\b(select|insert|update|delete)\b.*\b(from|into|set)\b/i);
  expect(text).not.toMatch(/failed query|params: |127\.0\.0\.1|localhost|:5432|ECONN|CONNECTION_|\bat [\w.<>]+ \(|\.ts:\d+/i);
}

// ---- What was stored ----

export interface Stored {
  /** Rows per idempotency key of the tenant. */
  perKey: Map<string, number>;
  /** Sum of the events' credits and of the ledgers' counters (included + overage + unbilled), in hundredths. */
  eventsCc: number;
  countersCc: number;
}

export async function readStored(db: Database["db"], accountId: string): Promise<Stored> {
  const keys = rowsOf<{ key: string; n: string | number }>(
    await db.execute(sql`select idempotency_key as key, count(*) as n from usage_events where account_id = ${accountId}::uuid group by idempotency_key`),
  );
  const [events] = rowsOf<{ cc: string | number }>(await db.execute(sql`select coalesce(sum(credits_cc), 0) as cc from usage_events where account_id = ${accountId}::uuid`));
  const [counters] = rowsOf<{ cc: string | number }>(
    await db.execute(sql`select coalesce(sum(included_cc + overage_cc + unbilled_cc), 0) as cc from subscription_months where account_id = ${accountId}::uuid`),
  );
  return { perKey: new Map(keys.map((k) => [k.key, Number(k.n)])), eventsCc: Number(events!.cc), countersCc: Number(counters!.cc) };
}

/**
 * Sends every acknowledged event again (each must be answered as a replay: it is stored) and every
 * unacknowledged one (it is stored now, or it was after all and is replayed); returns the keys sent.
 */
export async function replayAll(base: string, key: string, attempts: Attempt[]): Promise<{ acknowledged: Set<string>; all: Set<string> }> {
  const acknowledged = new Set(attempts.filter((a) => a.status === 200).map((a) => a.event.idempotencyKey));
  const latest = new Map(attempts.map((a) => [a.event.idempotencyKey, a.event]));
  const events = [...latest.values()];
  for (let i = 0; i < events.length; i += 16) {
    const answers = await Promise.all(events.slice(i, i + 16).map((e) => recordOnce(base, key, e)));
    for (const answer of answers) {
      expect(answer.status, answer.text).toBe(200);
      const replayed = (JSON.parse(answer.text) as { result: { data: { replayed: boolean } } }).result.data.replayed;
      if (acknowledged.has(answer.event.idempotencyKey)) expect(replayed, `${answer.event.idempotencyKey} was acknowledged, so it is stored`).toBe(true);
    }
  }
  return { acknowledged, all: new Set(latest.keys()) };
}

/** Every key sent is stored exactly once, nothing else is, and the ledgers' counters equal the events. */
export function expectExactlyOnce(stored: Stored, keys: Set<string>) {
  expect(stored.perKey.size).toBe(keys.size);
  for (const key of keys) expect(stored.perKey.get(key), key).toBe(1);
  expect(stored.countersCc).toBe(stored.eventsCc);
}

export { freePort };
