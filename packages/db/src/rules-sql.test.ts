import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { allowanceOf, defaultCatalog, getTier, inForce, subscriptionStatuses, tierIds, type MonthLedger, type Subscription, type TierId } from "@seatdesk/domain";
import type { Database } from "./connect";
import { subscriptionOf } from "./mappers";
import { rowsOf } from "./rows";
import {
  allowanceTier,
  changeScheduledAt,
  endedWithin,
  inForceAt,
  pendingOrActive,
  subscriptionColumns,
  tierInForce,
  userListStatusFilter,
  userListStatuses,
  writeDownScheduledChanges,
  type UserListStatus,
} from "./rules-sql";
import { accounts, directoryUsers, profiles, subscriptionMonths, subscriptions } from "./schema/index";
import { openTestDatabase } from "./testing";

/**
 * rules-sql.ts says in SQL what the domain's inForce says. Proven here on a real database (PGlite, or
 * PostgreSQL with TEST_DATABASE_URL): random stored rows, not only the ones the rules write (any status with
 * any scheduled change, access end and activation, or no row at all), and random instants that often fall on
 * a row's own instants and on month boundaries, where `<` and `<=` differ.
 */

let database: Database;
let accountId: string;
let profileId: string;
let userIds: string[];
const users = 10;

beforeAll(async () => {
  database = await openTestDatabase();
  const db = database.db;
  const [account] = await db.insert(accounts).values({ name: "rules-sql" }).returning();
  accountId = account!.id;
  const [profile] = await db.insert(profiles).values({ accountId, region: "us-east-1", name: "Main" }).returning();
  profileId = profile!.id;
  const rows = await db
    .insert(directoryUsers)
    .values(Array.from({ length: users }, (_, i) => ({ accountId, userName: `u${i}@rules.example`, email: `u${i}@rules.example`, displayName: `U ${i}` })))
    .returning({ id: directoryUsers.id });
  userIds = rows.map((r) => r.id);
});
afterAll(() => database.close());

const boundaries = ["2025-12-01", "2026-01-01", "2026-02-01", "2026-03-01"].map((d) => Date.parse(`${d}T00:00:00Z`));
const instant = fc
  .oneof(
    fc.constantFrom(...boundaries).chain((b) => fc.constantFrom(b - 1, b, b + 1)),
    fc.integer({ min: boundaries[0]!, max: boundaries.at(-1)! }),
  )
  .map((ms) => new Date(ms));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
const stored: fc.Arbitrary<Subscription> = fc.record({
  tier: fc.constantFrom(...tierIds),
  status: fc.constantFrom(...subscriptionStatuses),
  scheduledTier: maybe(fc.constantFrom(...tierIds)),
  scheduledAt: maybe(instant),
  accessEndsAt: maybe(instant),
  activatedAt: maybe(instant),
  lastActiveAt: maybe(instant),
});

/** The Users tab's status filter, as the domain decides it: s the stored row (null: none), f = inForce(s, at). */
function domainListStatus(status: UserListStatus, s: Subscription | null, at: Date): boolean {
  const f = s ? inForce(s, at) : null;
  switch (status) {
    case "active":
    case "pending":
    case "canceled":
      return f?.status === status;
    case "ended":
      return s !== null && f === null;
    case "subscribed":
      return f !== null;
    case "unsubscribed":
      return f === null;
  }
}

const is = (fragment: ReturnType<typeof sql>) => sql`(${fragment}) is true`;

interface Evaluated extends Record<string, unknown> {
  id: string;
  has_row: boolean;
  tier_in_force: string | null;
  allowance_tier: TierId | null;
  in_force: boolean;
  in_force_aliased: boolean;
  scheduled: boolean;
  holding: boolean;
  ended_within: boolean;
  ended_within_aliased: boolean;
}

/** Every fragment at `at` (and endedWithin over [at, to)), for each user of the profile. */
async function evaluate(at: Date, to: Date): Promise<Map<string, Evaluated>> {
  const s = subscriptionColumns("s");
  const statuses = userListStatuses.map((status) => sql`${is(userListStatusFilter(status, at))} as ${sql.identifier(`status_${status}`)}`);
  const result = await database.db.execute(sql`
    select u.id, subscriptions.user_id is not null as has_row,
      ${tierInForce(at)} as tier_in_force,
      ${allowanceTier(at)} as allowance_tier,
      ${is(inForceAt(at))} as in_force,
      ${is(inForceAt(at, s))} as in_force_aliased,
      ${is(changeScheduledAt(at))} as scheduled,
      ${is(pendingOrActive())} as holding,
      ${is(endedWithin(at, to))} as ended_within,
      ${is(endedWithin(at, to, s))} as ended_within_aliased,
      ${sql.join(statuses, sql`, `)}
    from directory_users u
    left join subscriptions on subscriptions.account_id = u.account_id and subscriptions.profile_id = ${profileId}::uuid and subscriptions.user_id = u.id
    left join subscriptions s on s.account_id = subscriptions.account_id and s.profile_id = subscriptions.profile_id and s.user_id = subscriptions.user_id
    left join subscription_months on subscription_months.account_id = u.account_id and subscription_months.profile_id = ${profileId}::uuid
      and subscription_months.period = ${ledgerPeriod} and subscription_months.user_id = u.id
    where u.account_id = ${accountId}::uuid`);
  return new Map(rowsOf<Evaluated>(result).map((r) => [r.id, r]));
}

const mine = () => and(eq(subscriptions.accountId, accountId), eq(subscriptions.profileId, profileId));
/** The month whose ledgers the allowance reads (only its fee tier matters to allowanceOf). */
const ledgerPeriod = "2026-01";
const ledgerOfTier = (feeTier: TierId | null): MonthLedger => ({
  periodId: ledgerPeriod,
  feeTier,
  activeAtStart: false,
  firstActivatedAt: null,
  firstMonthProrated: false,
  includedCc: 0,
  overageCc: 0,
  unbilledCc: 0,
});

/** One case: these stored rows (and ledgers of the month) and instants; every fragment against the domain. */
async function sameAsDomain(people: [Subscription | null, TierId | null | undefined][], instants: Date[]): Promise<void> {
  const db = database.db;
  const subs = people.map(([s]) => s);
  // A ledger of the month (undefined: none) with its fee tier (null: never Active in it).
  const ledgers = new Map(people.flatMap(([, fee], i) => (fee === undefined ? [] : [[userIds[i]!, ledgerOfTier(fee)] as const])));
  await db.delete(subscriptions).where(mine());
  await db.delete(subscriptionMonths).where(and(eq(subscriptionMonths.accountId, accountId), eq(subscriptionMonths.profileId, profileId)));
  const rows = subs.flatMap((s, i) => (s ? [{ accountId, profileId, userId: userIds[i]!, ...s }] : []));
  if (rows.length > 0) await db.insert(subscriptions).values(rows);
  const months = [...ledgers].map(([userId, l]) => ({ accountId, profileId, period: ledgerPeriod, userId, feeTier: l.feeTier, activeAtStart: false }));
  if (months.length > 0) await db.insert(subscriptionMonths).values(months);
  const byUser = new Map(subs.map((s, i) => [userIds[i]!, s]));
  const nows = [...instants].sort((a, b) => a.getTime() - b.getTime());

  for (let k = 0; k < nows.length; k++) {
    const at = nows[k]!;
    const to = nows[k + 1] ?? at;
    const seen = await evaluate(at, to);
    for (const [userId, s] of byUser) {
      const row = seen.get(userId)!;
      const f = s ? inForce(s, at) : null;
      const why = JSON.stringify({ s, at, to });
      expect(row.has_row, why).toBe(s !== null);
      if (s) {
        expect(row.in_force, why).toBe(f !== null);
        expect(row.in_force_aliased, why).toBe(f !== null);
        if (f) expect(row.tier_in_force, why).toBe(f.tier);
        const endedBetween = inForce(s, at) !== null && inForce(s, to) === null;
        expect(row.ended_within, why).toBe(endedBetween);
        expect(row.ended_within_aliased, why).toBe(endedBetween);
      }
      expect(row.scheduled, why).toBe(f !== null && f.scheduledTier !== null);
      // The allowance's tier, where the domain has one: a ledger's fee tier, else the tier in force.
      const ledger = ledgers.get(userId);
      if (ledger && (ledger.feeTier || f)) {
        expect(row.allowance_tier, why).not.toBeNull();
        expect(getTier(defaultCatalog, row.allowance_tier!).allowanceCenticredits, why).toBe(allowanceOf(defaultCatalog, ledger, f?.tier ?? ledger.feeTier!));
      }
      expect(row.holding, why).toBe(f?.status === "pending" || f?.status === "active");
      for (const status of userListStatuses) expect(row[`status_${status}`], `${status} ${why}`).toBe(domainListStatus(status, s, at));
    }
  }

  // The close writes down inForce at the month's start: each row in force then becomes what inForce says
  // (the same at every later instant); an ended row is history and stays as it was.
  const at = nows[0]!;
  const scope = sql`account_id = ${accountId}::uuid and profile_id = ${profileId}::uuid`;
  await db.execute(writeDownScheduledChanges(scope, at, nows.at(-1)!));
  const after = new Map((await db.select().from(subscriptions).where(mine())).map((r) => [r.userId, subscriptionOf(r)]));
  for (const [userId, s] of byUser) {
    if (!s) continue;
    const why = JSON.stringify({ s, at });
    const written = after.get(userId)!;
    expect(written, why).toEqual(inForce(s, at) ?? s);
    for (const later of nows) expect(inForce(written, later), why).toEqual(inForce(s, later));
  }
}

describe("rules-sql: the SQL forms of inForce equal the domain", () => {
  it("for random stored rows and instants: tier in force, in force / ended, scheduled, holding, allowance tier, the Users tab's status filter, the close's transition", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(maybe(stored), fc.option(maybe(fc.constantFrom(...tierIds)), { nil: undefined })), { minLength: users, maxLength: users }),
        fc.array(instant, { minLength: 2, maxLength: 4 }),
        sameAsDomain,
      ),
      { seed: 20260108, numRuns: 200 },
    );
  }, 180_000);
});
