import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import type { Database } from "./connect";
import { rowsOf } from "./rows";
import { distributionOf, distributionViolations, seatdeskDistribution, type DistributionPlan } from "./distribution";
import { accounts, consoleAdmins } from "./schema/index";
import { openTestDatabase } from "./testing";

/*
 * DESIGN.md §3, read from the migrated database's catalog (PGlite, or PostgreSQL with TEST_DATABASE_URL), so
 * every migration, hand-written ones included, is held to it; and the check itself, on throwaway tables.
 */

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase({ max: 1 });
});
afterAll(() => database.close());

describe("the migrated schema", () => {
  it("can be distributed by account: every tenant table keys, and refers to other tenant tables, by account_id", async () => {
    expect(await distributionViolations(database.db, seatdeskDistribution)).toEqual([]);
  });

  it("distributes every table but the listed reference tables", async () => {
    const { reference, tenant } = await distributionOf(database.db, seatdeskDistribution);
    expect(reference).toEqual(["console_sign_ins", "rate_limits"]);
    // The tables that hold an account's data, all of them; a new table is added here knowingly.
    expect(tenant).toEqual([
      "accounts",
      "activity_report_files",
      "api_keys",
      "assignments",
      "audit_log",
      "cap_overrides",
      "console_admins",
      "console_sessions",
      "directory_groups",
      "directory_users",
      "directory_versions",
      "group_members",
      "invoice_lines",
      "invoices",
      "notices",
      "overage_switches",
      "profile_forecasts",
      "profile_months",
      "profiles",
      "scim_tokens",
      "seat_forecasts",
      "seat_right_sizing",
      "subscription_months",
      "subscriptions",
      "usage_events",
      "usage_keys",
      "webhook_deliveries",
      "webhook_endpoints",
      "webhook_events",
    ]);
  });
});

describe("sign-in e-mails, unique across accounts through the console_sign_ins reference table", () => {
  it("skips an admin whose e-mail another account holds in any case, and frees the e-mail when that admin goes", async () => {
    const db = database.db;
    const email = `owner-${randomBytes(4).toString("hex")}@sign-in.example`;
    const [a, b] = await db.insert(accounts).values([{ name: "sign-in a" }, { name: "sign-in b" }]).returning();
    const admin = (accountId: string, address: string) =>
      db.insert(consoleAdmins).values({ accountId, email: address, name: "Owner", role: "owner", passwordHash: "x" }).onConflictDoNothing().returning({ id: consoleAdmins.id });
    const [first] = await admin(a!.id, email);
    expect(first).toBeDefined();
    expect(await admin(b!.id, email.toUpperCase())).toEqual([]);
    expect(await admin(a!.id, email)).toEqual([]);
    await db.delete(consoleAdmins).where(sql`${consoleAdmins.accountId} = ${a!.id} and ${consoleAdmins.id} = ${first!.id}`);
    const [second] = await admin(b!.id, email.toUpperCase());
    expect(second).toBeDefined();
    const claims = await db.execute(sql`select account_id, admin_id from console_sign_ins where email_fold = ${email}`);
    expect(rowsOf(claims)).toEqual([{ account_id: b!.id, admin_id: second!.id }]);
  });
});

describe("the distribution check", () => {
  // A schema of its own per run: on PostgreSQL other test files share the database.
  const scratch = `distribution_check_${randomBytes(4).toString("hex")}`;
  const plan: DistributionPlan = { schema: scratch, referenceTables: { tiers: "the catalog", gone: "listed, never created" }, distributedBy: { tenants: "id" } };

  beforeAll(async () => {
    const statements = [
      `create schema ${scratch}`,
      `set local search_path to ${scratch}`,
      `create table tiers (id text primary key, owner_account uuid)`,
      `create table tenants (id uuid primary key, name text not null)`,
      // Sound: keyed by account, refers to the tenant and to another tenant table by account, and to a reference table.
      `create table good (account_id uuid not null references tenants(id), id uuid not null, tier text references tiers(id),
         primary key (account_id, id), unique (account_id, tier))`,
      `create unique index good_tier_uq on good (account_id, lower(tier))`,
      `create table good_child (account_id uuid not null, good_id uuid not null, primary key (account_id, good_id),
         foreign key (account_id, good_id) references good(account_id, id))`,
      // A partitioned tenant table: checked once, as a whole; its partition is not a table of its own here.
      `create table good_parted (account_id uuid not null, at date not null, primary key (account_id, at)) partition by range (at)`,
      `create table good_parted_2026 partition of good_parted for values from ('2026-01-01') to ('2027-01-01')`,
      `create table refers_to_parted (account_id uuid not null, at date not null, primary key (account_id, at),
         foreign key (account_id, at) references good_parted(account_id, at))`,
      // One violation each.
      `create table no_account (id uuid primary key)`,
      `create table no_key (account_id uuid not null, note text)`,
      `create table bad_pk (account_id uuid not null, id uuid primary key)`,
      `create table bad_unique (account_id uuid not null, id uuid not null, lookup text, primary key (account_id, id),
         constraint bad_unique_lookup_uq unique (lookup))`,
      `create table bad_index (account_id uuid not null, id uuid not null, email text, primary key (account_id, id))`,
      `create unique index bad_index_email_uq on bad_index (lower(email))`,
      `create table bad_fk (account_id uuid not null, id uuid not null, good_id uuid, primary key (account_id, id),
         constraint bad_fk_good_fk foreign key (id, good_id) references good(account_id, id))`,
      `create table bad_fk_crossed (account_id uuid not null, other_account uuid not null, good_id uuid, primary key (account_id, good_id),
         constraint bad_fk_crossed_fk foreign key (other_account, good_id) references good(account_id, id))`,
      `create table bad_parted (account_id uuid not null, id uuid not null, at date not null, primary key (account_id, id, at),
         constraint bad_parted_id_uq unique (id, at)) partition by range (at)`,
      `create table bad_parted_2026 partition of bad_parted for values from ('2026-01-01') to ('2027-01-01')`,
      `alter table tiers add constraint tiers_owner_fk foreign key (owner_account) references tenants(id)`,
    ];
    await database.db.transaction(async (tx) => {
      for (const statement of statements) await tx.execute(sql.raw(statement));
    });
  });
  afterAll(async () => {
    await database.db.execute(sql.raw(`drop schema ${scratch} cascade`));
  });

  it("names the table and the constraint of each kind of violation, and nothing else", async () => {
    const found = await distributionViolations(database.db, plan);
    expect(found.map((v) => [v.table, v.constraint, v.message])).toEqual([
      ["gone", null, "gone: is listed as a reference table but does not exist"],
      ["bad_fk", "bad_fk_good_fk", "bad_fk: foreign key bad_fk_good_fk (id, good_id) to tenant table good (account_id, id) does not map account_id to good.account_id"],
      [
        "bad_fk_crossed",
        "bad_fk_crossed_fk",
        "bad_fk_crossed: foreign key bad_fk_crossed_fk (other_account, good_id) to tenant table good (account_id, id) does not map account_id to good.account_id",
      ],
      ["bad_index", "bad_index_email_uq", "bad_index: unique index bad_index_email_uq (<expression>) does not include account_id"],
      ["bad_parted", "bad_parted_id_uq", "bad_parted: unique constraint bad_parted_id_uq (id, at) does not include account_id"],
      ["bad_pk", "bad_pk_pkey", "bad_pk: primary key bad_pk_pkey (id) does not include account_id"],
      ["bad_unique", "bad_unique_lookup_uq", "bad_unique: unique constraint bad_unique_lookup_uq (lookup) does not include account_id"],
      ["no_account", null, "no_account: has no account_id column"],
      ["no_account", "no_account_pkey", "no_account: primary key no_account_pkey (id) does not include account_id"],
      ["no_key", null, "no_key: has no primary key"],
      ["tiers", "tiers_owner_fk", "tiers: foreign key tiers_owner_fk goes from a reference table to tenant table tenants"],
    ]);
  });

  it("sorts the tables into reference and tenant tables, partitions left out", async () => {
    expect(await distributionOf(database.db, plan)).toEqual({
      reference: ["tiers"],
      tenant: [
        "bad_fk",
        "bad_fk_crossed",
        "bad_index",
        "bad_parted",
        "bad_pk",
        "bad_unique",
        "good",
        "good_child",
        "good_parted",
        "no_account",
        "no_key",
        "refers_to_parted",
        "tenants",
      ],
    });
  });
});
