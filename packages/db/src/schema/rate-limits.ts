import { index, integer, pgTable, text } from "drizzle-orm/pg-core";
import { instant } from "./columns";

/**
 * Counters of the sign-in throttle (apps/server/src/auth/throttle.ts), in the shape rate-limiter-flexible's
 * RateLimiterDrizzle reads and writes: one row per key, counted and read back in one atomic upsert. Keys
 * are hashes of an e-mail or a client address, never the address itself. Rows are not tenant data: the
 * throttle runs before anyone is signed in.
 */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text().primaryKey(),
    points: integer().notNull(),
    /** When the counter (or a lock-out) ends; expired rows are swept. */
    expire: instant(),
  },
  (t) => [index("rate_limits_expire_idx").on(t.expire)],
);
