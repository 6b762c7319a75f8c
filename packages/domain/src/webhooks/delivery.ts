/**
 * When a webhook delivery is tried again, and when an endpoint is given up on (issue 15, "Webhooks":
 * "retried with backoff for 24 hours … endpoints disabled after repeated failure").
 */

/** A delivery is retried for this long after its first attempt, then marked failed. */
export const webhookRetryWindowMs = 24 * 60 * 60 * 1000;
/** The first retry waits this long; each next one three times longer, up to the ceiling. */
export const webhookFirstRetryMs = 10_000;
export const webhookMaxRetryMs = 3 * 60 * 60 * 1000;
/** Jitter: each wait is scaled by a factor in [1 − j, 1 + j), so many failed deliveries do not retry in step. */
export const webhookRetryJitter = 0.2;
export type RetryDecision = { kind: "retry"; at: Date } | { kind: "give-up" };

/**
 * After a failed attempt: the next attempt's time (exponential backoff with jitter), or give up when that
 * time falls past the retry window counted from the first attempt. `random` is a number in [0, 1).
 */
export function nextRetry(input: { attempts: number; firstAttemptAt: Date; now: Date; random: number }): RetryDecision {
  const { attempts, firstAttemptAt, now, random } = input;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a whole number ≥ 1, got ${attempts}`);
  if (!(random >= 0 && random < 1)) throw new RangeError(`random must be in [0, 1), got ${random}`);
  const base = Math.min(webhookFirstRetryMs * 3 ** (attempts - 1), webhookMaxRetryMs);
  const wait = Math.round(base * (1 - webhookRetryJitter + 2 * webhookRetryJitter * random));
  const at = new Date(now.getTime() + wait);
  return at.getTime() > firstAttemptAt.getTime() + webhookRetryWindowMs ? { kind: "give-up" } : { kind: "retry", at };
}

/** The endpoint's failure streak after an attempt: reset by a success, else one more (starting now if it had none). */
export function failureStreak(before: { consecutiveFailures: number; failingSince: Date | null }, succeeded: boolean, now: Date) {
  return succeeded
    ? { consecutiveFailures: 0, failingSince: null }
    : { consecutiveFailures: before.consecutiveFailures + 1, failingSince: before.failingSince ?? now };
}

/**
 * Disable the endpoint when a delivery has given up (its 24-hour retry window ran out) and the endpoint
 * has not answered any delivery with success since that delivery's first attempt: every attempt to it
 * for 24 hours failed. A receiver that is down for an hour, or rejects one malformed event, stays enabled.
 */
export function shouldDisableEndpoint(streak: { failingSince: Date | null }, delivery: { gaveUp: boolean; firstAttemptAt: Date }): boolean {
  return delivery.gaveUp && streak.failingSince !== null && streak.failingSince.getTime() <= delivery.firstAttemptAt.getTime();
}

/** 2xx is delivered; anything else (3xx included: redirects are not followed) is a failure. */
export const deliveredStatus = (status: number): boolean => status >= 200 && status < 300;
