import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** What Webhook.verify answered with the receiver's secret, or null when it refused. */
  verified: { type: string; timestamp: string; data: Record<string, unknown> } | null;
}

/**
 * A webhook receiver on 127.0.0.1 (node:http): verifies every request with standardwebhooks' Webhook.verify
 * and answers what `respond` says (a status, or "hold" to keep the request open until released).
 */
export async function startReceiver() {
  const received: Received[] = [];
  let secret = "";
  let respond: (n: number) => number | "hold" = () => 200;
  const held: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = { "webhook-id": String(req.headers["webhook-id"]), "webhook-timestamp": String(req.headers["webhook-timestamp"]), "webhook-signature": String(req.headers["webhook-signature"]) };
      let verified: Received["verified"] = null;
      try {
        verified = new Webhook(secret).verify(body, headers) as Received["verified"];
      } catch {
        verified = null;
      }
      received.push({ id: headers["webhook-id"], timestamp: headers["webhook-timestamp"], signature: headers["webhook-signature"], body, verified });
      const answer = respond(received.length);
      if (answer === "hold") held.push(res);
      else res.writeHead(answer, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    setSecret: (s: string) => void (secret = s),
    respondWith: (f: (n: number) => number | "hold") => void (respond = f),
    /** Answers the held requests (their sender may be gone). */
    release: () => held.splice(0).forEach((r) => r.writeHead(200).end()),
    close: () =>
      new Promise<void>((r) => {
        held.splice(0).forEach((x) => x.destroy());
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
