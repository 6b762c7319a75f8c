import { randomUUID } from "node:crypto";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { requestScope, type Log } from "../log";

/** The HTTP server's timeouts, in milliseconds (SEATDESK_*_TIMEOUT_S in config.ts). */
export interface HttpTimeouts {
  /** From a connection's first byte until its request's headers are complete: a slow-header client is answered 408 and closed. */
  headersMs: number;
  /** Until a whole request, body included, has been received (408 after). */
  requestMs: number;
  /** How long a connection is kept open after an answer, waiting for the next request. */
  keepAliveMs: number;
  /** A connection that sends nothing for this long is closed, unless a request on it is being answered. */
  idleSocketMs: number;
}

export const defaultHttpTimeouts: HttpTimeouts = { headersMs: 10_000, requestMs: 60_000, keepAliveMs: 5_000, idleSocketMs: 10_000 };

/** An incoming X-Request-Id (a proxy's, to follow a request across services) is kept only when it is a short token of safe characters. */
export function acceptedRequestId(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(value) ? value : undefined;
}

export interface HttpServer {
  server: Server;
  /** Resolves with the address once listening (port 0 picks a free one); rejects on EADDRINUSE and the like. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /**
   * Stops accepting connections, lets the requests under way finish and closes each connection as it
   * becomes idle; after `graceMs` closes whatever is left. Resolves true when nothing had to be cut.
   */
  shutdown(graceMs: number): Promise<boolean>;
  /** Requests being answered now. */
  inFlight(): number;
}

/**
 * The one way the server's HTTP listener is made (main.ts and the tests): the timeouts that keep idle,
 * slow and stalled clients from holding sockets (issue 14 "Timeouts"), a request id per request
 * (answered as X-Request-Id, and on every log line written while serving it), and graceful shutdown.
 */
export function createHttpServer(listener: RequestListener, options: { log: Log; timeouts?: Partial<HttpTimeouts> }): HttpServer {
  const t: HttpTimeouts = { ...defaultHttpTimeouts, ...options.timeouts };
  const { log } = options;
  /** Sockets with a request being answered (a count: pipelined requests). */
  const busy = new Map<Socket, number>();
  let requests = 0;
  let stopping = false;

  const server = createServer(
    {
      headersTimeout: t.headersMs,
      requestTimeout: t.requestMs,
      keepAliveTimeout: t.keepAliveMs,
      // How often node:http enforces the two timeouts above (30 s by default, so a 10 s limit could take 40 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(Math.min(t.headersMs, t.requestMs) / 10))),
    },
    (req, res) => {
      const socket = req.socket;
      busy.set(socket, (busy.get(socket) ?? 0) + 1);
      requests++;
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        requests--;
        const left = (busy.get(socket) ?? 1) - 1;
        if (left > 0) busy.set(socket, left);
        else busy.delete(socket);
        // Stopping: a connection whose answer is done is closed rather than kept for a next request.
        if (stopping) setImmediate(() => server.closeIdleConnections());
      };
      res.once("finish", end);
      res.once("close", end);

      const requestId = acceptedRequestId(req.headers["x-request-id"]) ?? randomUUID();
      res.setHeader("X-Request-Id", requestId);
      if (stopping) res.setHeader("Connection", "close");
      requestScope.run({ requestId }, () => {
        try {
          listener(req, res);
        } catch (e) {
          // The listener answers its own failures; this is the last guard, so one request cannot stop the process.
          log.error("request failed", { method: req.method, path: req.url?.split("?")[0], error: String(e), stack: e instanceof Error ? e.stack : undefined });
          if (res.headersSent) res.destroy();
          else {
            res.writeHead(500, { "content-type": "application/json" });
            res.end(JSON.stringify({ error: { message: "Internal error" } }));
          }
        }
      });
    },
  );
  server.keepAliveTimeout = t.keepAliveMs;
  // The socket's inactivity timer: with a 'timeout' listener node:http leaves the decision here.
  server.timeout = t.idleSocketMs;
  server.on("timeout", (socket: Socket) => {
    if (!busy.has(socket)) socket.destroy();
  });
  return {
    server,
    inFlight: () => requests,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        const failed = (e: Error) => reject(e);
        server.once("error", failed);
        server.listen(port, host, () => {
          server.off("error", failed);
          resolve(server.address() as AddressInfo);
        });
      }),
    shutdown: (graceMs) =>
      new Promise<boolean>((resolve) => {
        stopping = true;
        let settled = false;
        const settle = (clean: boolean) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(clean);
        };
        const timer = setTimeout(() => {
          log.error("requests still under way when the shutdown wait ran out; closing their connections", { inFlight: requests, waitedMs: graceMs });
          server.closeAllConnections();
          settle(false);
        }, graceMs);
        // The callback runs once every connection has ended (or at once when the server was not listening).
        server.close(() => settle(true));
        server.closeIdleConnections();
      }),
  };
}
