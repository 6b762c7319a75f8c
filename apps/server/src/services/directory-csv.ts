import { CsvError, parse } from "csv-parse/sync";
import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Catalog } from "@seatdesk/domain";
import { directoryGroups, directoryUsers, foldName, foldSql, groupMembers, type Executor } from "@seatdesk/db";
import { insertMemberships, maxEmailLength, maxNameLength, rerunRulesForMemberships, type MembershipEffect } from "./directory";

/**
 * The demo's CSV import of users and group memberships (issue 4, "directory"). A file is parsed by
 * csv-parse, checked row by row, then planned against the account's directory; `validate` stops there,
 * `import` writes the plan in the caller's transaction.
 */

/** Largest file accepted, in bytes. */
export const maxCsvBytes = 5 * 1024 * 1024;
/** Most data rows in one file (the header not counted). */
export const maxCsvRows = 10_000;

export const csvColumns = ["email", "display_name", "user_name", "groups"] as const;
type CsvColumn = (typeof csvColumns)[number];
const requiredColumns: CsvColumn[] = ["email", "display_name"];

export interface CsvRowError {
  /** The line of the file the row starts on; the header is row 1. */
  row: number;
  /** The column at fault, or "csv" for the file's shape. */
  field: string;
  message: string;
}

interface CsvRow {
  row: number;
  email: string;
  displayName: string;
  userName: string;
  groups: string[];
}

export interface CheckedCsv {
  /** Data rows read (blank lines not counted). */
  rows: number;
  /** Rows without an error. */
  validRows: CsvRow[];
  errors: CsvRowError[];
  /** An error of the whole file (unreadable, header, too many rows): nothing can be imported, even skipping rows. */
  fileError: boolean;
}

const emailSchema = z.email();
const controlChars = /[\u0000-\u001f\u007f]/;

/** Header names are matched whatever their case, spacing, hyphens or underscores: "Display Name" is display_name. */
const headerKey = (name: string) => name.trim().toLowerCase().replace(/[\s_-]+/g, "");
const columnByKey = new Map<string, CsvColumn>(csvColumns.map((c) => [headerKey(c), c]));

interface RawRecord {
  fields: string[];
  /** First and last line of the record in the file (a quoted field may span lines). */
  startLine: number;
}

/** Reads the file with csv-parse. Line endings are made uniform first so line numbers match what an editor shows. */
function readRecords(csv: string): { records: RawRecord[]; error: CsvRowError | null } {
  const records: RawRecord[] = [];
  let nextLine = 1;
  try {
    parse(csv.replace(/\r\n?/g, "\n"), {
      bom: true,
      record_delimiter: "\n",
      relax_column_count: true,
      // Blank lines come through as records, so every line belongs to one and a record starts where the last ended.
      skip_empty_lines: false,
      on_record: (fields: string[], context) => {
        records.push({ fields, startLine: nextLine });
        nextLine = context.lines + 1;
        return null;
      },
    });
  } catch (e) {
    if (e instanceof CsvError) {
      const line = typeof e.lines === "number" ? e.lines : nextLine;
      return { records, error: { row: line, field: "csv", message: `the file cannot be read as CSV: ${e.message}` } };
    }
    throw e;
  }
  return { records, error: null };
}

const isBlank = (fields: string[]) => fields.every((f) => f.trim() === "");

/** A name the directory can keep: one line, at most `max` characters. */
function nameProblem(value: string, max: number): string | null {
  if (value.length > max) return `too long: at most ${max} characters, got ${value.length}`;
  if (controlChars.test(value)) return "must be one line without control characters";
  return null;
}

/**
 * Parses and checks a file without looking at the database: the header, then each row (required fields,
 * e-mail form, lengths, duplicates within the file), and the row limit.
 */
export function checkCsv(csv: string): CheckedCsv {
  const { records, error } = readRecords(csv);
  const fail = (e: CsvRowError, rows = 0): CheckedCsv => ({ rows, validRows: [], errors: [e], fileError: true });
  if (error) return fail(error);
  const content = records.filter((r) => !isBlank(r.fields));
  const header = content[0];
  if (!header) return fail({ row: 1, field: "csv", message: `the file is empty: the first row must name the columns (${csvColumns.join(", ")})` });

  const columns = new Map<CsvColumn, number>();
  const headerErrors: CsvRowError[] = [];
  header.fields.forEach((name, index) => {
    if (name.trim() === "") return;
    const column = columnByKey.get(headerKey(name));
    if (!column) {
      headerErrors.push({ row: header.startLine, field: name.trim(), message: `unknown column; the columns are ${csvColumns.join(", ")}` });
    } else if (columns.has(column)) {
      headerErrors.push({ row: header.startLine, field: column, message: "this column appears twice" });
    } else {
      columns.set(column, index);
    }
  });
  for (const column of requiredColumns) {
    if (!columns.has(column)) headerErrors.push({ row: header.startLine, field: column, message: "missing column: the header row must name it" });
  }
  const data = content.slice(1);
  if (headerErrors.length > 0) return { rows: data.length, validRows: [], errors: headerErrors, fileError: true };
  if (data.length > maxCsvRows) {
    return fail({ row: data[maxCsvRows]!.startLine, field: "csv", message: `more than ${maxCsvRows.toLocaleString("en-US")} rows: split the file` }, data.length);
  }

  const width = header.fields.length;
  const value = (r: RawRecord, column: CsvColumn) => {
    const index = columns.get(column);
    return index === undefined ? "" : (r.fields[index] ?? "").trim();
  };
  const errors: CsvRowError[] = [];
  const validRows: CsvRow[] = [];
  const emailRow = new Map<string, number>();
  const userNameRow = new Map<string, number>();
  for (const r of data) {
    const rowErrors: CsvRowError[] = [];
    const problem = (field: string, message: string) => rowErrors.push({ row: r.startLine, field, message });
    if (r.fields.slice(width).some((f) => f.trim() !== "")) problem("csv", `this row has ${r.fields.length} fields but the header names ${width}`);

    const email = value(r, "email");
    if (!email) problem("email", "required");
    else if (email.length > maxEmailLength) problem("email", `too long: at most ${maxEmailLength} characters`);
    else if (!emailSchema.safeParse(email).success) problem("email", `not a valid e-mail address: ${email}`);
    else {
      const first = emailRow.get(email.toLowerCase());
      if (first !== undefined) problem("email", `duplicate e-mail: already in row ${first}`);
      else emailRow.set(email.toLowerCase(), r.startLine);
    }

    const displayName = value(r, "display_name");
    if (!displayName) problem("display_name", "required");
    else {
      const p = nameProblem(displayName, maxNameLength);
      if (p) problem("display_name", p);
    }

    const givenUserName = value(r, "user_name");
    const userName = givenUserName || email;
    if (givenUserName) {
      const p = nameProblem(givenUserName, maxEmailLength);
      if (p) problem("user_name", p);
    }
    if (userName && !rowErrors.some((e) => e.field === "email" || e.field === "user_name")) {
      const first = userNameRow.get(foldName(userName));
      if (first !== undefined) {
        problem("user_name", `duplicate user name: already in row ${first}${givenUserName ? "" : " (the user name defaults to the e-mail)"}`);
      } else userNameRow.set(foldName(userName), r.startLine);
    }

    const groups = new Map<string, string>();
    for (const part of value(r, "groups").split(";")) {
      const name = part.trim();
      if (!name) continue;
      const p = nameProblem(name, maxNameLength);
      if (p) problem("groups", `group "${name.slice(0, 40)}": ${p}`);
      else if (!groups.has(foldName(name))) groups.set(foldName(name), name);
    }

    if (rowErrors.length > 0) errors.push(...rowErrors);
    else validRows.push({ row: r.startLine, email, displayName, userName, groups: [...groups.values()] });
  }
  return { rows: data.length, validRows, errors, fileError: false };
}

export interface ImportPlan {
  creates: CsvRow[];
  updates: { id: string; row: CsvRow }[];
  unchanged: number;
  /** New groups by lower-cased name, spelled as in their first row. */
  newGroups: Map<string, string>;
  /** Memberships to add: user by lower-cased user name, group by lower-cased name. */
  memberships: { userName: string; groupName: string }[];
  membershipsAdded: number;
  /** Rows the database refuses (a user name held by a user the identity provider deleted). */
  errors: CsvRowError[];
}

/** In chunks, so 10,000 names stay well under the bind-parameter limit. */
async function inChunks<T, R>(items: T[], size: number, run: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await run(items.slice(i, i + size))));
  return out;
}

/**
 * Matches the rows with the account's directory: an existing user (same user name, any case) is updated,
 * not duplicated; an unknown group is created; memberships are only ever added. Reads only.
 */
export async function planImport(db: Executor, accountId: string, rows: CsvRow[]): Promise<ImportPlan> {
  const existing = await inChunks(rows, 2000, (chunk) =>
    db
      .select({ id: directoryUsers.id, userName: directoryUsers.userName, displayName: directoryUsers.displayName, email: directoryUsers.email, deletedAt: directoryUsers.deletedAt })
      .from(directoryUsers)
      .where(and(eq(directoryUsers.accountId, accountId), inArray(foldSql(directoryUsers.userName), chunk.map((r) => foldName(r.userName))))),
  );
  const byUserName = new Map(existing.map((u) => [foldName(u.userName), u]));
  const groupNames = new Map<string, string>();
  for (const r of rows) for (const g of r.groups) if (!groupNames.has(foldName(g))) groupNames.set(foldName(g), g);
  const groups = await inChunks([...groupNames.keys()], 2000, (chunk) =>
    db
      .select({ id: directoryGroups.id, displayName: directoryGroups.displayName })
      .from(directoryGroups)
      .where(and(eq(directoryGroups.accountId, accountId), inArray(foldSql(directoryGroups.displayName), chunk))),
  );
  const groupByName = new Map(groups.map((g) => [foldName(g.displayName), g.id]));
  const existingUserIds = existing.filter((u) => !u.deletedAt).map((u) => u.id);
  const current = new Set(
    (
      await inChunks(existingUserIds, 2000, (chunk) =>
        db
          .select({ userId: groupMembers.userId, groupId: groupMembers.groupId })
          .from(groupMembers)
          .where(and(eq(groupMembers.accountId, accountId), inArray(groupMembers.userId, chunk))),
      )
    ).map((m) => `${m.userId}:${m.groupId}`),
  );

  const plan: ImportPlan = { creates: [], updates: [], unchanged: 0, newGroups: new Map(), memberships: [], membershipsAdded: 0, errors: [] };
  for (const r of rows) {
    const user = byUserName.get(foldName(r.userName));
    if (user?.deletedAt) {
      plan.errors.push({ row: r.row, field: "user_name", message: "a user with this user name was deleted by the identity provider and cannot be imported again" });
      continue;
    }
    if (!user) plan.creates.push(r);
    else if (user.displayName !== r.displayName || user.email !== r.email) plan.updates.push({ id: user.id, row: r });
    else plan.unchanged++;
    for (const g of r.groups) {
      const groupId = groupByName.get(foldName(g));
      if (!groupId && !plan.newGroups.has(foldName(g))) plan.newGroups.set(foldName(g), g);
      plan.memberships.push({ userName: foldName(r.userName), groupName: foldName(g) });
      if (!user || !groupId || !current.has(`${user.id}:${groupId}`)) plan.membershipsAdded++;
    }
  }
  return plan;
}

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  groupsCreated: number;
  membershipsAdded: number;
  effects: MembershipEffect[];
}

/** Writes a plan in the caller's transaction: users, groups, memberships, then the rules for the new memberships. */
export async function applyImport(tx: Executor, catalog: Catalog, accountId: string, plan: ImportPlan, now: Date): Promise<ImportResult> {
  const createdUsers = await inChunks(plan.creates, 2000, (chunk) =>
    tx
      .insert(directoryUsers)
      .values(chunk.map((r) => ({ accountId, userName: r.userName, displayName: r.displayName, email: r.email, createdAt: now })))
      .returning({ id: directoryUsers.id, userName: directoryUsers.userName }),
  );
  await inChunks(plan.updates, 1000, async (chunk) => {
    const values = sql.join(
      chunk.map((u) => sql`(${u.id}::uuid, ${u.row.displayName}, ${u.row.email})`),
      sql`, `,
    );
    await tx.execute(
      sql`update ${directoryUsers} set display_name = v.display_name, email = v.email
          from (values ${values}) as v(id, display_name, email)
          where ${directoryUsers.accountId} = ${accountId} and ${directoryUsers.id} = v.id`,
    );
    return [];
  });
  const createdGroups = await inChunks([...plan.newGroups.values()], 2000, (chunk) =>
    tx
      .insert(directoryGroups)
      .values(chunk.map((displayName) => ({ accountId, displayName, createdAt: now })))
      .returning({ id: directoryGroups.id }),
  );

  // Ids by folded name (name-fold.ts), now that every user and group of the plan exists.
  const userNames = [...new Set(plan.memberships.map((m) => m.userName))];
  const groupNames = [...new Set(plan.memberships.map((m) => m.groupName))];
  const userIds = new Map(
    (
      await inChunks(userNames, 2000, (chunk) =>
        tx
          .select({ id: directoryUsers.id, key: sql<string>`seatdesk_fold(${directoryUsers.userName})` })
          .from(directoryUsers)
          .where(and(eq(directoryUsers.accountId, accountId), inArray(foldSql(directoryUsers.userName), chunk))),
      )
    ).map((u) => [u.key, u.id]),
  );
  const groupIds = new Map(
    (
      await inChunks(groupNames, 2000, (chunk) =>
        tx
          .select({ id: directoryGroups.id, key: sql<string>`seatdesk_fold(${directoryGroups.displayName})` })
          .from(directoryGroups)
          .where(and(eq(directoryGroups.accountId, accountId), inArray(foldSql(directoryGroups.displayName), chunk))),
      )
    ).map((g) => [g.key, g.id]),
  );
  const memberships = plan.memberships.flatMap((m) => {
    const userId = userIds.get(m.userName);
    const groupId = groupIds.get(m.groupName);
    return userId && groupId ? [{ userId, groupId }] : [];
  });
  const added = await insertMemberships(tx, accountId, memberships);
  const effects = await rerunRulesForMemberships(tx, catalog, accountId, added, now);
  return {
    created: createdUsers.length,
    updated: plan.updates.length,
    unchanged: plan.unchanged,
    groupsCreated: createdGroups.length,
    membershipsAdded: added.length,
    effects,
  };
}
