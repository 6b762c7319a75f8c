import { describe, expect, it } from "vitest";
import { ConfigError, loadServerConfig } from "../src/config";

/** Issue 14 "Operate": every variable the server reads, checked once at start. */
const load = (env: Record<string, string | undefined>) => loadServerConfig(env, "/srv/seatdesk");

/** The ConfigError's problems, or fails the test when the environment was accepted. */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    load(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("the configuration was accepted");
}

describe("server configuration", () => {
  it("has a default for every variable: embedded PGlite with the demo, on 127.0.0.1:3000", () => {
    expect(load({})).toEqual({
      host: "127.0.0.1",
      port: 3000,
      databaseUrl: undefined,
      databaseReadUrl: undefined,
      databasePrepare: true,
      readWaitMs: 500,
      dataDir: "/srv/seatdesk/.data",
      demo: true,
      demoExtraUsers: 0,
      regions: undefined,
      closesMonths: true,
      closeEveryMs: 60_000,
      staticDir: undefined,
      searchIndex: true,
      reportDir: "/srv/seatdesk/.data/reports",
      usageRetentionMonths: 0,
      trustProxy: false,
      sessionPolicy: { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 },
      http: { headersMs: 10_000, requestMs: 60_000, keepAliveMs: 5_000, idleSocketMs: 10_000 },
      shutdownTimeoutMs: 10_000,
    });
  });

  it("SEATDESK_REPORT_DIR: embedded defaults to reports in the data folder; PostgreSQL is off unless set; off turns it off", () => {
    expect(load({ SEATDESK_REPORT_DIR: "out/reports" }).reportDir).toBe("/srv/seatdesk/out/reports");
    expect(load({ SEATDESK_REPORT_DIR: "off" }).reportDir).toBeUndefined();
    expect(load({ DATABASE_URL: "postgres://db.internal/seatdesk" }).reportDir).toBeUndefined();
    expect(load({ DATABASE_URL: "postgres://db.internal/seatdesk", SEATDESK_REPORT_DIR: "/var/reports" }).reportDir).toBe("/var/reports");
  });

  it("reads every variable", () => {
    const config = load({
      HOST: "0.0.0.0",
      PORT: "8080",
      DATABASE_URL: "postgres://seatdesk:secret@db.internal:5432/seatdesk",
      DATABASE_READ_URL: "postgres://seatdesk:secret@replica.internal:5432/seatdesk",
      DATABASE_PREPARE: "0",
      SEATDESK_READ_WAIT_MS: "250",
      SEATDESK_DATA_DIR: "/var/lib/seatdesk",
      SEATDESK_DEMO: "1",
      SEATDESK_REGIONS: "us-east-1=US East,eu-west-1=Europe (Ireland)",
      SEATDESK_SCHEDULER: "1",
      SEATDESK_DEMO_EXTRA_USERS: "100000",
      SEATDESK_STATIC_DIR: "web",
      SEATDESK_SEARCH_INDEX: "off",
      TRUST_PROXY: "1",
      SEATDESK_SESSION_IDLE_MINUTES: "15",
      SEATDESK_SESSION_ABSOLUTE_HOURS: "8",
      SEATDESK_HEADERS_TIMEOUT_S: "5",
      SEATDESK_REQUEST_TIMEOUT_S: "30",
      SEATDESK_KEEP_ALIVE_TIMEOUT_S: "65",
      SEATDESK_IDLE_SOCKET_TIMEOUT_S: "2.5",
      SEATDESK_CLOSE_EVERY_S: "300",
      SEATDESK_SHUTDOWN_TIMEOUT_S: "20",
      SEATDESK_USAGE_RETENTION_MONTHS: "24",
      INIT_CWD: "/home/ops",
    });
    expect(config).toEqual({
      host: "0.0.0.0",
      port: 8080,
      databaseUrl: "postgres://seatdesk:secret@db.internal:5432/seatdesk",
      databaseReadUrl: "postgres://seatdesk:secret@replica.internal:5432/seatdesk",
      databasePrepare: false,
      readWaitMs: 250,
      dataDir: "/var/lib/seatdesk",
      demo: true,
      demoExtraUsers: 100_000,
      regions: [
        { id: "us-east-1", name: "US East" },
        { id: "eu-west-1", name: "Europe (Ireland)" },
      ],
      closesMonths: true,
      closeEveryMs: 300_000,
      // Relative paths are meant from where the command was typed (pnpm's INIT_CWD).
      staticDir: "/home/ops/web",
      searchIndex: false,
      usageRetentionMonths: 24,
      trustProxy: true,
      sessionPolicy: { idleMs: 15 * 60_000, absoluteMs: 8 * 3_600_000 },
      http: { headersMs: 5_000, requestMs: 30_000, keepAliveMs: 65_000, idleSocketMs: 2_500 },
      shutdownTimeoutMs: 20_000,
    });
  });

  it("on PostgreSQL: no demo and no month close unless asked; SEATDESK_DEMO=0 turns the embedded demo off", () => {
    const pg = load({ DATABASE_URL: "postgresql://db/seatdesk" });
    expect([pg.demo, pg.closesMonths]).toEqual([false, false]);
    expect(load({ SEATDESK_DEMO: "0" }).demo).toBe(false);
    expect(load({ SEATDESK_DEMO: "true", DATABASE_URL: "postgres://db/x" }).demo).toBe(true);
  });

  it("treats an empty variable as unset", () => {
    expect(load({ PORT: "", TRUST_PROXY: " ", DATABASE_URL: "" })).toMatchObject({ port: 3000, trustProxy: false, databaseUrl: undefined });
  });

  it.each([
    [{ PORT: "abc" }, 'PORT: expected a whole number from 0 to 65535, got "abc"'],
    [{ PORT: "70000" }, 'PORT: expected a whole number from 0 to 65535, got "70000"'],
    [{ PORT: "80.5" }, 'PORT: expected a whole number from 0 to 65535, got "80.5"'],
    [{ TRUST_PROXY: "maybe" }, 'TRUST_PROXY: expected 1 or 0, got "maybe"'],
    [{ SEATDESK_DEMO: "2" }, 'SEATDESK_DEMO: expected 1 or 0, got "2"'],
    [{ SEATDESK_SEARCH_INDEX: "of" }, 'SEATDESK_SEARCH_INDEX: expected 1 or 0, got "of"'],
    [{ SEATDESK_DEMO_EXTRA_USERS: "-1" }, 'SEATDESK_DEMO_EXTRA_USERS: expected a whole number from 0 to 1000000, got "-1"'],
    [{ SEATDESK_SESSION_IDLE_MINUTES: "0" }, 'SEATDESK_SESSION_IDLE_MINUTES: expected a whole number from 1 to 10080, got "0"'],
    [{ SEATDESK_SESSION_IDLE_MINUTES: "120", SEATDESK_SESSION_ABSOLUTE_HOURS: "1" }, "SEATDESK_SESSION_IDLE_MINUTES: must not be longer than SEATDESK_SESSION_ABSOLUTE_HOURS"],
    [{ SEATDESK_HEADERS_TIMEOUT_S: "0" }, 'SEATDESK_HEADERS_TIMEOUT_S: expected a number of seconds above 0 and at most 600, got "0"'],
    [{ SEATDESK_HEADERS_TIMEOUT_S: "90" }, "SEATDESK_HEADERS_TIMEOUT_S: must not be longer than SEATDESK_REQUEST_TIMEOUT_S"],
    [{ SEATDESK_IDLE_SOCKET_TIMEOUT_S: "1e3" }, 'SEATDESK_IDLE_SOCKET_TIMEOUT_S: expected a number of seconds above 0 and at most 600, got "1e3"'],
    [{ SEATDESK_CLOSE_EVERY_S: "soon" }, 'SEATDESK_CLOSE_EVERY_S: expected a number of seconds above 0 and at most 86400, got "soon"'],
    [{ SEATDESK_SHUTDOWN_TIMEOUT_S: "-5" }, 'SEATDESK_SHUTDOWN_TIMEOUT_S: expected a number of seconds above 0 and at most 3600, got "-5"'],
    [{ SEATDESK_REGIONS: "us-east-1=US East,US West" }, 'SEATDESK_REGIONS: expected "id=Name,id=Name" with distinct ids of lowercase letters, digits and dashes (not "US West")'],
    [{ SEATDESK_REGIONS: "a=A,a=B" }, 'SEATDESK_REGIONS: expected "id=Name,id=Name" with distinct ids of lowercase letters, digits and dashes (an id is repeated)'],
  ])("refuses %j, naming the variable", (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  it("never repeats a bad DATABASE_URL (it usually holds a password)", () => {
    for (const url of ["mysql://u:hunter2@db/x", "hunter2", "postgres://:hunter2@/x"]) {
      const problems = problemsOf({ DATABASE_URL: url });
      expect(problems).toEqual(["DATABASE_URL: expected a PostgreSQL URL such as postgres://user:password@host:5432/seatdesk"]);
      expect(problems.join()).not.toContain("hunter2");
    }
  });

  it("DATABASE_READ_URL needs DATABASE_URL (the replica's primary); a bad one is never repeated", () => {
    expect(problemsOf({ DATABASE_READ_URL: "postgres://replica/seatdesk" })).toEqual(["DATABASE_READ_URL: a read replica needs DATABASE_URL (its primary) too"]);
    const problems = problemsOf({ DATABASE_URL: "postgres://db/seatdesk", DATABASE_READ_URL: "mysql://u:hunter2@replica/x" });
    expect(problems).toEqual(["DATABASE_READ_URL: expected a PostgreSQL URL such as postgres://user:password@host:5432/seatdesk"]);
    expect(problemsOf({ DATABASE_URL: "postgres://db/seatdesk", DATABASE_PREPARE: "maybe", SEATDESK_READ_WAIT_MS: "20000" })).toEqual([
      'DATABASE_PREPARE: expected 1 or 0, got "maybe"',
      'SEATDESK_READ_WAIT_MS: expected a whole number from 0 to 10000, got "20000"',
    ]);
  });

  it("names every bad variable at once", () => {
    expect(problemsOf({ PORT: "x", TRUST_PROXY: "y" })).toEqual(['PORT: expected a whole number from 0 to 65535, got "x"', 'TRUST_PROXY: expected 1 or 0, got "y"']);
  });
});
