import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/http/app";
import { apiContentSecurityPolicy, hstsValue, spaContentSecurityPolicy } from "../src/http/headers";
import { harnessForFile, makeTenant, testPassword, type Tenant } from "./harness";

/**
 * Security headers (issue 14, ASVS V14.4) on every kind of response: the SPA's index.html, its assets and
 * client routes, API answers and errors, 404s. HSTS and Secure cookies only over TLS (behind a trusted proxy here).
 */

const h = harnessForFile();
let t: Tenant;
let staticDir: string;
const servers: Server[] = [];
let plain: string;
let proxied: string;

async function serve(trustProxy: boolean): Promise<string> {
  const server = createServer(createApp({ ...h.deps, trustProxy }, { staticDir }));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  t = await makeTenant(h, { users: 1 });
  staticDir = mkdtempSync(join(tmpdir(), "seatdesk-edge-"));
  mkdirSync(join(staticDir, "assets"));
  writeFileSync(join(staticDir, "index.html"), '<!doctype html><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(staticDir, "assets", "app.js"), "console.log(1)");
  plain = await serve(false);
  proxied = await serve(true);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(staticDir, { recursive: true, force: true });
});

const spa = ["/", "/assets/app.js", "/users/some-client-route"];
const api: [string, RequestInit, number][] = [
  ["/trpc/session.me", {}, 401],
  ["/trpc/no.such", {}, 404],
  ["/trpc/session.signIn", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }, 415],
  ["/trpc/session.signIn", { method: "POST", headers: { "content-type": "application/json" }, body: "{".repeat(2 * 1024 * 1024) }, 413],
  ["/scim/v2/Users", {}, 401],
  ["/healthz", {}, 200],
];

function expectCommon(res: Response, label: string) {
  expect(res.headers.get("x-content-type-options"), label).toBe("nosniff");
  expect(res.headers.get("referrer-policy"), label).toBe("no-referrer");
  expect(res.headers.get("x-frame-options"), label).toBe("DENY");
  expect(res.headers.get("strict-transport-security"), `${label}: no HSTS over plain HTTP`).toBeNull();
}

describe("security headers", () => {
  it("the SPA (index.html, assets, client routes) carries the strict CSP", async () => {
    for (const path of spa) {
      const res = await fetch(`${plain}${path}`);
      expect(res.status, path).toBe(200);
      expectCommon(res, path);
      expect(res.headers.get("content-security-policy"), path).toBe(spaContentSecurityPolicy);
      await res.arrayBuffer();
    }
    for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"]) {
      expect(spaContentSecurityPolicy.split("; ")).toContain(directive);
    }
    expect(spaContentSecurityPolicy).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it("every API answer and error is no-store, with the API's deny-all CSP", async () => {
    for (const [path, init, status] of api) {
      const res = await fetch(`${plain}${path}`, init);
      expect(res.status, path).toBe(status);
      expectCommon(res, `${path} ${status}`);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
      expect(res.headers.get("content-security-policy"), path).toBe(apiContentSecurityPolicy);
      await res.arrayBuffer();
    }
    const signIn = await fetch(`${plain}/trpc/session.signIn`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: t.admins.admin.email, password: testPassword }) });
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get("cache-control")).toBe("no-store");
  });

  it("a 404 with no SPA built carries them too", async () => {
    const server = createServer(createApp(h.deps));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/nothing-here`);
    expect(res.status).toBe(404);
    expectCommon(res, "404");
    expect(res.headers.get("content-security-policy")).toBe(spaContentSecurityPolicy);
  });

  it("HSTS only when the request came over TLS, and X-Forwarded-Proto counts only behind a trusted proxy", async () => {
    const https = { "x-forwarded-proto": "https" };
    const behindProxy = await fetch(`${proxied}/`, { headers: https });
    expect(behindProxy.headers.get("strict-transport-security")).toBe(hstsValue);
    const apiBehindProxy = await fetch(`${proxied}/trpc/session.me`, { headers: https });
    expect(apiBehindProxy.headers.get("strict-transport-security")).toBe(hstsValue);
    expect((await fetch(`${proxied}/`, { headers: { "x-forwarded-proto": "http" } })).headers.get("strict-transport-security")).toBeNull();
    // Not trusted: anyone can send the header.
    expect((await fetch(`${plain}/`, { headers: https })).headers.get("strict-transport-security")).toBeNull();
  });

  it("the session cookie is Secure over TLS, even to a local host name", async () => {
    const signIn = (base: string, headers: Record<string, string>) =>
      fetch(`${base}/trpc/session.signIn`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ email: t.admins.admin.email, password: testPassword }) });
    const tls = await signIn(proxied, { "x-forwarded-proto": "https" });
    expect(tls.status).toBe(200);
    expect(tls.headers.get("set-cookie")).toMatch(/; Secure/);
    const local = await signIn(plain, { "x-forwarded-proto": "https" });
    expect(local.headers.get("set-cookie")).not.toMatch(/Secure/);
  });
});
