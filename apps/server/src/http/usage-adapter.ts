/**
 * The lean HTTP path of the usage procedures, the tool's hot path (issue 5). It serves the same typed
 * router — the same procedures, middleware (API-key check, error mapping), input schemas and error
 * formatter, and tRPC's wire format, so @trpc/client works unchanged — but skips what tRPC's node-http
 * adapter does per request on Node 20: turning the node request into a WHATWG Request with an
 * AbortSignal (undici), and back. bench:usage measured it: usage.check 2,369 → 3,219 per second, a
 * single usage.record 1,211 → 1,551 per second, the server thread's CPU per check 0.40 → 0.26 ms.
 *
 * Single (unbatched) calls of `usage.*` take this path (GET for queries, POST (JSON) for mutations),
 * and so do single GET queries of the console's routers (bench:console: the Users tab's p95 at 8
 * clients), after createApp's cross-site and content-type checks. Anything else (batches, console
 * mutations, wrong methods) returns false, for the regular adapter to answer exactly as before.
 * It calls tRPC's callProcedure and error shaping from `unstable-core-do-not-import`: @trpc/server is
 * pinned (11.22.1), and test/usage*.test.ts run every usage call over HTTP through this path.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { callProcedure, getErrorShape, getHTTPStatusCodeFromError, getTRPCErrorFromUnknown } from "@trpc/server/unstable-core-do-not-import";
import { appRouter } from "../routers/_app";
import { BodyError, bodyLimits, closeAfterAnswer, readBody } from "./body";
import { clientIpOf } from "./client";
import type { Context, CookieJar, Deps } from "../trpc/context";

/** The usage clients never have a console session: no cookie is read or set on this path. */
const noCookies: CookieJar = { get: () => undefined, set: () => {}, clear: () => {} };

function parseInput(text: string | null): unknown {
  if (text === null || text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new TRPCError({ code: "PARSE_ERROR", message: "Invalid JSON input", cause });
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Handles a single usage call, or a single (unbatched) GET query of any router (console reads such as
 * subscriptions.list from scripts and the typed client), or returns false for the regular tRPC adapter
 * to answer. Console queries read the session cookie through `cookiesFor`; a query sets none, but may clear the
 * read replica's write position (services/read-routing.ts).
 */
export function leanHandler(
  deps: Deps,
  trpcPrefix: string,
  createContext: (deps: Deps, cookies: CookieJar, authorization: string | undefined, clientIp?: string) => Promise<Context>,
  cookiesFor: (req: IncomingMessage, res: ServerResponse) => CookieJar,
) {
  const config = appRouter._def._config;
  // At run time the procedures are kept flat, by dotted path (as getProcedureAtPath reads them).
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
  const types = new Map(Object.entries(procedures).map(([path, p]) => [path, p._def.type] as const));
  return (req: IncomingMessage, res: ServerResponse, url: URL): boolean => {
    const path = url.pathname.slice(trpcPrefix.length);
    const type = req.method === "GET" ? "query" : req.method === "POST" ? "mutation" : null;
    if (!url.pathname.startsWith(trpcPrefix) || url.searchParams.has("batch") || !type || types.get(path) !== type) return false;
    const usage = path.startsWith("usage.");
    if (!usage && type !== "query") return false;
    if (type === "mutation" && !/^application\/json\b/i.test(req.headers["content-type"] ?? "")) return false;
    void (async () => {
      let input: unknown;
      let ctx: Awaited<ReturnType<typeof createContext>> | undefined;
      try {
        // The body is read now; it is parsed only if the procedure takes an input (as tRPC's adapter does).
        // Capped (bodyLimits.usage: a batch of 1,000 events) and strictly UTF-8; a 413 closes the connection.
        const raw = type === "query" ? url.searchParams.get("input") : await readBody(req, bodyLimits.usage);
        ctx = await createContext(deps, usage ? noCookies : cookiesFor(req, res), req.headers.authorization, clientIpOf(req, deps.trustProxy ?? false));
        const data = await callProcedure({ router: appRouter, path, getRawInput: async () => (input = parseInput(raw)), ctx, type, signal: undefined, batchIndex: 0 });
        send(res, 200, { result: { data } });
      } catch (cause) {
        if (cause instanceof BodyError && cause.status === 413) closeAfterAnswer(req, res);
        const error =
          cause instanceof BodyError ? new TRPCError({ code: cause.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", message: cause.message }) : getTRPCErrorFromUnknown(cause);
        if (error.code === "INTERNAL_SERVER_ERROR") deps.log.error("procedure failed", { path, error: String(error.cause ?? error), stack: error.cause instanceof Error ? error.cause.stack : undefined });
        send(res, getHTTPStatusCodeFromError(error), { error: getErrorShape({ config, error, type, path, input, ctx }) });
      }
    })();
    return true;
  };
}
