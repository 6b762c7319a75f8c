import { z } from "zod";
import type { Db } from "@seatdesk/db";
import { envField, readEnv } from "@seatdesk/scheduler/config";
import { deliverDue, type DeliverCounts } from "./deliver";

const webhookEnv = z.object({
  /** How often a server or worker looks for due webhook deliveries. */
  SEATDESK_WEBHOOK_EVERY_S: envField.seconds(2, 3600),
  /** A receiver that has not answered in this long has failed that attempt. */
  SEATDESK_WEBHOOK_TIMEOUT_S: envField.seconds(10, 60),
});

export interface WebhookConfig {
  everyMs: number;
  timeoutMs: number;
}

export function loadWebhookConfig(source: Record<string, string | undefined>): WebhookConfig {
  const env = readEnv(webhookEnv, source);
  return { everyMs: env.SEATDESK_WEBHOOK_EVERY_S, timeoutMs: env.SEATDESK_WEBHOOK_TIMEOUT_S };
}

/**
 * The short delivery loop of a worker or a server that runs the scheduler: deliverDue every `everyMs`, so an
 * event goes out within seconds rather than at the next month-close run. Stops starting rounds when
 * `signal` aborts; a request cut by the process's exit is sent again by the next sender (its claim expires).
 */
export function startWebhookLoop(
  db: Db,
  now: () => Date,
  config: WebhookConfig,
  signal: AbortSignal,
  report: (result: { counts?: DeliverCounts; error?: unknown }) => void,
  /** Only this account's deliveries (the worker's --account). */
  accountId?: string,
): void {
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      const counts = await deliverDue(db, now(), { signal, timeoutMs: config.timeoutMs, accountId });
      if (counts.sent > 0) report({ counts });
    } catch (error) {
      report({ error });
    }
    if (!signal.aborted) timer = setTimeout(() => void tick(), config.everyMs);
  };
  signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  timer = setTimeout(() => void tick(), 0);
}
