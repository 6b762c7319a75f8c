import type { Log } from "./log";

/**
 * The last resort: an exception nothing caught, or a rejection nothing handled, leaves the process in a
 * state no one can vouch for. It is logged (with its stack, to the log only) and the process exits 1,
 * for the supervisor (systemd, a container runtime) to start a clean one. Database faults never come
 * here: the driver's errors reach the request that ran the query, which answers 503 (trpc/errors.ts).
 */
export function installProcessGuards(log: Log, exit: (code: number) => void = (code) => process.exit(code)): void {
  let exiting = false;
  const fatal = (kind: string) => (error: unknown) => {
    log.error(kind, { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), stack: error instanceof Error ? error.stack : undefined });
    if (exiting) return;
    exiting = true;
    // stderr is flushed before the exit (a pipe's writes are synchronous on Linux; a file's always).
    exit(1);
  };
  process.on("uncaughtException", fatal("uncaught exception: exiting"));
  process.on("unhandledRejection", fatal("unhandled rejection: exiting"));
}
