import type { IncomingMessage } from "node:http";

/**
 * Who sent a request: the socket's peer, or, behind a proxy we trust (TRUST_PROXY), the address that
 * proxy saw, the last entry of X-Forwarded-For (the proxy appends it; entries before it are the client's
 * own claims and are never believed).
 */
export function clientIpOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(forwarded) ? forwarded.join(",") : (forwarded ?? "")).split(",").map((h) => h.trim()).filter(Boolean);
    const last = hops.at(-1);
    if (last) return last;
  }
  return req.socket.remoteAddress ?? "unknown";
}

/** Whether the client reached us over TLS: behind a trusted proxy, its X-Forwarded-Proto; else the socket itself. */
export function overTls(req: IncomingMessage, trustProxy: boolean): boolean {
  if (trustProxy) {
    const proto = req.headers["x-forwarded-proto"];
    const first = (Array.isArray(proto) ? proto[0] : proto)?.split(",")[0]?.trim().toLowerCase();
    if (first) return first === "https";
  }
  return "encrypted" in req.socket && Boolean((req.socket as { encrypted?: boolean }).encrypted);
}
