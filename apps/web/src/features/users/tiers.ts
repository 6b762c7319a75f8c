import type { SubscriptionStatus } from "@seatdesk/domain";
import type { SubscribeResult } from "../../app/trpc";
import { formatUtc, plural, statusLabels } from "../../lib/format";

export const notSubscribedLabel = "Not subscribed";

export function statusLabel(status: SubscriptionStatus | null): string {
  return status ? statusLabels[status] : notSubscribedLabel;
}

/** What the server did, in one or two sentences: "Subscribed 3 users to Pro+." (`name`: the tier's name in the catalog). */
export function describeResults(results: SubscribeResult["results"], name: string): string {
  let done = 0;
  let unchanged = 0;
  let inactive = 0;
  const scheduled = new Map<string, number>();
  for (const { outcome } of results) {
    switch (outcome.kind) {
      case "subscribed":
      case "restored":
      case "changed-now":
      case "upgraded":
      case "scheduled-change-cleared":
        done++;
        break;
      case "downgrade-scheduled":
        scheduled.set(outcome.at, (scheduled.get(outcome.at) ?? 0) + 1);
        break;
      case "unchanged":
        unchanged++;
        break;
      case "none":
        inactive++;
        break;
      case "removed":
      case "canceled":
        // Not an answer subscribing gives; counted nowhere rather than misdescribed.
        break;
    }
  }
  const parts: string[] = [];
  if (done > 0) parts.push(`Subscribed ${plural(done, "user")} to ${name}.`);
  for (const [at, count] of scheduled) parts.push(`${plural(count, "user")} will move down to ${name} on ${formatUtc(at)}.`);
  if (unchanged > 0) parts.push(`${plural(unchanged, "user")} already had ${name} or a higher tier: no change.`);
  if (inactive > 0) parts.push(`${plural(inactive, "user")} inactive in the directory ${inactive === 1 ? "was" : "were"} not subscribed.`);
  return parts.join(" ") || "Nothing changed.";
}
