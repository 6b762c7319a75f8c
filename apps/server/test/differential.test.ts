import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/clock";
import { createApp } from "../src/http/app";
import { Api } from "./differential/api";
import { runTimeline, TimelineFailure, type Env } from "./differential/run";
import { formatTimeline, timelineArbitrary, type Timeline } from "./differential/timeline";
import { openHarness, type Harness } from "./harness";

/**
 * "Every rule decided in packages/domain" kept true from the outside: random timelines (several users, two
 * groups, one or two profiles, two to four months; subscribe / change / unsubscribe of users and groups,
 * memberships and identity-provider changes, sign-ins, usage with idempotency keys and retries, settings,
 * caps and switches, checks) driven through the HTTP API on the test clock and compared after every step
 * with the domain's profile model (the step's answer, the Users tab and its filters, the dashboard, the
 * running estimate), and at the end, invoice line by invoice line.
 *
 * 300 timelines from a fixed seed by default; DIFFERENTIAL_RUNS raises the count, DIFFERENTIAL_SEED changes
 * the seed, and DIFFERENTIAL_PATH (with the seed fast-check printed) replays one failing case. A failing case
 * is shrunk and printed as the list of its steps.
 */

const runs = Number(process.env.DIFFERENTIAL_RUNS ?? 300);
const seed = Number(process.env.DIFFERENTIAL_SEED ?? 20_260_108);
const path = process.env.DIFFERENTIAL_PATH;

let h: Harness;
let server: Server;
let env: Env;

beforeAll(async () => {
  h = await openHarness();
  // Sessions expire by their own clock, which stands still: moving the billing clock months ahead signs no one out.
  const sessionNow = new Date(Date.UTC(2026, 0, 1));
  server = createServer(createApp({ ...h.deps, sessionClock: fixedClock(sessionNow) }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  env = { h, api: new Api(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), sessionNow };
});
afterAll(async () => {
  env?.api.close();
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
});

describe("differential: the HTTP API against the domain's profile model", () => {
  it(
    `agrees on ${runs} random timelines (seed ${seed})`,
    async () => {
      const property = fc.asyncProperty(timelineArbitrary, (tl: Timeline) => runTimeline(env, tl));
      const details = await fc.check(property, { seed, numRuns: runs, ...(path ? { path, endOnFailure: true } : {}) });
      if (details.failed) {
        const tl = details.counterexample?.[0];
        const failure = details.errorInstance instanceof TimelineFailure ? details.errorInstance : null;
        const disagreement = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
        const reproduction = tl ? formatTimeline(tl, failure?.step) : "(no counterexample)";
        expect.fail(
          `${fc.defaultReportMessage(details)}\n\nThe disagreement (shrunk case):\n${disagreement}\n\n` +
            `Reproduction, replay with DIFFERENTIAL_SEED=${details.seed} DIFFERENTIAL_PATH=${details.counterexamplePath}:\n${reproduction}\n`,
        );
      }
      expect(details.numRuns).toBe(path ? details.numRuns : runs);
    },
    Math.max(600_000, runs * 4_000),
  );
});
