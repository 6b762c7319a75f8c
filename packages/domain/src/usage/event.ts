import { DomainError } from "../errors/domain-error";

/** A usage event's body as idempotency compares it (DESIGN.md §2 edge case 8). */
export interface UsageEventBody {
  userId: string;
  creditsCc: number;
  client: string;
  occurredAt: Date;
}

/** Clients are short lowercase names: `ide`, `cli`, `jetbrains-plugin`... */
export const clientNamePattern = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
/** Idempotency keys: 1 to 255 printable ASCII characters, per profile. */
export const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

export function assertClientName(client: string, field = "client"): string {
  if (!clientNamePattern.test(client)) {
    throw new DomainError("INVALID_INPUT", `${field}: 1-40 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit`, field);
  }
  return client;
}

export function assertIdempotencyKey(key: string, field = "idempotencyKey"): string {
  if (!idempotencyKeyPattern.test(key)) throw new DomainError("INVALID_INPUT", `${field}: 1-255 printable characters without spaces`, field);
  return key;
}

/**
 * Edge case 8: the same key with the same body returns the first result; with a different body it is
 * refused. "Same body" is the same user, credits, client and time of occurrence (to the millisecond).
 */
export function sameEventBody(a: UsageEventBody, b: UsageEventBody): boolean {
  return a.userId === b.userId && a.creditsCc === b.creditsCc && a.client === b.client && a.occurredAt.getTime() === b.occurredAt.getTime();
}

/** The field that differs, for the CONFLICT message ("the key was used with other credits"). */
export function firstDifference(a: UsageEventBody, b: UsageEventBody): keyof UsageEventBody | null {
  if (a.userId !== b.userId) return "userId";
  if (a.creditsCc !== b.creditsCc) return "creditsCc";
  if (a.client !== b.client) return "client";
  if (a.occurredAt.getTime() !== b.occurredAt.getTime()) return "occurredAt";
  return null;
}
