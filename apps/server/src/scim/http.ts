import type { IncomingMessage, ServerResponse } from "node:http";
import { verifyScimToken } from "../auth/scim-tokens";
import type { Deps } from "../trpc/context";
import { ScimError, schemas, type ScimHandler, type ScimRequest, type ScimResponse } from "./common";
import { discovery } from "./discovery";
import { groupsHandler } from "./groups";
import { usersHandler } from "./users";

export const scimPrefix = "/scim/v2";
const maxBodyBytes = 4 * 1024 * 1024;
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

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) {
        reject(new ScimError(413, `The body is larger than ${maxBodyBytes / 1024 / 1024} MB`, "tooMany"));
        req.resume();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
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
        const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
        const now = deps.clock.now();
        const scope = bearer ? await verifyScimToken(deps.database.db, bearer, now) : null;
        if (!scope) throw new ScimError(401, "A valid SCIM bearer token is required (Authorization: Bearer scim_…)");
        const rest = url.pathname.slice(scimPrefix.length).replace(/\/+$/, "");
        const [, first = "", second = null, extra] = rest.split("/");
        if (extra !== undefined) throw new ScimError(404, `No such endpoint: ${url.pathname}`);
        const method = (req.method ?? "GET").toUpperCase();
        const text = method === "POST" || method === "PUT" || method === "PATCH" ? await readBody(req) : "";
        let body: unknown;
        if (text.trim() !== "") {
          try {
            body = JSON.parse(text);
          } catch {
            throw new ScimError(400, "The body is not valid JSON", "invalidSyntax");
          }
        }
        const host = req.headers.host ?? "localhost";
        const proto = (req.headers["x-forwarded-proto"] as string | undefined) ?? "http";
        const request: ScimRequest = { method, id: second ? decodeURIComponent(second) : null, query: url.searchParams, body, scope, deps, now, baseUrl: `${proto}://${host}${scimPrefix}` };
        const handler = resources[first.toLowerCase()];
        if (handler) return send(res, await handler(request));
        const found = discovery(first, second, request);
        if (found) return send(res, found);
        throw new ScimError(404, `No such endpoint: ${url.pathname}`);
      } catch (e) {
        if (e instanceof ScimError) return send(res, { status: e.status, body: e.toBody() });
        deps.log.error("scim request failed", { path: url.pathname, error: String(e), stack: e instanceof Error ? e.stack : undefined });
        send(res, { status: 500, body: { schemas: [schemas.error], status: "500", detail: "The server could not complete the request" } });
      }
    })();
  };
}
