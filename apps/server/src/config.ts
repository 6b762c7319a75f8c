/**
 * The server's configuration: every environment variable it reads, validated once at start (issue 14
 * "Operate"; each one is in the README's table). A bad value stops the process with one line naming the
 * variable, exit code 2 (configOrExit). Nothing else in the server reads process.env.
 */
import { resolve } from "node:path";
import { z } from "zod";
import { closeEnv, databaseEnv, envField, readEnv, reportDirOf } from "@seatdesk/scheduler/config";
import { defaultHttpTimeouts, type HttpTimeouts } from "./http/server";
import { parseRegions } from "./regions";

export { ConfigError, configOrExit } from "@seatdesk/scheduler/config";

const regionsField = envField.text().transform((v, ctx): { id: string; name: string }[] | undefined => {
  const regions = parseRegions(v);
  if (!regions) return undefined;
  const bad = regions.find((r) => !/^[a-z0-9][a-z0-9-]{0,62}$/.test(r.id) || r.name === "");
  const ids = regions.map((r) => r.id);
  if (bad || new Set(ids).size !== ids.length) {
    ctx.addIssue({
      code: "custom",
      message: `expected "id=Name,id=Name" with distinct ids of lowercase letters, digits and dashes (${bad ? `not ${JSON.stringify(bad.id)}` : "an id is repeated"})`,
    });
    return z.NEVER;
  }
  return regions;
});

const serverEnv = z
  .object({
    HOST: envField.text(),
    PORT: envField.int(3000, 0, 65_535),
    DATABASE_URL: envField.postgresUrl(null),
    DATABASE_READ_URL: envField.postgresUrl(null),
    ...databaseEnv,
    SEATDESK_READ_WAIT_MS: envField.int(500, 0, 10_000),
    SEATDESK_DATA_DIR: envField.text(),
    SEATDESK_DEMO: envField.flag(),
    SEATDESK_REGIONS: regionsField,
    SEATDESK_SCHEDULER: envField.flag(),
    SEATDESK_DEMO_EXTRA_USERS: envField.int(0, 0, 1_000_000),
    SEATDESK_STATIC_DIR: envField.text(),
    SEATDESK_SEARCH_INDEX: envField.flag(),
    SEATDESK_REPORT_DIR: envField.text(),
    TRUST_PROXY: envField.flag(),
    SEATDESK_SESSION_IDLE_MINUTES: envField.int(30, 1, 7 * 24 * 60),
    SEATDESK_SESSION_ABSOLUTE_HOURS: envField.int(12, 1, 90 * 24),
    SEATDESK_HEADERS_TIMEOUT_S: envField.seconds(defaultHttpTimeouts.headersMs / 1000, 600),
    SEATDESK_REQUEST_TIMEOUT_S: envField.seconds(defaultHttpTimeouts.requestMs / 1000, 3600),
    SEATDESK_KEEP_ALIVE_TIMEOUT_S: envField.seconds(defaultHttpTimeouts.keepAliveMs / 1000, 600),
    SEATDESK_IDLE_SOCKET_TIMEOUT_S: envField.seconds(defaultHttpTimeouts.idleSocketMs / 1000, 600),
    ...closeEnv,
    /** Set by pnpm to the folder a command was typed in; relative paths are meant from there. */
    INIT_CWD: envField.text(),
  })
  .superRefine((env, ctx) => {
    if (env.DATABASE_READ_URL !== undefined && env.DATABASE_URL === undefined) {
      ctx.addIssue({ code: "custom", path: ["DATABASE_READ_URL"], message: "a read replica needs DATABASE_URL (its primary) too" });
    }
    if (env.SEATDESK_SESSION_IDLE_MINUTES > env.SEATDESK_SESSION_ABSOLUTE_HOURS * 60) {
      ctx.addIssue({ code: "custom", path: ["SEATDESK_SESSION_IDLE_MINUTES"], message: "must not be longer than SEATDESK_SESSION_ABSOLUTE_HOURS" });
    }
    // node:http refuses a headers timeout longer than the request timeout.
    if (env.SEATDESK_HEADERS_TIMEOUT_S > env.SEATDESK_REQUEST_TIMEOUT_S) {
      ctx.addIssue({ code: "custom", path: ["SEATDESK_HEADERS_TIMEOUT_S"], message: "must not be longer than SEATDESK_REQUEST_TIMEOUT_S" });
    }
  });

export interface ServerConfig {
  host: string;
  port: number;
  /** PostgreSQL; undefined means embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  /** A streaming replica of databaseUrl for the console's reads (services/read-routing.ts); undefined: all reads on the primary. */
  databaseReadUrl: string | undefined;
  /** Statements prepared on the server (DATABASE_PREPARE). */
  databasePrepare: boolean;
  /** How long a read waits for the replica to replay the session's own last write before it reads the primary instead. */
  readWaitMs: number;
  /** Absolute. */
  dataDir: string;
  /** Seeds the demo account on an empty database and runs the test clock: embedded by default, PostgreSQL with SEATDESK_DEMO=1; SEATDESK_DEMO=0 turns it off on both. */
  demo: boolean;
  demoExtraUsers: number;
  /** Undefined: the default list (regions.ts). */
  regions: { id: string; name: string }[] | undefined;
  /** Whether this server runs the month close itself (always on embedded PGlite). */
  closesMonths: boolean;
  closeEveryMs: number;
  /** Absolute; undefined means the console's build beside the server (main.ts). */
  staticDir: string | undefined;
  searchIndex: boolean;
  /** The daily activity report's folder (absolute): embedded, `reports` in dataDir by default; PostgreSQL, only when set. Undefined: off. */
  reportDir: string | undefined;
  /** Months of usage events kept besides the current one when this server closes months (older ones are archived); 0: off. */
  usageRetentionMonths: number;
  trustProxy: boolean;
  sessionPolicy: { idleMs: number; absoluteMs: number };
  http: HttpTimeouts;
  shutdownTimeoutMs: number;
}

/** Reads and checks the environment (`process.env`); throws ConfigError naming every bad variable. */
export function loadServerConfig(source: Record<string, string | undefined>, cwd: string = process.cwd()): ServerConfig {
  const env = readEnv(serverEnv, source);
  const from = env.INIT_CWD ?? cwd;
  const url = env.DATABASE_URL;
  return {
    host: env.HOST?.trim() ?? "127.0.0.1",
    port: env.PORT,
    databaseUrl: url,
    databaseReadUrl: env.DATABASE_READ_URL,
    databasePrepare: env.DATABASE_PREPARE ?? true,
    readWaitMs: env.SEATDESK_READ_WAIT_MS,
    dataDir: resolve(from, env.SEATDESK_DATA_DIR ?? ".data"),
    demo: env.SEATDESK_DEMO ?? !url,
    demoExtraUsers: env.SEATDESK_DEMO_EXTRA_USERS,
    regions: env.SEATDESK_REGIONS,
    closesMonths: !url || env.SEATDESK_SCHEDULER === true,
    closeEveryMs: env.SEATDESK_CLOSE_EVERY_S,
    staticDir: env.SEATDESK_STATIC_DIR === undefined ? undefined : resolve(from, env.SEATDESK_STATIC_DIR),
    searchIndex: env.SEATDESK_SEARCH_INDEX ?? true,
    reportDir: reportDirOf(env.SEATDESK_REPORT_DIR, from, url ? undefined : resolve(from, env.SEATDESK_DATA_DIR ?? ".data", "reports")),
    usageRetentionMonths: env.SEATDESK_USAGE_RETENTION_MONTHS,
    trustProxy: env.TRUST_PROXY ?? false,
    sessionPolicy: { idleMs: env.SEATDESK_SESSION_IDLE_MINUTES * 60_000, absoluteMs: env.SEATDESK_SESSION_ABSOLUTE_HOURS * 3_600_000 },
    http: {
      headersMs: env.SEATDESK_HEADERS_TIMEOUT_S,
      requestMs: env.SEATDESK_REQUEST_TIMEOUT_S,
      keepAliveMs: env.SEATDESK_KEEP_ALIVE_TIMEOUT_S,
      idleSocketMs: env.SEATDESK_IDLE_SOCKET_TIMEOUT_S,
    },
    shutdownTimeoutMs: env.SEATDESK_SHUTDOWN_TIMEOUT_S,
  };
}
