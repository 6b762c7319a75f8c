import type { IncomingMessage, ServerResponse } from "node:http";
import { parseCookie } from "cookie";
import { activityReportColumnVersion, isDomainError, reportRange } from "@seatdesk/domain";
import { findSessionInProfile, sessionCookieName } from "../auth/sessions";
import { activityRangeInput } from "../routers/reports";
import type { Deps } from "../trpc/context";
import { describeZodError } from "../trpc/init";
import { faultDetail } from "../trpc/errors";
import { writeActivityCsv } from "./activity";

/** The console's download of the activity report (issue 15): `GET /api/reports/activity.csv?profileId=…&from=…&to=…`. */
export const activityCsvPath = "/api/reports/activity.csv";

function refuse(res: ServerResponse, status: number, message: string) {
  const text = JSON.stringify({ error: { message } });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Resolves once the socket takes more (drain), or once it is gone (close): a write never waits forever. */
function writer(res: ServerResponse): (chunk: string) => Promise<void> {
  return (chunk) => {
    if (res.destroyed) return Promise.resolve();
    if (res.write(chunk)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
    });
  };
}

/**
 * The download, streamed: the cookie session and the profile are checked as a console page's request is
 * (one round trip, trpc/init.ts's profileProcedure: another account's profile is 404, no session 401), then
 * each day's rows are read a batch at a time (a PostgreSQL cursor, PGlite keyset pages) and written to the
 * response as they come, waiting for 'drain' when the client reads slower. The file is never held in memory.
 * Any console role may download (viewers read everything the console shows).
 */
export function reportsHandler(deps: Deps) {
  return (req: IncomingMessage, res: ServerResponse, url: URL): boolean => {
    if (url.pathname !== activityCsvPath) return false;
    if (req.method !== "GET") {
      res.setHeader("allow", "GET");
      refuse(res, 405, "Use GET");
      return true;
    }
    void serve(deps, req, res, url).catch((e: unknown) => {
      deps.log.error("activity report download failed", { error: String(e), ...faultDetail(e) });
      if (!res.headersSent) refuse(res, 503, "The report could not be read; try again");
      else res.destroy();
    });
    return true;
  };
}

async function serve(deps: Deps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const parsed = activityRangeInput.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) return refuse(res, 400, describeZodError(parsed.error));
  let days: Date[];
  try {
    ({ days } = reportRange(parsed.data.from, parsed.data.to));
  } catch (e) {
    if (isDomainError(e)) return refuse(res, 400, e.message);
    throw e;
  }
  const token = parseCookie(req.headers.cookie ?? "")[sessionCookieName];
  if (!token) return refuse(res, 401, "Sign in first");
  const { session, profile } = await findSessionInProfile(deps.database.db, token, parsed.data.profileId, (deps.sessionClock ?? deps.clock).now(), deps.sessionPolicy);
  if (!session) return refuse(res, 401, "Sign in first");
  if (!profile) return refuse(res, 404, "profileId: no such profile in this account");

  const stop = new AbortController();
  res.on("close", () => stop.abort());
  res.writeHead(200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="activity-${profile.region}-${parsed.data.from}-to-${parsed.data.to}.csv"`,
    "cache-control": "no-store",
    "x-seatdesk-column-version": String(activityReportColumnVersion),
  });
  await writeActivityCsv(deps.database.db, profile, days, deps.clock.now(), writer(res), stop.signal);
  if (!res.destroyed) res.end();
}
