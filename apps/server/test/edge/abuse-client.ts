import { connect } from "node:net";

export interface AbuseAnswer {
  status: number;
  /** Bytes of body the client got onto the wire before the answer came (or the connection closed). */
  sentBytes: number;
  /** How the server ended it: it closed the connection after answering. */
  closed: boolean;
  headers: string;
}

const block = Buffer.alloc(64 * 1024, 0x61);

/**
 * Sends a `bytes`-long POST body to `path` over a raw socket, announced by Content-Length or chunked, and
 * stops writing as soon as the server answers. One 64 KB block is written again and again, so the client
 * holds no copy of the body. Resolves with the answer's status line and how much was sent.
 */
export function sendHugeBody(port: number, path: string, mode: "length" | "chunked", bytes: number, headers: Record<string, string> = {}): Promise<AbuseAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let sent = 0;
    let answer = "";
    let stopped = false;
    let settled = false;
    const finish = () => {
      if (settled) return;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      if (!status) return;
      settled = true;
      stopped = true;
      resolve({ status: Number(status), sentBytes: sent, closed: /\r\nconnection: close\r\n/i.test(answer), headers: answer.split("\r\n\r\n")[0] ?? "" });
      socket.destroy();
    };
    socket.on("data", (d: Buffer) => {
      answer += d.toString("latin1");
      if (answer.includes("\r\n\r\n")) finish();
    });
    socket.on("error", () => {
      stopped = true;
      if (!settled) finish();
    });
    socket.on("close", () => {
      stopped = true;
      if (!settled) {
        finish();
        if (!settled) reject(new Error(`connection closed with no answer after ${sent} bytes`));
      }
    });
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    const framing = mode === "length" ? `content-length: ${bytes}\r\n` : "transfer-encoding: chunked\r\n";
    socket.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n${extra}${framing}\r\n`);
    const pump = () => {
      while (!stopped && sent < bytes) {
        const n = Math.min(block.length, bytes - sent);
        const piece = n === block.length ? block : block.subarray(0, n);
        const ok = socket.write(mode === "length" ? piece : Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece, Buffer.from("\r\n")]));
        sent += n;
        if (!ok) return void socket.once("drain", pump);
      }
      if (!stopped && mode === "chunked") socket.write("0\r\n\r\n");
    };
    socket.once("connect", pump);
  });
}
