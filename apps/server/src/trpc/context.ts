import type { Catalog } from "@seatdesk/domain";
import type { Database } from "@seatdesk/db";
import type { ConsoleSession } from "../auth/sessions";
import type { SignInLimits } from "../auth/throttle";
import type { Clock } from "../clock";
import type { Log } from "../log";
import type { DirectorySearch } from "../services/directory-search";
import type { ReadRouting } from "../services/read-routing";

/** What the server is made of; injected, so PGlite, PostgreSQL and tests plug in the same way. */
export interface Deps {
  database: Database;
  clock: Clock;
  /**
   * The clock console sessions expire by: real time, even when `clock` is the demo's test clock (moving
   * the billing month forward must not sign anyone out). Defaults to `clock` (tests fix both).
   */
  sessionClock?: Clock;
  log: Log;
  catalog: Catalog;
  /** Regions an account may have a profile in (DESIGN.md §1). */
  regions: readonly { id: string; name: string }[];
  /** The Users tab's in-memory search index (services/directory-search.ts); without it searches run in SQL. */
  directorySearch?: DirectorySearch;
  /**
   * Behind a TLS-terminating proxy (TRUST_PROXY): X-Forwarded-Proto and X-Forwarded-For are believed
   * (Secure cookies, the client's address for throttling). Unset, they are ignored: anyone can send them.
   */
  trustProxy?: boolean;
  /** How long a console session lives: idle (since its last request) and absolute (since sign-in). Defaults in auth/sessions.ts. */
  sessionPolicy?: { idleMs: number; absoluteMs: number };
  /** Where the scheduled jobs write the daily activity report files (issue 15); unset: none are written. */
  reportDir?: string | undefined;
  /** The console's reads on a read replica (DATABASE_READ_URL); unset, every read goes to `database`. */
  reads?: ReadRouting;
  /** Sign-in throttling limits, each defaulting to auth/throttle.ts's defaultSignInLimits. */
  signInLimits?: Partial<SignInLimits>;
}

/** The cookie side of a request, so procedures never touch node:http. */
export interface CookieJar {
  get(name: string): string | undefined;
  set(name: string, value: string, options: { maxAgeSeconds: number }): void;
  clear(name: string): void;
}

export interface Context extends Deps {
  /** The session token from the cookie, when there is one. */
  sessionToken: string | undefined;
  /**
   * The signed-in admin, or null. Over HTTP it is undefined until a procedure needs it: consoleProcedure
   * looks it up, and profileProcedure looks it up together with the profile (one round trip).
   */
  session: ConsoleSession | null | undefined;
  cookies: CookieJar;
  /** The Authorization bearer token, for the usage clients' profile keys. */
  bearer: string | undefined;
  /** The client's address (http/client.ts): the socket's peer, or X-Forwarded-For's last hop with trustProxy. Unset for in-process callers. */
  clientIp?: string | undefined;
}
