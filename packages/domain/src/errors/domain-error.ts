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
  "IDEMPOTENCY_CONFLICT",
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

/**
 * The machine-readable form of a code that a client branches on, whatever its language (edge case 16):
 * `NOT_SUBSCRIBED` → `not-subscribed`, `PERIOD_CLOSED` → `period-closed`.
 */
export type DomainErrorSlug = Lowercase<DomainErrorCode> extends infer S ? (S extends string ? KebabOf<S> : never) : never;
type KebabOf<S extends string> = S extends `${infer A}_${infer B}` ? `${A}-${KebabOf<B>}` : S;

export function domainErrorSlug(code: DomainErrorCode): DomainErrorSlug {
  return code.toLowerCase().replaceAll("_", "-") as DomainErrorSlug;
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
