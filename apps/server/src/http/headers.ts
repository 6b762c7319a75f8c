import type { IncomingMessage, ServerResponse } from "node:http";
import { overTls } from "./client";

/**
 * Security headers on every response (OWASP ASVS V14.4), set before any handler writes, so the SPA's
 * assets, index.html, API answers, errors and 404s all carry them.
 */

/**
 * The console's policy: only its own scripts, styles, images and API (the built SPA has no inline script
 * or style element; the favicon is a data: image). No plugins, no <base>, never framed, forms post here.
 */
export const spaContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

/** API answers are data, never a document: nothing may load from them, nor frame them. */
export const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** One year; sent only over TLS (a browser ignores it over plain HTTP, and it must not pin a plain-HTTP demo). */
export const hstsValue = "max-age=31536000";

export function setSecurityHeaders(req: IncomingMessage, res: ServerResponse, options: { api: boolean; trustProxy: boolean }) {
  res.setHeader("content-security-policy", options.api ? apiContentSecurityPolicy : spaContentSecurityPolicy);
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("referrer-policy", "no-referrer");
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("cross-origin-opener-policy", "same-origin");
  if (overTls(req, options.trustProxy)) res.setHeader("strict-transport-security", hstsValue);
  // API answers may carry secrets (a new API key, a SCIM token, a one-time password): never cached.
  if (options.api) res.setHeader("cache-control", "no-store");
}
