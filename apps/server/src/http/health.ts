import type { IncomingMessage, ServerResponse } from "node:http";
import { migrationsCurrent } from "@seatdesk/db";
import type { Deps } from "../trpc/context";
import { databaseUnavailableCode, faultDetail } from "../trpc/errors";

/** The longest /readyz waits for the database before it answers 503. */
export const readinessTimeoutMs = 1_000;

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

type Readiness = { ok: true } | { ok: false; reason: "timeout" | "error" | "migrations"; error?: unknown };

/** One statement (the newest applied migration), raced against the timeout; a late answer is dropped. */
function readiness(deps: Deps): Promise<Readiness> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, reason: "timeout" }), readinessTimeoutMs);
    migrationsCurrent(deps.database.db).then(
      (current) => {
        clearTimeout(timer);
        resolve(current ? { ok: true } : { ok: false, reason: "migrations" });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ ok: false, reason: "error", error });
      },
    );
  });
}

/**
 * `/healthz`: liveness only, the process answers (never the database, so a supervisor does not restart
 * a healthy server during a database outage). `/readyz`: the database answers within 1 s and has every
 * committed migration, else 503 `{"ok":false,"code":"database-unavailable"}`, for a load balancer to
 * route around it. Returns false for any other path.
 */
export function healthHandler(deps: Deps) {
  let lastFailure = "";
  return (req: IncomingMessage, res: ServerResponse, url: URL): boolean => {
    if (url.pathname === "/healthz") {
      send(res, 200, { ok: true });
      return true;
    }
    if (url.pathname !== "/readyz") return false;
    void readiness(deps).then((r) => {
      if (r.ok) {
        lastFailure = "";
        return send(res, 200, { ok: true, database: deps.database.kind });
      }
      // A probe every few seconds during an outage: the cause is logged when it changes, not on every probe.
      const detail = r.reason === "error" ? faultDetail(r.error) : { error: r.reason === "timeout" ? `no answer within ${readinessTimeoutMs} ms` : "migrations are not current" };
      if (detail.error !== lastFailure) deps.log.error("not ready", { reason: r.reason, ...detail });
      lastFailure = String(detail.error);
      send(res, 503, { ok: false, code: r.reason === "migrations" ? "migrations-pending" : databaseUnavailableCode });
    });
    return true;
  };
}
