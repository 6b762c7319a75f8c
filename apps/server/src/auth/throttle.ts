import { createHash } from "node:crypto";
import { lt } from "drizzle-orm";
import { RateLimiterDrizzle, RateLimiterRes } from "rate-limiter-flexible";
import { rateLimits, type Db } from "@seatdesk/db";

/**
 * Sign-in throttling (OWASP ASVS 4.0 V2.2.1): failed sign-ins are counted per e-mail and per client
 * address in the `rate_limits` table, so every server process on one database shares the counts (PGlite
 * and PostgreSQL alike). Counting is rate-limiter-flexible's RateLimiterDrizzle: one atomic
 * `insert … on conflict do update … returning` per counter, on our Drizzle database, either driver.
 */
export interface SignInLimits {
  /** Failed sign-ins for one e-mail within `emailWindowMs` before the e-mail is locked out. */
  emailFailures: number;
  emailWindowMs: number;
  /** The first lock-out; each further one within `lockoutMemoryMs` doubles, up to `maxLockoutMs`. */
  lockoutMs: number;
  maxLockoutMs: number;
  lockoutMemoryMs: number;
  /** Failed sign-ins from one client address (any e-mail) within `ipWindowMs`; past it, refused until the window ends. */
  ipFailures: number;
  ipWindowMs: number;
}

const minute = 60 * 1000;
const hour = 60 * minute;

/** 5 failures per e-mail per 15 minutes, then 15 minutes locked, doubling up to 4 hours; 50 failures per address per hour. */
export const defaultSignInLimits: SignInLimits = {
  emailFailures: 5,
  emailWindowMs: 15 * minute,
  lockoutMs: 15 * minute,
  maxLockoutMs: 4 * hour,
  lockoutMemoryMs: 24 * hour,
  ipFailures: 50,
  ipWindowMs: hour,
};

/** A sign-in refused before its password was looked at; `retryAfterSeconds` becomes the Retry-After header. */
export class SignInThrottled extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    readonly scope: "email" | "ip",
  ) {
    super(`Too many sign-in attempts; try again in ${describeWait(retryAfterSeconds)}`);
    this.name = "SignInThrottled";
  }
}

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/** Keys are hashes: the table never holds an e-mail someone typed or a client's address. */
const keyOf = (value: string) => createHash("sha256").update(value).digest("base64url");
export const emailKeyOf = (email: string) => keyOf(`email:${email.trim().toLowerCase()}`);
const ipKeyOf = (ip: string) => keyOf(`ip:${ip}`);

const sweepAfterMs = hour;
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
const refusal = (e: unknown): RateLimiterRes | null => (e instanceof RateLimiterRes ? e : null);

/** The gate of one sign-in attempt: `admit` before the password is checked, then `failed` or `succeeded`. */
export interface SignInAttempt {
  /** The attempt failed: counts stay; returns the lock-out it started, if this failure reached the limit. */
  failed(): Promise<{ lockedForSeconds: number | null }>;
  /** The attempt succeeded: the e-mail's counts are reset and the address's attempt is given back. */
  succeeded(): Promise<void>;
}

export function signInThrottle(db: Db, overrides: Partial<SignInLimits> = {}) {
  const limits = { ...defaultSignInLimits, ...overrides };
  // The library keeps no state of its own here (no in-memory blocks, no timers): every count is in the table.
  const limiter = (keyPrefix: string, points: number, windowMs: number) =>
    new RateLimiterDrizzle({ storeClient: db, schema: rateLimits, keyPrefix, points, duration: seconds(windowMs), clearExpiredByTimeout: false });
  const byEmail = limiter("sign-in-email", limits.emailFailures, limits.emailWindowMs);
  const byIp = limiter("sign-in-ip", limits.ipFailures, limits.ipWindowMs);
  // How many lock-outs an e-mail had lately: the next one lasts lockoutMs · 2^(n-1).
  const lockouts = limiter("sign-in-lockouts", Number.MAX_SAFE_INTEGER, limits.lockoutMemoryMs);

  /**
   * Counters expired over an hour ago are deleted when an address starts a new window and after a good
   * sign-in (an expired counter counts as none, so deleting it changes no answer; the hour keeps a server
   * whose clock runs ahead from deleting what another still counts). The library stamps expiries with the
   * server's real time, so this does too (never a test clock).
   */
  const sweep = () => db.delete(rateLimits).where(lt(rateLimits.expire, new Date(Date.now() - sweepAfterMs)));

  return {
    limits,
    /**
     * Counts the attempt before anything is checked, so attempts sent at once cannot all pass: first against
     * the e-mail, then against the client's address (when there is one: in-process callers have none). An
     * attempt refused for the e-mail never reaches the address's count (guesses at a locked e-mail cost the
     * address nothing, and are no password checks); one refused for the address gives the e-mail its attempt
     * back. Throws SignInThrottled when either is over its limit.
     */
    async admit(email: string, clientIp: string | undefined): Promise<SignInAttempt> {
      const emailKey = emailKeyOf(email);
      const ipKey = clientIp ? ipKeyOf(clientIp) : null;
      const counted = await byEmail.consume(emailKey).catch((e: unknown) => {
        const over = refusal(e);
        if (over) throw new SignInThrottled(seconds(over.msBeforeNext), "email");
        throw e;
      });
      if (ipKey) {
        const ip = await byIp.consume(ipKey).catch(async (e: unknown) => {
          const over = refusal(e);
          if (!over) throw e;
          await byEmail.reward(emailKey);
          throw new SignInThrottled(seconds(over.msBeforeNext), "ip");
        });
        if (ip.isFirstInDuration) await sweep();
      }
      return {
        async failed() {
          if (counted.consumedPoints < limits.emailFailures) return { lockedForSeconds: null };
          const n = (await lockouts.penalty(emailKey)).consumedPoints;
          const lockMs = Math.min(limits.maxLockoutMs, limits.lockoutMs * 2 ** Math.min(30, Math.max(0, n - 1)));
          await byEmail.block(emailKey, seconds(lockMs));
          return { lockedForSeconds: seconds(lockMs) };
        },
        async succeeded() {
          await byEmail.delete(emailKey);
          await lockouts.delete(emailKey);
          if (ipKey) await byIp.reward(ipKey);
          await sweep();
        },
      };
    },

    /** Forgets an e-mail's failures and lock-outs (its address counts stay). */
    async forget(email: string): Promise<void> {
      const emailKey = emailKeyOf(email);
      await byEmail.delete(emailKey);
      await lockouts.delete(emailKey);
    },
  };
}

/** What an operator's password reset calls: the e-mail's failures and lock-outs are forgotten. */
export async function clearSignInThrottle(db: Db, email: string): Promise<void> {
  await signInThrottle(db).forget(email);
}

/**
 * For tRPC's `responseMeta` (http/app.ts): a sign-in refused by the throttle answers 429 with Retry-After
 * in seconds (RFC 9110 §10.2.3). A refused call is always alone: session.signIn cannot be batched.
 */
export function retryAfterMeta({ errors }: { errors: readonly { cause?: unknown }[] }): { headers?: Record<string, string> } {
  const throttled = errors.map((e) => e.cause).find((c): c is SignInThrottled => c instanceof SignInThrottled);
  return throttled ? { headers: { "retry-after": String(throttled.retryAfterSeconds) } } : {};
}
