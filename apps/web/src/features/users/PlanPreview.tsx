import type { UseQueryResult } from "@tanstack/react-query";
import type { PlanPreview as Preview } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatDay, formatDelta, formatMoney, plural } from "../../lib/format";
import { useTierName } from "../catalog/useCatalog";

/** Which dialog asks: Subscribe, Change plan or Deactivate plan. The words differ; the money is the server's in all three. */
export type PreviewMode = "subscribe" | "change" | "deactivate";

type PreviewUser = Preview["users"][number];
type TierName = (id: string) => string;

/** One person's line of the preview: what happens to them, when, and what it does to the bill. */
function describe(p: PreviewUser, mode: PreviewMode, tierName: TierName): string {
  const o = p.outcome;
  const money = p.thisMonthEstimateCents.delta;
  switch (o.kind) {
    case "upgraded":
      return `upgrade now to ${tierName(o.to)}, ${formatDelta(money)} this month`;
    case "downgrade-scheduled":
      return mode === "deactivate"
        ? `stays subscribed through a group: ${tierName(o.to)} from ${formatDay(o.at)}, then ${formatMoney(p.nextMonthCents)} a month`
        : `downgrade on ${formatDay(o.at)}, then ${formatMoney(p.nextMonthCents)} a month`;
    case "changed-now":
      return `${tierName(o.to)} now (Pending: nothing is charged until they use the tool)`;
    case "subscribed":
      return `subscribed to ${tierName(o.tier)}, Pending: nothing until they first use the tool, then ${formatMoney(p.nextMonthCents)} a month`;
    case "restored":
      return `restored to ${tierName(o.tier)}, ${formatDelta(money)} this month`;
    case "scheduled-change-cleared":
      return `stays on ${tierName(o.tier)}; the scheduled downgrade is cleared`;
    case "unchanged":
      return mode === "deactivate" ? `stays subscribed through a group (${tierName(o.tier)})` : `no change: keeps ${tierName(o.tier)}`;
    case "canceled":
      return `loses access on ${formatDay(o.accessEndsAt)}; this month stays charged`;
    case "access-ended":
      return `access ended on ${formatDay(o.at)}; this month stays charged`;
    case "removed":
      return "Pending subscription removed; nothing was charged";
    case "none":
      if (mode === "deactivate") return "has no plan here: no change";
      return mode === "subscribe" ? "inactive in the directory: not subscribed until the identity provider reactivates them" : "not subscribed (inactive in the directory, or no plan to change)";
  }
}

/** The order the tally reads in: what happens now, then what happens on the 1st, then who is left as they were. */
const tallyOrder = [
  "upgraded now",
  "restored now",
  "changed now (Pending)",
  "new, Pending",
  "scheduled downgrade cleared",
  "moving down",
  "losing access",
  "Pending subscription removed",
  "staying through a group",
  "unchanged",
  "inactive in the directory",
  "without a plan here",
] as const;
type TallyLabel = (typeof tallyOrder)[number];

function tallyLabel(o: PreviewUser["outcome"], mode: PreviewMode): TallyLabel {
  switch (o.kind) {
    case "upgraded":
      return "upgraded now";
    case "restored":
      return "restored now";
    case "changed-now":
      return "changed now (Pending)";
    case "subscribed":
      return "new, Pending";
    case "scheduled-change-cleared":
      return "scheduled downgrade cleared";
    case "downgrade-scheduled":
      return mode === "deactivate" ? "staying through a group" : "moving down";
    case "unchanged":
      return mode === "deactivate" ? "staying through a group" : "unchanged";
    case "canceled":
    case "access-ended":
      return "losing access";
    case "removed":
      return "Pending subscription removed";
    case "none":
      return mode === "deactivate" ? "without a plan here" : "inactive in the directory";
  }
}

/** How many people each kind of outcome touches: "1 upgraded now · 2 new, Pending · 2 moving down on Feb 1 · 3 unchanged". */
function tally(users: readonly PreviewUser[], mode: PreviewMode): string[] {
  const counts = new Map<TallyLabel, number>();
  const downOn = new Set<string>();
  for (const { outcome } of users) {
    const label = tallyLabel(outcome, mode);
    counts.set(label, (counts.get(label) ?? 0) + 1);
    if (outcome.kind === "downgrade-scheduled") downOn.add(formatDay(outcome.at));
  }
  return tallyOrder
    .filter((label) => counts.has(label))
    .map((label) => `${counts.get(label)} ${label === "moving down" && downOn.size === 1 ? `moving down on ${[...downOn][0]}` : label}`);
}

const intro: Record<PreviewMode, string> = {
  subscribe:
    " — a move up applies now and this month is charged at the higher price; a move down takes effect on the 1st at 00:00 UTC; a new subscription costs nothing until the person first uses the tool.",
  change: " — a move up applies now and is charged at the higher price for this month; a move down takes effect on the 1st at 00:00 UTC.",
  deactivate:
    " — access ends when the month ends (or at once, if the profile says so); the month stays charged. People another group still covers stay subscribed.",
};

/**
 * What the change would do before anything is written, as the server's preview (`subscriptions.previewChange`)
 * answers it: each person's outcome and when, how many people each outcome touches, and the money this month
 * and from next month. Every amount is the server's; nothing is added up or priced here.
 */
export function PlanPreview({ preview, mode }: { preview: UseQueryResult<Preview, unknown>; mode: PreviewMode }) {
  const tierName = useTierName();
  if (preview.isPending) {
    return (
      <p className="muted" role="status">
        <span className="spinner" aria-hidden="true" /> Working out what will happen…
      </p>
    );
  }
  if (preview.isError) {
    return (
      <div role="alert" className="alert alert-error">
        {errorMessage(preview.error)}
      </div>
    );
  }
  const { users, thisMonthDeltaEstimateCents, nextMonthCents } = preview.data;
  // People whose bill changes now come first, then the 1st, then those left as they were (a stable sort keeps the server's order within each).
  const rank = (u: PreviewUser) => tallyOrder.indexOf(tallyLabel(u.outcome, mode));
  const shown = [...users].sort((a, b) => rank(a) - rank(b)).slice(0, 8);
  const counts = tally(users, mode);
  const pendingNew = users.some((u) => u.outcome.kind === "subscribed" || u.outcome.kind === "changed-now");
  return (
    <>
      <p>
        <strong>What will happen</strong>
        {intro[mode]}
      </p>
      <p className="preview-totals">
        This month: <strong>{formatDelta(thisMonthDeltaEstimateCents)}</strong> (estimate) · From next month: <strong>{formatMoney(nextMonthCents)}</strong> a month
        for {plural(users.length, "person", "people")}
        {mode === "subscribe" && pendingNew && ", Pending people once they first use the tool"}
      </p>
      {counts.length > 0 && <p className="preview-counts">{counts.join(" · ")}</p>}
      <ul className="preview-list">
        {shown.map((u) => (
          <li key={u.userId}>
            <strong>{u.name ?? "Unknown user"}</strong>: {describe(u, mode, tierName)}
          </li>
        ))}
        {users.length > shown.length && <li className="muted">and {plural(users.length - shown.length, "other person", "other people")}</li>}
        {users.length === 0 && <li className="muted">Nobody is affected (no member, or nobody subscribed).</li>}
      </ul>
    </>
  );
}
