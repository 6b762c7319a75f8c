import { describe, expect, it } from "vitest";
import { ConfigError, loadWorkerConfig } from "./config";

describe("worker configuration", () => {
  it("needs DATABASE_URL and has defaults for the rest", () => {
    expect(loadWorkerConfig({ DATABASE_URL: "postgres://db:5432/seatdesk" })).toEqual({
      databaseUrl: "postgres://db:5432/seatdesk",
      prepare: true,
      closeEveryMs: 60_000,
      shutdownTimeoutMs: 10_000,
      usageRetentionMonths: 0,
    });
    expect(loadWorkerConfig({ DATABASE_URL: "postgres://db/s", SEATDESK_CLOSE_EVERY_S: "0.5", SEATDESK_SHUTDOWN_TIMEOUT_S: "30" })).toMatchObject({ closeEveryMs: 500, shutdownTimeoutMs: 30_000 });
    // Behind PgBouncer in transaction mode nothing is prepared on the server.
    expect(loadWorkerConfig({ DATABASE_URL: "postgres://pooler/s", DATABASE_PREPARE: "0" }).prepare).toBe(false);
    expect(loadWorkerConfig({ DATABASE_URL: "postgres://db/s", SEATDESK_USAGE_RETENTION_MONTHS: "12" }).usageRetentionMonths).toBe(12);
    expect(loadWorkerConfig({ DATABASE_URL: "postgres://db/s", SEATDESK_USAGE_RETENTION_MONTHS: "" }).usageRetentionMonths).toBe(0);
  });

  it.each([
    [{}, "DATABASE_URL: the worker runs against PostgreSQL: set it (embedded PGlite closes months inside the server)"],
    [{ DATABASE_URL: "./data" }, "DATABASE_URL: expected a PostgreSQL URL such as postgres://user:password@host:5432/seatdesk"],
    [{ DATABASE_URL: "postgres://db/s", DATABASE_PREPARE: "sometimes" }, 'DATABASE_PREPARE: expected 1 or 0, got "sometimes"'],
    [{ DATABASE_URL: "postgres://db/s", SEATDESK_CLOSE_EVERY_S: "0" }, 'SEATDESK_CLOSE_EVERY_S: expected a number of seconds above 0 and at most 86400, got "0"'],
    [{ DATABASE_URL: "postgres://db/s", SEATDESK_USAGE_RETENTION_MONTHS: "1201" }, 'SEATDESK_USAGE_RETENTION_MONTHS: expected a whole number from 0 to 1200, got "1201"'],
    [{ DATABASE_URL: "postgres://db/s", SEATDESK_USAGE_RETENTION_MONTHS: "6 months" }, 'SEATDESK_USAGE_RETENTION_MONTHS: expected a whole number from 0 to 1200, got "6 months"'],
  ])("refuses %j with one message naming the variable", (env, message) => {
    let thrown: unknown;
    try {
      loadWorkerConfig(env);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toBe(message);
  });
});
