import type { IncomingMessage, ServerResponse } from "node:http";
import { verifyScimToken } from "../auth/scim-tokens";
import { BodyError, bodyLimits, closeAfterAnswer, readBody } from "../http/body";
import { overTls } from "../http/client";
import type { Deps } from "../trpc/context";
import { databaseUnavailableMessage, faultDetail, isDatabaseUnavailable } from "../trpc/errors";
import { ScimError, schemas, type ScimHandler, type ScimRequest, type ScimResponse } from "./common";
import { discovery } from "./discovery";
import { groupsHandler } from "./groups";
import { usersHandler } from "./users";

export const scimPrefix = "/scim/v2";
const contentType = "application/scim+json; charset=utf-8";

function send(res: ServerResponse, r: ScimResponse) {
  const headers: Record<string, string> = { "content-type": contentType };
  if (r.location) headers.location = r.location;
  if (r.body === undefined) {
    res.writeHead(r.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(r.body);
  headers["content-length"] = String(Buffer.byteLength(text));
  res.writeHead(r.status, headers);
  res.end(text);
}

/** The body as text (capped at bodyLimits.scim, strict UTF-8), or a SCIM error; a 413 closes the connection. */
async function bodyText(req: IncomingMessage, res: ServerResponse): Promise<string> {
  try {
    return await readBody(req, bodyLimits.scim);
  } catch (e) {
    if (!(e instanceof BodyError)) throw e;
    if (e.status === 413) closeAfterAnswer(req, res);
    throw new ScimError(e.status, e.message, e.status === 400 ? "invalidSyntax" : undefined);
  }
}

/** A path segment percent-decoded, or 400 when its escapes are not UTF-8 (`%E0%A4%A`, `%FF`). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ScimError(400, `The path segment "${segment.slice(0, 100)}" is not valid percent-encoded UTF-8`, "invalidSyntax");
  }
}

/**
 * The query string, decoded strictly: URLSearchParams would turn a bad escape into U+FFFD, so a filter
 * with `%FF` would search for something no one sent. A NUL in a value (text PostgreSQL cannot hold) is refused too.
 */
function strictQuery(url: URL): URLSearchParams {
  const query = new URLSearchParams();
  for (const pair of url.search.slice(1).split("&")) {
    if (pair === "") continue;
    const at = pair.indexOf("=");
    const [name, value] = (at === -1 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)]).map((part) => {
      try {
        return decodeURIComponent(part.replace(/\+/g, " "));
      } catch {
        throw new ScimError(400, `The query "${part.slice(0, 100)}" is not valid percent-encoded UTF-8`, "invalidSyntax");
      }
    }) as [string, string];
    if (value.includes("\u0000") || name.includes("\u0000")) throw new ScimError(400, `${name.replace(/\u0000/g, "")}: must not contain the NUL character`, "invalidValue");
    query.append(name, value);
  }
  return query;
}

const resources: Record<string, ScimHandler> = { users: usersHandler, groups: groupsHandler };

/**
 * `/scim/v2` for one account (issue 8): a bearer token per account opens it; every answer is
 * application/scim+json, every error the SCIM error schema; no stack trace or SQL ever leaves.
 */
export function scimHandler(deps: Deps) {
  return (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    void (async () => {
      try {
        // The body first, capped: one too large is refused (413) before anything else, and is never read whole.
        const method = (req.method ?? "GET").toUpperCase();
        const text = method === "POST" || method === "PUT" || method === "PATCH" ? await bodyText(req, res) : "";
        const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
        const now = deps.clock.now();
        const scope = bearer ? await verifyScimToken(deps.database.db, bearer, now) : null;
        if (!scope) throw new ScimError(401, "A valid SCIM bearer token is required (Authorization: Bearer scim_…)");
        const rest = url.pathname.slice(scimPrefix.length).replace(/\/+$/, "");
        const [, first = "", rawSecond = null, extra] = rest.split("/");
        const second = rawSecond === null ? null : decodeSegment(rawSecond);
        const query = strictQuery(url);
        if (extra !== undefined) throw new ScimError(404, `No such endpoint: ${url.pathname}`);
        let body: unknown;
        if (text.trim() !== "") {
          try {
            body = JSON.parse(text);
          } catch {
            throw new ScimError(400, "The body is not valid JSON", "invalidSyntax");
          }
        }
        const host = req.headers.host ?? "localhost";
        const proto = overTls(req, deps.trustProxy ?? false) ? "https" : "http";
        const request: ScimRequest = { method, id: second || null, query, body, scope, deps, now, baseUrl: `${proto}://${host}${scimPrefix}` };
        const handler = resources[first.toLowerCase()];
        if (handler) return send(res, await handler(request));
        const found = discovery(first, second, request);
        if (found) return send(res, found);
        throw new ScimError(404, `No such endpoint: ${url.pathname}`);
      } catch (e) {
        // A refusal that leaves a body unread (413, or a body on a GET): it is not wanted, the connection is closed after the answer.
        if (!req.complete) closeAfterAnswer(req, res);
        if (e instanceof ScimError) return send(res, { status: e.status, body: e.toBody() });
        // A database fault: 503, as the tRPC API answers it; the detail (host, SQLSTATE) goes to the log only.
        if (isDatabaseUnavailable(e)) {
          deps.log.error("database unavailable", { path: url.pathname, ...faultDetail(e) });
          // `code` beside the SCIM error schema's members (clients ignore what they do not know): the same machine-readable code the tRPC API gives.
          return send(res, { status: 503, body: { ...new ScimError(503, databaseUnavailableMessage).toBody(), code: "database-unavailable" } });
        }
        deps.log.error("scim request failed", { path: url.pathname, error: String(e), stack: e instanceof Error ? e.stack : undefined });
        send(res, { status: 500, body: { schemas: [schemas.error], status: "500", detail: "The server could not complete the request" } });
      }
    })();
  };
}
