import { Faker, en } from "@faker-js/faker";
import { and, eq, inArray, sql } from "drizzle-orm";
import { periodOf, type Catalog, type TierId } from "@seatdesk/domain";
import { accounts, assignments, consoleAdmins, directoryGroups, directoryUsers, groupMembers, profiles, subscriptions, type Db } from "@seatdesk/db";
import { hashPassword } from "../auth/password";
import { reconcileUsers } from "../services/reconcile";

export interface DemoSeed {
  accountId: string;
  profileId: string;
  adminEmail: string;
}

const groupPlan: { name: string; share: number; tier: TierId | null }[] = [
  { name: "Engineering", share: 0.45, tier: "pro" },
  { name: "Platform", share: 0.12, tier: "pro_plus" },
  { name: "Data Science", share: 0.08, tier: "power" },
  { name: "Mobile", share: 0.1, tier: null },
  { name: "Security", share: 0.06, tier: null },
  { name: "Design", share: 0.07, tier: null },
  { name: "Quality", share: 0.08, tier: null },
  { name: "Contractors", share: 0.1, tier: null },
];

/**
 * The demo account: a directory of `users` people in 8 overlapping groups, a profile in us-east-1,
 * three groups subscribed, and enough history that every status shows (Active with a last-active
 * time, Pending, Canceled). Deterministic: the same seed gives the same people.
 */
export async function seedDemo(
  db: Db,
  options: {
    catalog: Catalog;
    now: Date;
    adminEmail: string;
    adminPassword: string;
    users?: number;
    seed?: number;
    /** More people in the directory, generated in SQL ("Person 000001"…), to try the console at scale. */
    extraUsers?: number;
  },
): Promise<DemoSeed> {
  const faker = new Faker({ locale: [en] });
  faker.seed(options.seed ?? 20260108);
  const userCount = options.users ?? 240;
  const now = options.now;
  const passwordHash = await hashPassword(options.adminPassword);

  return db.transaction(async (tx) => {
    const [account] = await tx.insert(accounts).values({ name: "Northwind Labs" }).returning();
    if (!account) throw new Error("account insert returned nothing");
    const accountId = account.id;
    await tx.insert(consoleAdmins).values({ accountId, email: options.adminEmail, name: "Demo Owner", role: "owner", passwordHash });
    const [profile] = await tx.insert(profiles).values({ accountId, region: "us-east-1", name: "Northwind Labs (N. Virginia)", createdAt: options.now }).returning();
    if (!profile) throw new Error("profile insert returned nothing");

    const seen = new Set<string>();
    const people = [];
    while (people.length < userCount) {
      const first = faker.person.firstName();
      const last = faker.person.lastName();
      const base = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, "");
      let email = `${base}@northwind.example`;
      for (let n = 2; seen.has(email); n++) email = `${base}${n}@northwind.example`;
      seen.add(email);
      people.push({ accountId, userName: email, email, displayName: `${first} ${last}`, active: faker.number.int(100) > 1, createdAt: now });
    }
    const users = await tx.insert(directoryUsers).values(people).returning({ id: directoryUsers.id });
    const userIds = users.map((u) => u.id);

    const groups = await tx
      .insert(directoryGroups)
      .values(groupPlan.map((g) => ({ accountId, displayName: g.name, createdAt: now })))
      .returning({ id: directoryGroups.id, name: directoryGroups.displayName });
    const members = groups.flatMap((g, i) => {
      const share = groupPlan[i]?.share ?? 0.1;
      return faker.helpers.arrayElements(userIds, Math.round(userIds.length * share)).map((userId) => ({ accountId, groupId: g.id, userId }));
    });
    await tx.insert(groupMembers).values(members);

    const subscribedGroups = groups.filter((_, i) => groupPlan[i]?.tier);
    await tx.insert(assignments).values(
      subscribedGroups.map((g) => ({ accountId, profileId: profile.id, groupId: g.id, tier: groupPlan.find((p) => p.name === g.name)!.tier!, createdAt: now })),
    );
    const covered = new Set(members.filter((m) => subscribedGroups.some((g) => g.id === m.groupId)).map((m) => m.userId));
    const uncovered = userIds.filter((id) => !covered.has(id));
    // A few people subscribed directly, outside any group.
    const direct = faker.helpers.arrayElements(uncovered, Math.min(12, uncovered.length));
    await tx.insert(assignments).values(direct.map((userId) => ({ accountId, profileId: profile.id, userId, tier: "pro" as const, createdAt: now })));

    const ref = { accountId, id: profile.id };
    const subscribed = [...covered, ...direct];
    await reconcileUsers(tx, options.catalog, ref, subscribed, now);

    // About two thirds have signed in to the tool: Active, with a last-active time in the past week.
    const activated = faker.helpers.arrayElements(subscribed, Math.round(subscribed.length * 0.65));
    for (const userId of activated) {
      const lastActiveAt = new Date(now.getTime() - faker.number.int({ min: 5, max: 7 * 24 * 60 }) * 60_000);
      await tx
        .update(subscriptions)
        // Active since before this month: a month 2+ for every one of them, as the bill assumes for a row with no ledger yet.
        .set({ status: "active", activatedAt: new Date(periodOf(now).start.getTime() - faker.number.int({ min: 1, max: 90 }) * 86_400_000), lastActiveAt })
        .where(and(eq(subscriptions.accountId, accountId), eq(subscriptions.profileId, profile.id), eq(subscriptions.userId, userId)));
    }
    // Some direct subscribers were deactivated this month: Canceled, with access until the month ends.
    const canceled = direct.filter((id) => activated.includes(id)).slice(0, 4);
    if (canceled.length > 0) {
      await tx.delete(assignments).where(and(eq(assignments.accountId, accountId), inArray(assignments.userId, canceled)));
      await reconcileUsers(tx, options.catalog, ref, canceled, now);
    }
    const extra = Math.max(0, Math.floor(options.extraUsers ?? 0));
    if (extra > 0) {
      await tx.execute(sql`
        insert into directory_users (account_id, user_name, email, display_name, created_at)
        select ${accountId}::uuid, 'person' || g || '@northwind.example', 'person' || g || '@northwind.example', 'Person ' || lpad(g::text, 6, '0'), ${now.toISOString()}::timestamptz
        from generate_series(1, ${extra}::int) g`);
      await tx.execute(sql`analyze directory_users`);
    }
    return { accountId, profileId: profile.id, adminEmail: options.adminEmail };
  });
}
