import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../src/http/app";
import { callerAs, type Harness, type Tenant } from "./harness";

/** The real HTTP surface on a free port, for SCIM calls as an identity provider makes them. */
export async function listen(h: Harness): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(createApp(h.deps));
  // A bulk request can hold the event loop for seconds; a keep-alive that outlasts it keeps the client from
  // reusing a socket the server closed meanwhile (ECONNRESET under load).
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A SCIM token made by the tenant's owner through the console API (shown once). */
export async function makeScimToken(h: Harness, t: Tenant, name = "identity provider"): Promise<{ id: string; token: string }> {
  const made = await callerAs(h, t.admins.owner).scimTokens.create({ name });
  return { id: made.id, token: made.token };
}

export interface ScimAnswer {
  status: number;
  contentType: string | null;
  location: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- SCIM bodies are read field by field in the tests
  body: any;
}

/** One SCIM request: `application/scim+json` in and out, the token as a bearer. */
export async function scim(base: string, token: string | null, method: string, path: string, body?: unknown): Promise<ScimAnswer> {
  const res = await fetch(`${base}/scim/v2${path}`, {
    method,
    headers: { accept: "application/scim+json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/scim+json" }) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get("content-type"), location: res.headers.get("location"), body: text ? JSON.parse(text) : null };
}
