import { randomUUID } from "node:crypto";
import { and, count, eq } from "drizzle-orm";
import { defaultCatalog } from "@seatdesk/domain";
import {
  accounts,
  assignments,
  auditLog,
  consoleAdmins,
  directoryGroups,
  directoryUsers,
  groupMembers,
  profiles,
  subscriptions,
  type AdminRole,
  type Database,
} from "@seatdesk/db";
import { openTestDatabase } from "@seatdesk/db/testing";
import { hashPassword } from "../src/auth/password";
import type { ConsoleSession } from "../src/auth/sessions";
import { fixedClock } from "../src/clock";
import { silentLog } from "../src/log";
import { defaultRegions } from "../src/regions";
import { appRouter } from "../src/routers/_app";
import type { CookieJar, Deps } from "../src/trpc/context";
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
  const deps: Deps = { database, clock, log: silentLog, catalog: defaultCatalog, regions: defaultRegions };
  return { database, deps, clock, close: () => database.close() };
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
  return createCaller({ ...h.deps, session, sessionToken: undefined, cookies: jar });
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
  const [profile] = await db.insert(profiles).values({ accountId, region: "us-east-1", name: "Main" }).returning();
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
