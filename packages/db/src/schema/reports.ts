import { boolean, check, date, foreignKey, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { profiles } from "./accounts";
import { accountId, instant } from "./columns";

/**
 * The daily activity report files written (issue 15): one row per profile and UTC day, the source of the
 * profile's manifest.json. The primary key makes a day's file one row however many workers run; a rewrite
 * after late events (domain report/files.ts) updates the row with the new checksum.
 */
export const activityReportFiles = pgTable(
  "activity_report_files",
  {
    accountId: accountId(),
    profileId: uuid().notNull(),
    day: date({ mode: "string" }).notNull(),
    fileName: text().notNull(),
    rows: integer().notNull(),
    sha256: text().notNull(),
    columnVersion: integer().notNull(),
    writtenAt: instant().notNull(),
    /** Usage events the file counts: a final check compares it with the day's events then. */
    events: integer().notNull().default(0),
    /** Written or checked after the day's period closed: the file never changes again. */
    final: boolean().notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.profileId, t.day] }),
    foreignKey({ columns: [t.accountId, t.profileId], foreignColumns: [profiles.accountId, profiles.id] }).onDelete("cascade"),
    check("activity_report_files_counts", sql`${t.rows} >= 0 and ${t.events} >= 0`),
  ],
);
