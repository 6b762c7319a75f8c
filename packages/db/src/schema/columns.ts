import { timestamp, uuid } from "drizzle-orm/pg-core";

/** Shared column helpers: every instant is a UTC timestamptz read as a Date. */
export const instant = (name?: string) => (name ? timestamp(name, { withTimezone: true, mode: "date" }) : timestamp({ withTimezone: true, mode: "date" }));
export const createdAt = () => instant().notNull().defaultNow();
export const accountId = () => uuid().notNull();
export const newId = () => uuid().notNull().defaultRandom();
