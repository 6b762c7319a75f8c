import { usagePartitionsJob, type ScheduledJob } from "@seatdesk/scheduler";
import { idleSeatsJob } from "./services/idle-automation";
import { activityReportJob } from "./reports/daily-job";
import { webhookDeliveryJob } from "./services/webhooks/job";
import { forecastJob } from "./services/forecasts/job";

/**
 * The scheduled jobs (issue 15), in the order they run after each month close: by the worker (worker.ts),
 * by a server that closes months (main.ts) and by the test clock at each step of a move (routers/clock.ts).
 * Each job is idempotent and catches up on what it missed by itself. The usage partitions come first: the
 * coming months' tables exist before anything else of the run.
 */
export const scheduledJobs: readonly ScheduledJob[] = [usagePartitionsJob, idleSeatsJob, activityReportJob, forecastJob, webhookDeliveryJob];
