import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { ZodError } from "zod";
import { domainErrorSlug, isDomainError, type DomainErrorCode, type DomainErrorSlug } from "@seatdesk/domain";

/** The one place domain error codes become transport codes (STYLE.md, "Server"). */
const codeMap: Record<DomainErrorCode, TRPC_ERROR_CODE_KEY> = {
  INVALID_INPUT: "BAD_REQUEST",
  UNKNOWN_TIER: "BAD_REQUEST",
  UNKNOWN_USER: "NOT_FOUND",
  TOO_MANY_TARGETS: "BAD_REQUEST",
  INVALID_CATALOG: "INTERNAL_SERVER_ERROR",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  FORBIDDEN: "FORBIDDEN",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
  PERIOD_CLOSED: "PRECONDITION_FAILED",
  EVENT_IN_FUTURE: "BAD_REQUEST",
  NOT_SUBSCRIBED: "PRECONDITION_FAILED",
  ACCESS_ENDED: "PRECONDITION_FAILED",
  IDEMPOTENCY_CONFLICT: "CONFLICT",
};

/** PostgreSQL SQLSTATEs that are the caller's fault, never a 500. */
const pgCodeMap: Record<string, { code: TRPC_ERROR_CODE_KEY; message: string }> = {
  "23505": { code: "CONFLICT", message: "That already exists" },
  "23503": { code: "NOT_FOUND", message: "A referenced record does not exist" },
  "22P02": { code: "BAD_REQUEST", message: "An id or value is malformed" },
  "23514": { code: "BAD_REQUEST", message: "A value is out of range" },
  "22021": { code: "BAD_REQUEST", message: "A text value contains a character that cannot be stored (NUL)" },
};

function pgCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * postgres.js's own codes for a connection that failed, closed or timed out (its errors carry the host
 * and port in their message), and Node's socket errors beneath them.
 */
const connectionCodes = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a database that cannot serve now, not of a bad request: class 08 (connection exception),
 * 57P01..57P03 (the backend was terminated, the server is shutting down or starting), 57014 (a statement
 * ran past statement_timeout) and 53300 (too many connections).
 */
const unavailableStates = /^(08...|57P0[1-3]|57014|53300)$/;

/** Whether a thrown value (or one of its causes) says the database is unreachable, gone or too slow. */
export function isDatabaseUnavailable(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === "object" && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && (connectionCodes.has(code) || unavailableStates.test(code))) return true;
  }
  return false;
}

/** The code a client branches on when the database is unavailable (HTTP 503): tRPC's data.domainCode, and SCIM's detail. */
export const databaseUnavailableCode = "database-unavailable";
export const databaseUnavailableMessage = "The database is unavailable; try again shortly.";

/** The detail of a database fault, for the log only (its message may name the host; postgres.js adds the query when debugging). */
export function faultDetail(e: unknown): Record<string, unknown> {
  const chain: string[] = [];
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    chain.push(`${cur instanceof Error ? cur.message : String(cur)}${typeof code === "string" ? ` [${code}]` : ""}`);
  }
  return { error: chain.join(" <- ") };
}

const internalMessage = "Something went wrong on our side; it has been logged.";

/** Turns any thrown value into a TRPCError whose message is safe to show a client. */
export function toTRPCError(e: unknown): TRPCError {
  if (e instanceof TRPCError) {
    if (e.code === "SERVICE_UNAVAILABLE") return e;
    const inner = e.cause;
    if (inner && !(inner instanceof TRPCError) && (isDomainError(inner) || pgCode(inner) || isDatabaseUnavailable(inner))) return toTRPCError(inner);
    // tRPC wraps anything else thrown in an INTERNAL_SERVER_ERROR carrying its message (drizzle's names the
    // failed query and its parameters): the client gets the plain sentence, the cause stays for the log.
    if (e.code === "INTERNAL_SERVER_ERROR" && inner instanceof Error && !(inner instanceof TRPCError) && e.message === inner.message) {
      return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: internalMessage, cause: inner });
    }
    return e;
  }
  // Before the SQLSTATE map: a fault of the database is 503 whatever else it says, and nothing of it reaches the client.
  if (isDatabaseUnavailable(e)) return new TRPCError({ code: "SERVICE_UNAVAILABLE", message: databaseUnavailableMessage, cause: e });
  if (isDomainError(e)) return new TRPCError({ code: codeMap[e.code], message: e.message, cause: e });
  const pg = pgCode(e);
  if (pg && pgCodeMap[pg]) return new TRPCError({ code: pgCodeMap[pg].code, message: pgCodeMap[pg].message });
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: internalMessage, cause: e instanceof Error ? e : undefined });
}

/**
 * The machine-readable code a client branches on, beside the sentence (edge case 16): the slug of the
 * domain error a refusal came from ("not-subscribed", "period-closed", ...), and "invalid-input" for input
 * the procedure's schema refused too, so a client need not know which of the two checked a field.
 * "database-unavailable" with a 503 when the database cannot serve (isDatabaseUnavailable).
 * Undefined for what is not a refusal of the domain (no key, a server failure).
 */
export function domainCodeOf(error: TRPCError): DomainErrorSlug | typeof databaseUnavailableCode | undefined {
  const cause = error.cause;
  if (error.code === "SERVICE_UNAVAILABLE" && isDatabaseUnavailable(cause)) return databaseUnavailableCode;
  if (isDomainError(cause)) return domainErrorSlug(cause.code);
  if (cause instanceof ZodError) return domainErrorSlug("INVALID_INPUT");
  return undefined;
}
