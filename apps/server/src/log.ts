import { AsyncLocalStorage } from "node:async_hooks";

export interface Log {
  info(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * The request being served, for everything that runs on its behalf (http/server.ts enters it around the
 * request listener), so every log line written while serving a request carries its id without passing it down.
 */
export const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/**
 * One JSON line per entry (`time`, `level`, `msg`, `requestId` while serving a request, then the fields)
 * on stderr, so stdout stays for what a person should read. `write` replaces stderr (tests).
 */
export function jsonLog(write: (line: string) => void = (line) => void process.stderr.write(line)): Log {
  const entry = (level: string, msg: string, fields?: Record<string, unknown>) => {
    const requestId = requestScope.getStore()?.requestId;
    const id = requestId ? { requestId } : {};
    // Spread again after the fields, so a field named requestId cannot pass for it.
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...id, ...fields, ...id })}\n`);
  };
  return { info: (m, f) => entry("info", m, f), error: (m, f) => entry("error", m, f) };
}

export const silentLog: Log = { info: () => {}, error: () => {} };
