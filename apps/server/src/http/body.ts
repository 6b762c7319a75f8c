import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Request bodies, read one way on every path (tRPC, the lean usage path, SCIM): capped before they are
 * buffered (ASVS V13), and decoded as strict UTF-8 so a malformed byte is refused rather than stored as
 * U+FFFD. A body announced larger than its cap (Content-Length) is refused without reading a byte; a
 * chunked body is counted as it streams and the read stops at the cap.
 */

const mib = 1024 * 1024;

/** The largest body each path takes, in bytes. */
export const bodyLimits = {
  /** Any tRPC call or batch: the console's mutations are small (a few KB at most). */
  default: 1 * mib,
  /** A usage batch of 1,000 events (about 200 bytes each, at most about 1 KB with every field at its longest). */
  usage: 1 * mib,
  /** SCIM: a User is at most 64 KB of attributes; a Group PUT or PATCH may list tens of thousands of members. */
  scim: 4 * mib,
  /** directory.importCsv, only with a session cookie: a 5 MB CSV as a JSON string (quotes and line breaks escaped). */
  csvImport: 12 * mib,
} as const;

/** A body refused before any handler sees it: 413 (too large) or 400 (not UTF-8). */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
    this.name = "BodyError";
  }
}

const tooLarge = (maxBytes: number) => new BodyError(413, `The request body is larger than ${maxBytes >= mib ? `${maxBytes / mib} MB` : `${maxBytes / 1024} KB`}`);

/** The declared Content-Length, or null (chunked, or none). A malformed value is Node's to refuse before we run. */
function declaredLength(req: IncomingMessage): number | null {
  const value = req.headers["content-length"];
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Strict UTF-8: a byte sequence that is not UTF-8 is an error, never U+FFFD. A leading BOM is dropped. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new BodyError(400, "The request body is not valid UTF-8");
  }
}

/**
 * Reads the whole body as text, at most `maxBytes`. Rejects with BodyError(413) at once when
 * Content-Length says more, or as soon as a streamed body passes the cap (the read stops there:
 * nothing more is buffered); with BodyError(400) when the bytes are not UTF-8.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = declaredLength(req);
  if (declared !== null && declared > maxBytes) {
    req.pause();
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        done();
        chunks.length = 0;
        req.pause();
        reject(tooLarge(maxBytes));
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      try {
        resolve(decodeUtf8(Buffer.concat(chunks, size)));
      } catch (e) {
        reject(e);
      }
    };
    const onError = (e: Error) => {
      done();
      reject(e);
    };
    const onAborted = () => onError(new Error("The client closed the connection before the body ended"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}

/**
 * After a refused body (413) the rest of it is not wanted: the answer says `Connection: close`, the answer
 * and a FIN go out, nothing more is read (the request stays paused, so the client's sending stalls on TCP's
 * window while it reads the 413), and the socket is destroyed `lingerMs` later. Node's own close of a
 * `Connection: close` answer (socket.destroySoon) would instead destroy the socket as soon as the answer
 * is written, and a reset reaching a client that is still sending often loses it the 413 it was sent.
 */
const closing = new WeakSet<ServerResponse>();
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse, lingerMs = 1000) {
  if (closing.has(res)) return;
  closing.add(res);
  if (!res.headersSent) res.setHeader("connection", "close");
  req.pause();
  // A request nobody read from is discarded by Node once its answer is written (the whole body pulled off
  // the wire); one that has been read from is not. read(0) buffers at most the stream's high-water mark.
  req.read(0);
  const socket = req.socket;
  socket.destroySoon = () => {
    socket.end();
    // Node resumes an unread request once its answer is written, to discard the rest: not this one.
    req.pause();
    setTimeout(() => socket.destroy(), lingerMs).unref();
  };
}
