/**
 * bench:usage's bare ceiling (issue 17): the least a Node service can do for one event over HTTP, to
 * compare the product's usage.record with on the same machine, clients and concurrency. node:http reads
 * the body the clients send to usage.record and parses it, postgres.js (the product's driver, the same
 * pool size, prepared statements) runs pgbench's debit in one transaction, its two statements pipelined
 * (the UPDATE of the user's month counters; the INSERT of the idempotency key and the event), and the
 * answer is a JSON object of the same shape. Nothing else: no API key, no validation, no rules, no read,
 * no locks, no idempotency answer beyond the key's unique index. Every event is recorded as included
 * credits, so the bench's "counters equal the events" check holds for these events too.
 */
import type { RequestListener } from "node:http";
import type { Sql } from "postgres";
import type { WireEvent } from "../test/usage-helpers";
import type { Seeded } from "./usage-seed";

export function bareListener(sql: Sql, seeded: Seeded): RequestListener {
  const { accountId, profileId, period } = seeded;
  const debit = (e: WireEvent, cc: number) =>
    sql.begin((tx) => [
      tx`update subscription_months set included_cc = included_cc + ${cc}, updated_at = now()
        where account_id = ${accountId} and profile_id = ${profileId} and period = ${period} and user_id = ${e.userId}`,
      tx`with k as (
          insert into usage_keys (account_id, profile_id, idempotency_key, user_id, client, credits_cc, occurred_at, result)
          values (${accountId}, ${profileId}, ${e.idempotencyKey}, ${e.userId}, ${e.client}, ${cc}, ${e.occurredAt}, ${`{"includedCc":${cc}}`}::jsonb)
          on conflict do nothing returning 1)
        insert into usage_events (account_id, profile_id, period, user_id, idempotency_key, client, credits_cc, included_cc, overage_cc, unbilled_cc, occurred_at, recorded_at)
        select ${accountId}, ${profileId}, ${period}, ${e.userId}, ${e.idempotencyKey}, ${e.client}, ${cc}, ${cc}, 0, 0, ${e.occurredAt}, now() from k`,
    ]);
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let e: WireEvent;
      try {
        e = JSON.parse(Buffer.concat(chunks).toString("utf8")) as WireEvent;
      } catch {
        res.writeHead(400).end();
        return;
      }
      const cc = Math.round(e.credits * 100);
      debit(e, cc).then(
        () => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ result: { data: { idempotencyKey: e.idempotencyKey, userId: e.userId, includedCc: cc, overageCc: 0, unbilledCc: 0, replayed: false } } }));
        },
        (err: unknown) => {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: String(err) }));
        },
      );
    });
  };
}
