import { existsSync } from "node:fs";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import { parseCookie, stringifySetCookie } from "cookie";
import { sql } from "drizzle-orm";
import sirv from "sirv";
import { sessionCookieName } from "../auth/sessions";
import { appRouter } from "../routers/_app";
import type { Context, CookieJar, Deps } from "../trpc/context";
import { scimHandler, scimPrefix } from "../scim/http";
import { clientIpOf } from "./client";
import { leanHandler } from "./usage-adapter";

export const trpcPrefix = "/trpc/";
/** tRPC batches larger than this are refused (400). */
export const maxBatchSize = 20;

const isLocalHost = (host: string | undefined) => {
  const name = (host ?? "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return name === "localhost" || name === "::1" || name.startsWith("127.");
};

function cookieJar(req: IncomingMessage, res: ServerResponse): CookieJar {
  const parsed = parseCookie(req.headers.cookie ?? "");
  const secure = !isLocalHost(req.headers.host);
  const base = { httpOnly: true, sameSite: "lax" as const, secure, path: "/" };
  return {
    get: (name) => parsed[name],
    set: (name, value, { maxAgeSeconds }) => res.appendHeader("Set-Cookie", stringifySetCookie({ name, value, ...base, maxAge: maxAgeSeconds })),
    clear: (name) => res.appendHeader("Set-Cookie", stringifySetCookie({ name, value: "", ...base, maxAge: 0 })),
  };
}

/** A state-changing request from another site's page is refused: its Origin must be this host. */
function crossSite(req: IncomingMessage): boolean {
  if (req.method === "GET" || req.method === "HEAD") return false;
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export async function createContext(deps: Deps, cookies: CookieJar, authorization: string | undefined, clientIp?: string): Promise<Context> {
  const sessionToken = cookies.get(sessionCookieName);
  // Looked up by the procedure that needs it (trpc/init.ts), so a profile page reads session and profile at once.
  const session = sessionToken ? undefined : null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  return { ...deps, sessionToken, session, cookies, bearer, clientIp };
}

/** The whole HTTP surface: /healthz, /trpc/*, and the built SPA (with index.html for client routes). */
export function createApp(deps: Deps, options: { staticDir?: string | undefined } = {}): RequestListener {
  const assets = options.staticDir && existsSync(options.staticDir) ? sirv(options.staticDir, { single: true, etag: true, gzip: true }) : null;

  const lean = leanHandler(deps, trpcPrefix, createContext, cookieJar);
  const scim = scimHandler(deps);
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/healthz") {
      deps.database.db
        .execute(sql`select 1`)
        .then(() => sendJson(res, 200, { ok: true, database: deps.database.kind }))
        .catch((e: unknown) => {
          deps.log.error("health check failed", { error: String(e) });
          sendJson(res, 503, { ok: false, database: deps.database.kind });
        });
      return;
    }
    // SCIM 2.0 for identity providers: bearer tokens, not cookies, so no cross-site rule applies.
    if (url.pathname === scimPrefix || url.pathname.startsWith(`${scimPrefix}/`)) return scim(req, res, url);
    if (url.pathname.startsWith(trpcPrefix)) {
      if (crossSite(req)) return sendJson(res, 403, { error: { message: "Cross-site request refused" } });
      // State changes come as JSON only: a form or text/plain post (which a browser sends cross-site without asking) is refused.
      if (req.method === "POST" && !/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
        return sendJson(res, 415, { error: { message: "Send JSON (content-type: application/json)" } });
      }
      // Single usage calls and single GET queries take the lean path; everything else, tRPC's adapter.
      if (lean(req, res, url)) return;
      void nodeHTTPRequestHandler({
        req,
        res,
        router: appRouter,
        path: url.pathname.slice(trpcPrefix.length),
        maxBatchSize,
        createContext: ({ req: r, res: s }) => createContext(deps, cookieJar(r, s), r.headers.authorization, clientIpOf(r, deps.trustProxy ?? false)),
        onError: ({ error, path }) => {
          if (error.code === "INTERNAL_SERVER_ERROR") deps.log.error("procedure failed", { path, error: String(error.cause ?? error), stack: error.cause instanceof Error ? error.cause.stack : undefined });
        },
      });
      return;
    }
    if (assets) return assets(req, res, () => sendJson(res, 404, { error: { message: "Not found" } }));
    sendJson(res, 404, { error: { message: "Not found" } });
  };
}
