/**
 * Configuration from the environment, validated once at start (issue 14 "Operate"). The worker's
 * variables are defined here; the server's configuration (apps/server/src/config.ts) is built from the
 * same field kinds and shares the variables both processes read.
 *
 * A bad value stops the process before it connects to anything: one line on stderr naming the
 * variable and what it expects, exit code 2, no stack.
 */
import { resolve as resolvePath } from "node:path";
import { z } from "zod";

/** Every variable that failed, as `NAME: what it expects`. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
    this.name = "ConfigError";
  }
}

/** An empty variable (`PORT=`) counts as unset, as shells and compose files produce them. */
const raw = z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), z.string().optional());

/** The field kinds; each error message says what is expected (the variable's name is added by readEnv). */
export const envField = {
  /** A whole number from min to max. */
  int: (fallback: number, min: number, max: number) =>
    raw.transform((v, ctx): number => {
      if (v === undefined) return fallback;
      const n = /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return n;
    }),
  /** A duration in seconds (decimals allowed), returned in milliseconds. */
  seconds: (fallbackS: number, maxS = 86_400) =>
    raw.transform((v, ctx): number => {
      if (v === undefined) return fallbackS * 1000;
      const n = /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : Number.NaN;
      if (!(n > 0) || n > maxS) {
        ctx.addIssue({ code: "custom", message: `expected a number of seconds above 0 and at most ${maxS}, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return Math.round(n * 1000);
    }),
  /** 1/0 (true/false, yes/no, on/off); undefined when unset, so a caller can tell "unset" from "0". */
  flag: () =>
    raw.transform((v, ctx): boolean | undefined => {
      if (v === undefined) return undefined;
      const s = v.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(s)) return true;
      if (["0", "false", "no", "off"].includes(s)) return false;
      ctx.addIssue({ code: "custom", message: `expected 1 or 0, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }),
  /** A PostgreSQL URL. The value is never repeated in the message: it usually holds a password. */
  postgresUrl: (required: string | null) =>
    raw.transform((v, ctx): string | undefined => {
      if (v === undefined) {
        if (required) ctx.addIssue({ code: "custom", message: required });
        return undefined;
      }
      let ok = false;
      try {
        const u = new URL(v.trim());
        ok = (u.protocol === "postgres:" || u.protocol === "postgresql:") && u.hostname !== "";
      } catch {
        ok = false;
      }
      if (!ok) {
        ctx.addIssue({ code: "custom", message: "expected a PostgreSQL URL such as postgres://user:password@host:5432/seatdesk" });
        return z.NEVER;
      }
      return v.trim();
    }),
  /** Free text (a path, a host name); undefined when unset. */
  text: () => raw,
};

/** Parses `source` with `schema` (keys are variable names), or throws ConfigError naming each bad variable. */
export function readEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined>): z.output<S> {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "configuration"}: ${i.message}`));
}

/** Runs `load`; on a ConfigError prints one line and exits 2 (any other error is a bug and propagates). */
export function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`Configuration error: ${e.message}\n`);
    process.exit(2);
  }
}

/** Variables both the worker and a server that closes months read. */
export const closeEnv = {
  /** How often the month close runs. */
  SEATDESK_CLOSE_EVERY_S: envField.seconds(60),
  /** How long a stopping process waits for in-flight work (requests, the running close batch) before it gives up. */
  SEATDESK_SHUTDOWN_TIMEOUT_S: envField.seconds(10, 3600),
  /** Usage retention: the months of usage events kept besides the current one; older months go to the `archive` schema. 0: off. */
  SEATDESK_USAGE_RETENTION_MONTHS: envField.int(0, 0, 1200),
};

/** Variables of the connection to PostgreSQL that the worker and the server both read. */
export const databaseEnv = {
  /**
   * 0 behind a pooler that hands each transaction to any server connection (PgBouncer before 1.21 in
   * transaction mode): no statement is prepared on the server (db connect()'s `prepare`). Default 1.
   */
  DATABASE_PREPARE: envField.flag(),
};

const workerEnv = z.object({
  DATABASE_URL: envField.postgresUrl("the worker runs against PostgreSQL: set it (embedded PGlite closes months inside the server)"),
  ...databaseEnv,
  ...closeEnv,
  SEATDESK_REPORT_DIR: envField.text(),
});

/**
 * The daily activity report's folder (issue 15): unset or `off`, none is written (on PostgreSQL the folder must
 * be named: workers on several machines would each fill their own disk); a path is meant from `cwd`.
 */
export function reportDirOf(value: string | undefined, cwd: string, embeddedDefault?: string): string | undefined {
  const v = value?.trim();
  if (v === undefined || v === "") return embeddedDefault;
  if (v.toLowerCase() === "off") return undefined;
  return resolvePath(cwd, v);
}

export interface WorkerConfig {
  databaseUrl: string;
  /** Statements prepared on the server (DATABASE_PREPARE). */
  prepare: boolean;
  closeEveryMs: number;
  shutdownTimeoutMs: number;
  /** Absolute; undefined: the worker writes no report files. */
  reportDir: string | undefined;
  /** Months of usage events kept besides the current one (older ones are archived); 0: off. */
  usageRetentionMonths: number;
}

export function loadWorkerConfig(source: Record<string, string | undefined>, cwd: string = process.cwd()): WorkerConfig {
  const env = readEnv(workerEnv, source);
  return {
    databaseUrl: env.DATABASE_URL!,
    prepare: env.DATABASE_PREPARE ?? true,
    closeEveryMs: env.SEATDESK_CLOSE_EVERY_S,
    shutdownTimeoutMs: env.SEATDESK_SHUTDOWN_TIMEOUT_S,
    reportDir: reportDirOf(env.SEATDESK_REPORT_DIR, source.INIT_CWD ?? cwd),
    usageRetentionMonths: env.SEATDESK_USAGE_RETENTION_MONTHS,
  };
}
