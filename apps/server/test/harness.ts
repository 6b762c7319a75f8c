import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import { activate, defaultCatalog, ledgerFor, periodOf, type TierId, type UsageCounters } from "@seatdesk/domain";
import {
  accounts,
  assignments,
  auditLog,
  consoleAdmins,
  directoryGroups,
  directoryUsers,
  groupMembers,
  profileMonths,
  profiles,
  subscriptions,
  usageEvents,
  usageKeys,
  type AdminRole,
  type Database,
} from "@seatdesk/db";
import { applicationDatabase, openTestDatabase } from "@seatdesk/db/testing";
import { hashPassword } from "../src/auth/password";
import type { ConsoleSession } from "../src/auth/sessions";
import { fixedClock } from "../src/clock";
import { silentLog } from "../src/log";
import { defaultRegions } from "../src/regions";
import { appRouter } from "../src/routers/_app";
import type { CookieJar, Deps } from "../src/trpc/context";
import { loadLedgers, saveLedgers } from "../src/services/ledgers";
import { reconcileUsers, toDomain } from "../src/services/reconcile";
import { createCallerFactory } from "../src/trpc/init";

export const testNow = new Date(Date.UTC(2026, 0, 8, 12));
export const testPassword = "correct horse battery staple";
// Hashing is slow on purpose; every test admin shares one hash of the same password.
const passwordHash = hashPassword(testPassword);

export interface Harness {
  database: Database;
  deps: Deps;
  clock: ReturnType<typeof fixedClock>;
  close(): Promise<void>;
}

export async function openHarness(): Promise<Harness> {
  const database = await openTestDatabase();
  const clock = fixedClock(testNow);
  const deps: Deps = { database: applicationDatabase(database), clock, log: silentLog, catalog: defaultCatalog, regions: defaultRegions };
  return { database, deps, clock, close: () => database.close() };
}

/**
 * The usual set-up of a test file: one harness opened before its first test (`beforeAll`) and closed after
 * its last (`afterAll`); with `resetClock`, the clock put back to testNow before each test (`beforeEach`).
 * The object is filled in by that `beforeAll`, so use it only inside hooks and tests.
 */
export function harnessForFile(options: { resetClock?: boolean } = {}): Harness {
  const h = {} as Harness;
  beforeAll(async () => {
    Object.assign(h, await openHarness());
  });
  afterAll(() => h.close());
  if (options.resetClock) beforeEach(() => h.clock.set(testNow));
  return h;
}

/** The TRPCError a call rejected with; fails the test if it resolved or threw anything else. */
export async function rejection(p: Promise<unknown>): Promise<TRPCError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TRPCError);
  return e as TRPCError;
}

/** A cookie jar in memory, standing in for the browser. */
export function memoryJar(initial: Record<string, string> = {}): CookieJar & { values: Record<string, string> } {
  const values = { ...initial };
  return {
    values,
    get: (name) => values[name],
    set: (name, value) => void (values[name] = value),
    clear: (name) => void delete values[name],
  };
}

const createCaller = createCallerFactory(appRouter);

/** A tRPC caller signed in as the given admin (or signed out with null). */
export function callerAs(h: Harness, session: ConsoleSession | null, jar: CookieJar = memoryJar()) {
  return createCaller({ ...h.deps, session, sessionToken: undefined, cookies: jar, bearer: undefined });
}

export interface Tenant {
  accountId: string;
  profileId: string;
  userIds: string[];
  groupIds: string[];
  admins: Record<AdminRole, ConsoleSession>;
}

/** A fresh account with a profile in us-east-1, `users` directory users and `groups` groups; every test gets its own. */
export async function makeTenant(h: Harness, options: { users?: number; groups?: number; name?: string } = {}): Promise<Tenant> {
  const db = h.database.db;
  const tag = randomUUID().slice(0, 8);
  const [account] = await db.insert(accounts).values({ name: options.name ?? `Tenant ${tag}` }).returning();
  const accountId = account!.id;
  const [profile] = await db.insert(profiles).values({ accountId, region: "us-east-1", name: "Main", createdAt: h.clock.now() }).returning();
  const hash = await passwordHash;
  const admins = {} as Record<AdminRole, ConsoleSession>;
  for (const role of ["owner", "admin", "viewer"] as const) {
    const email = `${role}-${tag}@example.com`;
    const [row] = await db.insert(consoleAdmins).values({ accountId, email, name: `${role} ${tag}`, role, passwordHash: hash }).returning();
    admins[role] = { accountId, adminId: row!.id, email, name: row!.name, role };
  }
  const n = options.users ?? 10;
  const users =
    n === 0
      ? []
      : await db
          .insert(directoryUsers)
          .values(
            Array.from({ length: n }, (_, i) => {
              const name = `User ${String(i).padStart(5, "0")}`;
              const email = `user${i}-${tag}@example.com`;
              return { accountId, userName: email, email, displayName: name };
            }),
          )
          .returning({ id: directoryUsers.id });
  const g = options.groups ?? 0;
  const groups =
    g === 0
      ? []
      : await db
          .insert(directoryGroups)
          .values(Array.from({ length: g }, (_, i) => ({ accountId, displayName: `Group ${i}` })))
          .returning({ id: directoryGroups.id });
  return { accountId, profileId: profile!.id, userIds: users.map((u) => u.id), groupIds: groups.map((x) => x.id), admins };
}

export async function addMembers(h: Harness, t: Tenant, groupId: string, userIds: string[]) {
  await h.database.db.insert(groupMembers).values(userIds.map((userId) => ({ accountId: t.accountId, groupId, userId })));
}

/** Row counts of everything a console change can write, for "nothing was written" assertions. */
export async function writeCounts(h: Harness, accountId: string) {
  const db = h.database.db;
  const one = async (table: typeof subscriptions | typeof assignments | typeof auditLog) =>
    (await db.select({ n: count() }).from(table).where(and(eq(table.accountId, accountId))))[0]!.n;
  return { subscriptions: await one(subscriptions), assignments: await one(assignments), audit: await one(auditLog) };
}

// ---- Setup where the API does not exist yet (activation and usage come with the usage clients' issue). ----
// Each helper asks the domain what the change means, exactly as the product will, and writes the result.

/** The users sign in or use the tool at `when`: recordActivity, and the month's ledger notes the tier held while Active. */
export async function activateAt(h: Harness, t: Tenant, userIds: string[], when: Date) {
  await h.database.db.transaction(async (tx) => {
    const period = periodOf(when);
    const rows = await tx
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.accountId, t.accountId), eq(subscriptions.profileId, t.profileId), inArray(subscriptions.userId, userIds)));
    expect(rows).toHaveLength(userIds.length);
    const stored = await loadLedgers(tx, t.accountId, t.profileId, period, userIds);
    const [profile] = await tx.select({ firstMonth: profiles.firstMonth }).from(profiles).where(and(eq(profiles.accountId, t.accountId), eq(profiles.id, t.profileId)));
    const ledgers = [];
    for (const row of rows) {
      const before = toDomain(row);
      const { subscription: after, ledger } = activate(defaultCatalog, before, ledgerFor(period, before, stored.get(row.userId) ?? null), when, profile!.firstMonth);
      await tx
        .update(subscriptions)
        .set({ status: after.status, activatedAt: after.activatedAt, lastActiveAt: after.lastActiveAt, updatedAt: when })
        .where(and(eq(subscriptions.accountId, t.accountId), eq(subscriptions.profileId, t.profileId), eq(subscriptions.userId, row.userId)));
      ledgers.push({ userId: row.userId, ledger });
    }
    await saveLedgers(tx, t.accountId, t.profileId, ledgers, when);
  });
}

/** Usage already split by the rules (what the usage endpoint will write), after activateAt: the event, the user's ledger and the profile's month. */
export async function recordUsage(h: Harness, t: Tenant, userId: string, when: Date, split: UsageCounters, client = "ide") {
  await activateAt(h, t, [userId], when);
  const period = periodOf(when);
  await h.database.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.accountId, t.accountId), eq(subscriptions.profileId, t.profileId), eq(subscriptions.userId, userId)));
    const stored = await loadLedgers(tx, t.accountId, t.profileId, period, [userId]);
    const ledger = ledgerFor(period, toDomain(row!), stored.get(userId) ?? null);
    const next = {
      ...ledger,
      includedCc: ledger.includedCc + split.includedCc,
      overageCc: ledger.overageCc + split.overageCc,
      unbilledCc: ledger.unbilledCc + split.unbilledCc,
    };
    await saveLedgers(tx, t.accountId, t.profileId, [{ userId, ledger: next }], when);
    await tx
      .insert(profileMonths)
      .values({ accountId: t.accountId, profileId: t.profileId, period: period.id, overageCc: split.overageCc })
      .onConflictDoUpdate({
        target: [profileMonths.accountId, profileMonths.profileId, profileMonths.period],
        set: { overageCc: sql`${profileMonths.overageCc} + ${split.overageCc}` },
      });
    const key = `${userId}-${when.toISOString()}`;
    const creditsCc = split.includedCc + split.overageCc + split.unbilledCc;
    await tx.insert(usageEvents).values({
      accountId: t.accountId,
      profileId: t.profileId,
      period: period.id,
      userId,
      idempotencyKey: key,
      client,
      creditsCc,
      ...split,
      occurredAt: when,
      recordedAt: when,
    });
    await tx.insert(usageKeys).values({
      accountId: t.accountId,
      profileId: t.profileId,
      idempotencyKey: key,
      userId,
      client,
      creditsCc,
      occurredAt: when,
      // The answer the usage endpoint gave (only replayed for a repeated key; no procedure here reads it).
      result: { accepted: true, ...split },
    });
  });
}

/** An administrator removes the users' direct assignments at `when`: the subscription follows the rules (Canceled, access to the month's end). */
export async function unassignAt(h: Harness, t: Tenant, userIds: string[], when: Date) {
  await h.database.db.transaction(async (tx) => {
    await tx.delete(assignments).where(and(eq(assignments.accountId, t.accountId), eq(assignments.profileId, t.profileId), inArray(assignments.userId, userIds)));
    const [profile] = await tx.select().from(profiles).where(and(eq(profiles.accountId, t.accountId), eq(profiles.id, t.profileId)));
    await reconcileUsers(tx, defaultCatalog, profile!, userIds, when);
  });
}

/** The owner subscribes the users through the API with the clock at `when` (the clock stays there). */
export async function subscribeAt(h: Harness, t: Tenant, userIds: string[], tier: TierId, when: Date) {
  h.clock.set(when);
  await callerAs(h, t.admins.owner).subscriptions.subscribe({ profileId: t.profileId, userIds, tier });
}

/** Sets the profile's monthly budget (null: none) directly. */
export const setBudget = (h: Harness, t: Tenant, budgetCents: number | null) =>
  h.database.db.update(profiles).set({ budgetCents }).where(and(eq(profiles.accountId, t.accountId), eq(profiles.id, t.profileId)));
