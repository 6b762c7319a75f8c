import type { ScheduledJob } from "@seatdesk/scheduler";
import { deliverDue } from "./deliver";

/**
 * The webhook deliveries as a scheduled job (issue 15): after each month close and at each step of the test
 * clock, so the invoices a close finalized go out with it. Servers and workers also run deliverDue every
 * SEATDESK_WEBHOOK_EVERY_S seconds (delivery-loop.ts).
 */
export const webhookDeliveryJob: ScheduledJob = {
  name: "webhooks",
  // A few rounds only: the test clock runs jobs at every month it crosses, and the loop does the rest.
  run: (db, now, { accountId, signal }) => deliverDue(db, now, { accountId, signal, maxRounds: 4 }),
};
