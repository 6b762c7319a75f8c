export interface Log {
  info(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** One JSON line per entry on stderr, so stdout stays for what a person should read. */
export function jsonLog(): Log {
  const write = (level: string, msg: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
  return { info: (m, f) => write("info", m, f), error: (m, f) => write("error", m, f) };
}

export const silentLog: Log = { info: () => {}, error: () => {} };
