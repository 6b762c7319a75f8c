import { sql } from "drizzle-orm";
import type { Executor } from "./connect";
import { rowsOf } from "./rows";

/**
 * Whether a schema can be distributed by account on Citus (DESIGN.md §3), read from the catalog of the
 * migrated database rather than from the Drizzle schema files, so a hand-written migration cannot slip past.
 *
 * Citus co-locates the rows of every distributed table by their distribution column and enforces a key
 * only on one shard: a primary key or unique constraint (or unique index) must contain the distribution
 * column, and a foreign key between two distributed tables must map one's distribution column to the
 * other's. A foreign key from a distributed table to a reference table (replicated to every node) is fine;
 * one from a reference table to a distributed table is not. Every table that is not named a reference
 * table is a tenant table, distributed by `account_id` unless `distributedBy` says otherwise (the
 * `accounts` table itself is distributed by its `id`).
 */
export interface DistributionPlan {
  /** The schema to read (the product's tables live in `public`; drizzle's own bookkeeping has a schema of its own). */
  schema: string;
  /** Tables with no tenant (replicated to every node on Citus), each with the reason it has none. */
  referenceTables: Readonly<Record<string, string>>;
  /** A tenant table's distribution column when it is not `account_id`. */
  distributedBy?: Readonly<Record<string, string>>;
}

/** One reason a table cannot be distributed as planned, naming the table and the constraint or index. */
export interface DistributionViolation {
  table: string;
  /** The constraint or index at fault; null when the table as a whole is (a missing column or key). */
  constraint: string | null;
  message: string;
}

interface TableRow extends Record<string, unknown> {
  oid: number;
  name: string;
  columns: string[];
}

interface KeyRow extends Record<string, unknown> {
  table_oid: number;
  name: string;
  /** `p` primary key, `u` unique constraint, `f` foreign key, `i` a unique index that backs no constraint. */
  kind: "p" | "u" | "f" | "i";
  /** The key's columns in order; `<expression>` for an expression (an index on lower(email), say). */
  columns: string[];
  /** Foreign keys: the referenced table and its columns, position by position. */
  ref_oid: number | null;
  ref_schema: string | null;
  ref_table: string | null;
  ref_columns: string[] | null;
}

/**
 * The tables of the schema (partitioned tables included, their partitions skipped: Citus distributes a
 * partitioned table as a whole), and their keys: primary keys, unique constraints, unique indexes that no
 * constraint owns, and foreign keys (a foreign key to a partitioned table is stored once more per
 * partition, with a parent; only the parent is read).
 */
async function readCatalog(db: Executor, schema: string): Promise<{ tables: TableRow[]; keys: KeyRow[] }> {
  const tables = rowsOf<TableRow>(
    await db.execute(sql`
      select c.oid::int as oid, c.relname::text as name,
        array(select a.attname::text from pg_catalog.pg_attribute a
              where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as columns
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind in ('r', 'p') and not c.relispartition
      order by c.relname`),
  );
  const keys = rowsOf<KeyRow>(
    await db.execute(sql`
      with t as (
        select c.oid from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p') and not c.relispartition
      )
      select k.conrelid::int as table_oid, k.conname::text as name, k.contype::text as kind,
        array(select a.attname::text from unnest(k.conkey) with ordinality u(attnum, ord)
              left join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.ord) as columns,
        nullif(k.confrelid, 0)::int as ref_oid, rn.nspname::text as ref_schema, r.relname::text as ref_table,
        case when k.contype = 'f' then array(select a.attname::text from unnest(k.confkey) with ordinality u(attnum, ord)
              left join pg_catalog.pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum order by u.ord) end as ref_columns
      from pg_catalog.pg_constraint k
      left join pg_catalog.pg_class r on r.oid = k.confrelid
      left join pg_catalog.pg_namespace rn on rn.oid = r.relnamespace
      where k.conrelid in (select oid from t) and k.contype in ('p', 'u', 'f') and k.conparentid = 0
      union all
      select i.indrelid::int, x.relname::text, 'i',
        array(select coalesce(a.attname::text, '<expression>') from unnest(i.indkey::int2[]) with ordinality u(attnum, ord)
              left join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = u.attnum and u.attnum <> 0
              where u.ord <= i.indnkeyatts order by u.ord),
        null, null, null, null
      from pg_catalog.pg_index i join pg_catalog.pg_class x on x.oid = i.indexrelid
      where i.indrelid in (select oid from t) and i.indisunique
        and not exists (select 1 from pg_catalog.pg_constraint k where k.conindid = i.indexrelid and k.conrelid = i.indrelid)
      order by 1, 2`),
  );
  return { tables, keys };
}

const listed = (columns: readonly string[]) => `(${columns.join(", ")})`;

/** Every reason the schema cannot be distributed by account as planned; empty when it can. */
export async function distributionViolations(db: Executor, plan: DistributionPlan): Promise<DistributionViolation[]> {
  const { tables, keys } = await readCatalog(db, plan.schema);
  const byOid = new Map(tables.map((t) => [t.oid, t]));
  const isReference = (name: string) => Object.hasOwn(plan.referenceTables, name);
  const tenantColumn = (name: string) => plan.distributedBy?.[name] ?? "account_id";
  const violations: DistributionViolation[] = [];
  const add = (table: string, constraint: string | null, message: string) => violations.push({ table, constraint, message: `${table}: ${message}` });

  for (const name of Object.keys(plan.referenceTables)) {
    if (!tables.some((t) => t.name === name)) add(name, null, "is listed as a reference table but does not exist");
  }
  for (const table of tables) {
    const own = keys.filter((k) => k.table_oid === table.oid);
    if (isReference(table.name)) {
      // A reference table is copied to every node: it may not point at rows that live on one shard.
      for (const fk of own.filter((k) => k.kind === "f")) {
        if (fk.ref_schema === plan.schema && fk.ref_table !== null && !isReference(fk.ref_table)) {
          add(table.name, fk.name, `foreign key ${fk.name} goes from a reference table to tenant table ${fk.ref_table}`);
        }
      }
      continue;
    }
    const column = tenantColumn(table.name);
    if (!table.columns.includes(column)) add(table.name, null, `has no ${column} column`);
    if (!own.some((k) => k.kind === "p")) add(table.name, null, "has no primary key");
    for (const key of own) {
      const described =
        key.kind === "p" ? `primary key ${key.name}` : key.kind === "u" ? `unique constraint ${key.name}` : key.kind === "i" ? `unique index ${key.name}` : null;
      if (described !== null) {
        if (!key.columns.includes(column)) add(table.name, key.name, `${described} ${listed(key.columns)} does not include ${column}`);
        continue;
      }
      // A foreign key: to a reference table, anything goes; to a tenant table, the two distribution columns must be paired.
      const target = key.ref_oid === null ? undefined : byOid.get(key.ref_oid);
      if (target === undefined || isReference(target.name)) continue;
      const targetColumn = tenantColumn(target.name);
      const paired = key.columns.some((c, i) => c === column && key.ref_columns?.[i] === targetColumn);
      if (!paired) {
        add(
          table.name,
          key.name,
          `foreign key ${key.name} ${listed(key.columns)} to tenant table ${target.name} ${listed(key.ref_columns ?? [])} does not map ${column} to ${target.name}.${targetColumn}`,
        );
      }
    }
  }
  return violations;
}

/**
 * Seatdesk's plan (DESIGN.md §3): every table that holds tenant data carries account_id in its keys, so the
 * schema can be distributed by account on Citus.
 */
export const seatdeskDistribution: DistributionPlan = {
  schema: "public",
  // The catalog (tiers) and the regions are code and configuration, not tables; these are the only tables with no tenant.
  referenceTables: {
    rate_limits: "the sign-in throttle's counters, keyed by a hash of an e-mail or a client address: they are read before anyone is known to belong to an account",
    console_sign_ins:
      "routes a sign-in e-mail to its account before the account is known, and keeps e-mail unique across accounts (a unique key Citus could not enforce on a table distributed by account); written only when an admin is added or removed",
  },
  // The tenant itself: Citus distributes it by its own id, co-located with every table's account_id.
  distributedBy: { accounts: "id" },
};

/** The tables of the schema as the plan distributes them: reference tables and tenant tables, each sorted by name. */
export async function distributionOf(db: Executor, plan: DistributionPlan): Promise<{ reference: string[]; tenant: string[] }> {
  const { tables } = await readCatalog(db, plan.schema);
  const names = tables.map((t) => t.name).sort();
  return { reference: names.filter((n) => Object.hasOwn(plan.referenceTables, n)), tenant: names.filter((n) => !Object.hasOwn(plan.referenceTables, n)) };
}
