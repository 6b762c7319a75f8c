import { existsSync } from "node:fs";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import { getErrorShape, getHTTPStatusCodeFromError } from "@trpc/server/unstable-core-do-not-import";
import { parseCookie, stringifySetCookie } from "cookie";
import sirv from "sirv";
import { sessionCookieName } from "../auth/sessions";
import { retryAfterMeta } from "../auth/throttle";
import { appRouter } from "../routers/_app";
import type { Context, CookieJar, Deps } from "../trpc/context";
import { scimHandler, scimPrefix } from "../scim/http";
import { BodyError, bodyLimits, closeAfterAnswer, readBody } from "./body";
import { clientIpOf, overTls } from "./client";
import { healthHandler } from "./health";
import { setSecurityHeaders } from "./headers";
import { leanHandler } from "./usage-adapter";
import { reportsHandler } from "../reports/http";

export const trpcPrefix = "/trpc/";
/** tRPC batches larger than this are refused (400). */
export const maxBatchSize = 20;
/**
 * Procedures that answer only alone: a batch holding one beside other calls is refused (400), so one request
 * cannot carry several password guesses. A batch of that one call is the same as a single call (the console's
 * and @seatdesk/client's batching links send a lone call so).
 */
export const unbatchable = new Set(["session.signIn"]);
/** Procedures whose body may be larger than bodyLimits.default (with a session cookie only). */
const largeBodies = new Map<string, number>([["directory.importCsv", bodyLimits.csvImport]]);

const isLocalHost = (host: string | undefined) => {
  const name = (host ?? "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return name === "localhost" || name === "::1" || name.startsWith("127.");
};

/** The session cookie is Secure over TLS (directly, or behind a trusted proxy), and always off this machine. */
const cookieJarFor = (trustProxy: boolean) => (req: IncomingMessage, res: ServerResponse): CookieJar => cookieJar(req, res, overTls(req, trustProxy));

function cookieJar(req: IncomingMessage, res: ServerResponse, tls: boolean): CookieJar {
  const parsed = parseCookie(req.headers.cookie ?? "");
  const secure = tls || !isLocalHost(req.headers.host);
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

/** A refusal before tRPC runs, in tRPC's error shape (what @trpc/client reads). */
function sendTrpcError(res: ServerResponse, error: TRPCError, path: string) {
  const shape = getErrorShape({ config: appRouter._def._config, error, type: "unknown", path, input: undefined, ctx: undefined });
  sendJson(res, getHTTPStatusCodeFromError(error), { error: shape });
}

/** A body refusal as a tRPC error; after a 413 the connection is closed rather than the rest read. */
export function trpcBodyError(req: IncomingMessage, res: ServerResponse, e: BodyError, path: string) {
  if (e.status === 413) closeAfterAnswer(req, res);
  sendTrpcError(res, new TRPCError({ code: e.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", message: e.message }), path);
}

/** The cap of a tRPC request's body: the default, or a larger one a listed procedure needs when a session cookie comes with it. */
function trpcBodyLimit(req: IncomingMessage, paths: string[]): number {
  const hasCookie = (req.headers.cookie ?? "").includes(`${sessionCookieName}=`);
  return Math.max(bodyLimits.default, ...paths.map((p) => (hasCookie ? (largeBodies.get(p) ?? 0) : 0)));
}

export async function createContext(deps: Deps, cookies: CookieJar, authorization: string | undefined, clientIp?: string): Promise<Context> {
  const sessionToken = cookies.get(sessionCookieName);
  // Looked up by the procedure that needs it (trpc/init.ts), so a profile page reads session and profile at once.
  const session = sessionToken ? undefined : null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  // The request's own fields first, then the deps (no name in common): V8 builds `{ ...deps, more }` key by key
  // in its runtime, 25 times slower (8-10 µs against 0.3-0.4 per context on this machine, a node micro-benchmark).
  return { sessionToken, session, cookies, bearer, clientIp, ...deps };
}

/** The whole HTTP surface: /healthz, /trpc/*, and the built SPA (with index.html for client routes). */
export function createApp(deps: Deps, options: { staticDir?: string | undefined } = {}): RequestListener {
  const assets = options.staticDir && existsSync(options.staticDir) ? sirv(options.staticDir, { single: true, etag: true, gzip: true }) : null;
  const trustProxy = deps.trustProxy ?? false;
  const cookiesFor = cookieJarFor(trustProxy);

  const lean = leanHandler(deps, trpcPrefix, createContext, cookiesFor);
  const scim = scimHandler(deps);
  const health = healthHandler(deps);
  const reports = reportsHandler(deps);
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const api = url.pathname.startsWith(trpcPrefix) || url.pathname === scimPrefix || url.pathname.startsWith(`${scimPrefix}/`) || url.pathname === "/healthz" || url.pathname === "/readyz" || url.pathname.startsWith("/api/");
    setSecurityHeaders(req, res, { api, trustProxy });
    if (health(req, res, url)) return;
    // Downloads for the console (issue 15: the activity report's CSV), with the cookie session.
    if (reports(req, res, url)) return;
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
      const path = url.pathname.slice(trpcPrefix.length);
      const batch = url.searchParams.get("batch") === "1";
      const paths = batch ? path.split(",") : [path];
      const alone = paths.find((p) => unbatchable.has(p));
      if (batch && alone && paths.length > 1) return sendTrpcError(res, new TRPCError({ code: "BAD_REQUEST", message: `${alone} cannot be sent in a batch; call it on its own` }), path);
      void (async () => {
        // The body is read here, capped and strictly decoded, and handed to tRPC as text (its adapter then reads no stream).
        if (req.method !== "GET" && req.method !== "HEAD") {
          try {
            (req as IncomingMessage & { body?: string }).body = await readBody(req, trpcBodyLimit(req, paths));
          } catch (e) {
            if (e instanceof BodyError) return trpcBodyError(req, res, e, path);
            deps.log.info("request body not read", { path, error: String(e) });
            return req.socket.destroy();
          }
        }
        await nodeHTTPRequestHandler({
          req,
          res,
          router: appRouter,
          path,
          maxBatchSize,
          responseMeta: retryAfterMeta,
          createContext: ({ req: r, res: s }) => createContext(deps, cookiesFor(r, s), r.headers.authorization, clientIpOf(r, trustProxy)),
          onError: ({ error, path }) => {
            if (error.code === "INTERNAL_SERVER_ERROR") deps.log.error("procedure failed", { path, error: String(error.cause ?? error), stack: error.cause instanceof Error ? error.cause.stack : undefined });
          },
        });
      })();
      return;
    }
    if (assets) return assets(req, res, () => sendJson(res, 404, { error: { message: "Not found" } }));
    sendJson(res, 404, { error: { message: "Not found" } });
  };
}
