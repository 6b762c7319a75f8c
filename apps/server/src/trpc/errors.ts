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

/** Turns any thrown value into a TRPCError whose message is safe to show a client. */
export function toTRPCError(e: unknown): TRPCError {
  if (e instanceof TRPCError) {
    const inner = e.cause;
    if (inner && !(inner instanceof TRPCError) && (isDomainError(inner) || pgCode(inner))) return toTRPCError(inner);
    return e;
  }
  if (isDomainError(e)) return new TRPCError({ code: codeMap[e.code], message: e.message, cause: e });
  const pg = pgCode(e);
  if (pg && pgCodeMap[pg]) return new TRPCError({ code: pgCodeMap[pg].code, message: pgCodeMap[pg].message });
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Something went wrong on our side; it has been logged." });
}

/**
 * The machine-readable code a client branches on, beside the sentence (edge case 16): the slug of the
 * domain error a refusal came from ("not-subscribed", "period-closed", ...), and "invalid-input" for input
 * the procedure's schema refused too, so a client need not know which of the two checked a field.
 * Undefined for what is not a refusal of the domain (no key, a server failure).
 */
export function domainCodeOf(error: TRPCError): DomainErrorSlug | undefined {
  const cause = error.cause;
  if (isDomainError(cause)) return domainErrorSlug(cause.code);
  if (cause instanceof ZodError) return domainErrorSlug("INVALID_INPUT");
  return undefined;
}
