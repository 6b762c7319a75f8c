import type { SubscriptionStatus } from "@seatdesk/domain";
import { statusLabel } from "./tiers";

export function StatusBadge({ status }: { status: SubscriptionStatus | null }) {
  return <span className={`badge badge-${status ?? "none"}`}>{statusLabel(status)}</span>;
}
