import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { deliveredStatus, failureStreak, nextRetry, shouldDisableEndpoint } from "@seatdesk/domain";
import { rowsOf, uuidArray, webhookDeliveries, webhookEndpoints, webhookEvents, type Db, type Tx } from "@seatdesk/db";
import { recordAudit } from "../audit";

export interface DeliverOptions {
  /** Only this account's deliveries (the test clock moves one account). */
  accountId?: string;
  signal?: AbortSignal;
  /** Deliveries claimed per round (each round's requests go out together). */
  batchSize?: number;
  /** Rounds at most per call, so one call cannot run forever behind a busy outbox. */
  maxRounds?: number;
  /** A request that has not answered in this long is a failure (10 s). */
  timeoutMs?: number;
  /** The wall clock for the `webhook-timestamp` header: receivers compare it with theirs (±5 minutes). */
  wallClock?: () => Date;
  /** [0, 1): the jitter of the backoff. */
  random?: () => number;
}

export type DeliverCounts = {
  sent: number;
  delivered: number;
  retrying: number;
  gaveUp: number;
  endpointsDisabled: number;
};
type ResultKind = "delivered" | "retrying" | "gaveUp" | "endpointsDisabled";

export const defaultWebhookTimeoutMs = 10_000;
/** A claim outlives the request's timeout by this much; after it, another sender may send the delivery again. */
const leaseMarginMs = 5_000;
const maxErrorLength = 500;

type Claimed = {
  account_id: string;
  id: string;
  endpoint_id: string;
  event_id: string;
  attempts: number;
};

/**
 * Claims due deliveries, at most `batchSize`, for this sender: FOR UPDATE SKIP LOCKED picks rows no other
 * sender is claiming, and the claim token with a lease on the database's clock keeps them this sender's
 * until the lease runs out. A new delivery is due at once (attempts = 0) whatever `now` says; a retry when
 * its time has come by `now`.
 */
async function claim(db: Db, now: Date, token: string, batchSize: number, leaseMs: number, accountId?: string): Promise<Claimed[]> {
  const scope = accountId ? sql`and d.account_id = ${accountId}::uuid` : sql``;
  return rowsOf<Claimed>(
    await db.execute(sql`
      with due as (
        select d.account_id, d.id from webhook_deliveries d
        join webhook_endpoints e on e.account_id = d.account_id and e.id = d.endpoint_id and e.enabled
        where d.status = 'pending' and (d.attempts = 0 or d.next_attempt_at <= ${now.toISOString()}::timestamptz)
          and (d.lease_until is null or d.lease_until < clock_timestamp()) ${scope}
        order by d.next_attempt_at, d.id
        limit ${batchSize}
        for update of d skip locked)
      update webhook_deliveries d set claim_token = ${token}::uuid, lease_until = clock_timestamp() + ${leaseMs} * interval '1 millisecond'
      from due where d.account_id = due.account_id and d.id = due.id
      returning d.account_id, d.id, d.endpoint_id, d.event_id, d.attempts`),
  ).map((r) => ({ ...r, attempts: Number(r.attempts) }));
}

/** The request of one delivery: the body is the stored payload; the headers are Standard Webhooks'. */
export function signedRequest(eventId: string, payload: unknown, secrets: string[], at: Date): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(payload);
  // During a rotation both secrets sign: a receiver with either one verifies (space-separated signatures).
  const signature = secrets.map((s) => new Webhook(s).sign(eventId, at, body)).join(" ");
  return {
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "Seatdesk-Webhooks/1",
      "webhook-id": eventId,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": signature,
    },
  };
}

type Outcome = { status: number | null; error: string | null };

async function post(url: string, request: { body: string; headers: Record<string, string> }, timeoutMs: number): Promise<Outcome> {
  try {
    const res = await fetch(url, { method: "POST", headers: request.headers, body: request.body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    // The answer's body is not kept; reading it frees the connection.
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status, error: deliveredStatus(res.status) ? null : `HTTP ${res.status}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s` : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { status: null, error: String(why).slice(0, maxErrorLength) };
  }
}

/**
 * Writes one attempt's result under the claim token (a sender whose lease ran out and was re-claimed
 * writes nothing), the endpoint's failure streak, and, after 24 hours of failures, disables the endpoint,
 * fails its pending deliveries and audits it for the owners.
 */
async function record(tx: Tx, c: Claimed, token: string, outcome: Outcome, now: Date, random: number): Promise<ResultKind | null> {
  const ok = outcome.status !== null && deliveredStatus(outcome.status);
  const [row] = await tx
    .select({ firstAttemptAt: webhookDeliveries.firstAttemptAt })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.accountId, c.account_id), eq(webhookDeliveries.id, c.id), eq(webhookDeliveries.claimToken, token)))
    .for("update");
  if (!row) return null;
  const attempts = c.attempts + 1;
  const firstAttemptAt = row.firstAttemptAt ?? now;
  const decision = ok ? null : nextRetry({ attempts, firstAttemptAt, now, random });
  await tx
    .update(webhookDeliveries)
    .set({
      attempts,
      firstAttemptAt,
      lastAttemptAt: now,
      lastResponseCode: outcome.status,
      lastError: outcome.error,
      claimToken: null,
      leaseUntil: null,
      ...(ok ? { status: "delivered", deliveredAt: now } : decision?.kind === "retry" ? { status: "pending", nextAttemptAt: decision.at } : { status: "failed" }),
    })
    .where(and(eq(webhookDeliveries.accountId, c.account_id), eq(webhookDeliveries.id, c.id)));

  const [endpoint] = await tx
    .select({ enabled: webhookEndpoints.enabled, url: webhookEndpoints.url, consecutiveFailures: webhookEndpoints.consecutiveFailures, failingSince: webhookEndpoints.failingSince })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.accountId, c.account_id), eq(webhookEndpoints.id, c.endpoint_id)))
    .for("update");
  if (!endpoint) return ok ? "delivered" : decision?.kind === "retry" ? "retrying" : "gaveUp";
  const streak = failureStreak(endpoint, ok, now);
  const disable = endpoint.enabled && shouldDisableEndpoint(streak, { gaveUp: decision?.kind === "give-up", firstAttemptAt });
  const reason = disable ? `Every attempt failed for 24 hours: ${streak.consecutiveFailures} in a row since ${streak.failingSince!.toISOString()} (last: ${outcome.error ?? "no answer"})` : null;
  await tx
    .update(webhookEndpoints)
    .set({ ...streak, ...(disable ? { enabled: false, disabledReason: reason, disabledAt: now, updatedAt: now } : {}) })
    .where(and(eq(webhookEndpoints.accountId, c.account_id), eq(webhookEndpoints.id, c.endpoint_id)));
  if (disable) {
    // Nothing more goes to a disabled endpoint; "Send again" can still send any delivery once it is enabled.
    await tx
      .update(webhookDeliveries)
      .set({ status: "failed", lastError: "endpoint disabled", claimToken: null, leaseUntil: null })
      .where(and(eq(webhookDeliveries.accountId, c.account_id), eq(webhookDeliveries.endpointId, c.endpoint_id), eq(webhookDeliveries.status, "pending")));
    await recordAudit(
      tx,
      c.account_id,
      { type: "system", id: null, label: "webhook delivery" },
      [{ action: "webhook.endpoint.disabled", targetType: "webhook-endpoint", targetId: c.endpoint_id, before: { enabled: true }, after: { enabled: false, url: endpoint.url, reason } }],
      now,
    );
    return "endpointsDisabled";
  }
  return ok ? "delivered" : decision?.kind === "retry" ? "retrying" : "gaveUp";
}

/**
 * Sends the due webhook deliveries (issue 15, "Webhooks"): claim a batch, POST each with Standard Webhooks
 * headers and a timeout, record each result; 2xx is delivered, anything else is retried with backoff for
 * 24 hours (the domain's nextRetry). At least once: a sender that dies between the POST and the record
 * leaves its claim to expire, and the same `webhook-id` is sent again.
 */
export async function deliverDue(db: Db, now: Date, options: DeliverOptions = {}): Promise<DeliverCounts> {
  const batchSize = options.batchSize ?? 25;
  const maxRounds = options.maxRounds ?? 20;
  const timeoutMs = options.timeoutMs ?? defaultWebhookTimeoutMs;
  const wallClock = options.wallClock ?? (() => new Date());
  const random = options.random ?? Math.random;
  const counts: DeliverCounts = { sent: 0, delivered: 0, retrying: 0, gaveUp: 0, endpointsDisabled: 0 };
  for (let round = 0; round < maxRounds && !options.signal?.aborted; round++) {
    const token = randomUUID();
    const claimed = await claim(db, now, token, batchSize, timeoutMs + leaseMarginMs, options.accountId);
    if (claimed.length === 0) break;
    // Each row by its account and id, as it is keyed (DESIGN.md §3: one account's rows when the sender is scoped to one).
    const events = await db
      .select({ accountId: webhookEvents.accountId, id: webhookEvents.id, payload: webhookEvents.payload })
      .from(webhookEvents)
      .where(sql`(${webhookEvents.accountId}, ${webhookEvents.id}) in (select * from unnest(${uuidArray(claimed.map((c) => c.account_id))}, ${uuidArray(claimed.map((c) => c.event_id))}))`);
    const endpoints = await db
      .select({ id: webhookEndpoints.id, url: webhookEndpoints.url, secret: webhookEndpoints.secret, previousSecret: webhookEndpoints.previousSecret, previousUntil: webhookEndpoints.previousSecretExpiresAt })
      .from(webhookEndpoints)
      .where(sql`(${webhookEndpoints.accountId}, ${webhookEndpoints.id}) in (select * from unnest(${uuidArray(claimed.map((c) => c.account_id))}, ${uuidArray(claimed.map((c) => c.endpoint_id))}))`);
    const payloadOf = new Map(events.map((e) => [`${e.accountId}/${e.id}`, e.payload]));
    const endpointOf = new Map(endpoints.map((e) => [e.id, e]));
    await Promise.all(
      claimed.map(async (c) => {
        const endpoint = endpointOf.get(c.endpoint_id)!;
        const at = wallClock();
        const secrets = [endpoint.secret, ...(endpoint.previousSecret && endpoint.previousUntil && endpoint.previousUntil.getTime() > now.getTime() ? [endpoint.previousSecret] : [])];
        const outcome = await post(endpoint.url, signedRequest(c.event_id, payloadOf.get(`${c.account_id}/${c.event_id}`), secrets, at), timeoutMs);
        counts.sent++;
        const result = await db.transaction((tx) => record(tx, c, token, outcome, now, random()));
        if (result) counts[result] += 1;
      }),
    );
    if (claimed.length < batchSize) break;
  }
  return counts;
}
