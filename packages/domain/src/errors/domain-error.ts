/**
 * Every rule that refuses something throws a DomainError with a literal code
 * (STYLE.md, "The domain package"). The server maps codes to transport codes in one place.
 */
export const domainErrorCodes = [
  "INVALID_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "FORBIDDEN",
  "PRECONDITION_FAILED",
  "UNKNOWN_TIER",
  "UNKNOWN_USER",
  "TOO_MANY_TARGETS",
  "INVALID_CATALOG",
  "PERIOD_CLOSED",
  "EVENT_IN_FUTURE",
  "NOT_SUBSCRIBED",
  "ACCESS_ENDED",
] as const;
export type DomainErrorCode = (typeof domainErrorCodes)[number];

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  /** The input field the error is about, when there is one (e.g. "userIds[3]"). */
  readonly field: string | undefined;

  constructor(code: DomainErrorCode, message: string, field?: string) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.field = field;
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
