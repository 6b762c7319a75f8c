import type { TierId } from "@seatdesk/domain";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent, type SyntheticEvent } from "react";
import { useTRPC } from "../../app/trpc";
import { DialogButtons } from "../../components/DialogButtons";
import { errorMessage } from "../../lib/errors";
import { formatDay, formatDelta, formatMoney, plural } from "../../lib/format";
import { selectedNames, type Targets } from "./SubscribeDialog";
import { tierName } from "./tiers";
import { TierChoice } from "./TierChoice";

interface Props {
  profileId: string;
  targets: Targets;
  /** "change": Change plan (a new tier); "deactivate": Deactivate plan (remove the assignment). */
  mode: "change" | "deactivate";
  onClose: () => void;
  /** After the change is written and the lists are fresh: a sentence for the page's notice. */
  onDone: (message: string) => void;
}

type Preview = { outcome: { kind: string; from?: TierId; to?: TierId; tier?: TierId; at?: string; accessEndsAt?: string }; name: string | null; userId: string; thisMonthEstimateCents: { delta: number }; nextMonthCents: number; after: { tier: TierId; status: string; scheduledTier: TierId | null } | null };

/** One person's line of the preview: what happens to them, when, and what it does to the bill. */
function describe(p: Preview, mode: Props["mode"]): string {
  const o = p.outcome;
  const money = p.thisMonthEstimateCents.delta;
  switch (o.kind) {
    case "upgraded":
      return `upgrade now to ${tierName(o.to!)}, ${formatDelta(money)} this month`;
    case "downgrade-scheduled":
      return mode === "deactivate"
        ? `stays subscribed through a group: ${tierName(o.to!)} from ${formatDay(o.at!)}, then ${formatMoney(p.nextMonthCents)} a month`
        : `downgrade on ${formatDay(o.at!)}, then ${formatMoney(p.nextMonthCents)} a month`;
    case "changed-now":
      return `${tierName(o.to!)} now (Pending: nothing is charged until they use the tool)`;
    case "subscribed":
      return `subscribed to ${tierName(o.tier!)}, Pending until they first use the tool`;
    case "restored":
      return `restored to ${tierName(o.tier!)}, ${formatDelta(money)} this month`;
    case "scheduled-change-cleared":
      return `stays on ${tierName(o.tier!)}; the scheduled downgrade is cleared`;
    case "unchanged":
      return mode === "deactivate" ? `stays subscribed through a group (${tierName(o.tier!)})` : `no change: keeps ${tierName(o.tier!)}`;
    case "canceled":
      return `loses access on ${formatDay(o.accessEndsAt!)}; this month stays charged`;
    case "removed":
      return "Pending subscription removed; nothing was charged";
    default:
      return mode === "deactivate" ? "has no plan here: no change" : "not subscribed (inactive in the directory, or no plan to change)";
  }
}

/**
 * Change plan and Deactivate plan: before anything is written, the server's preview says what happens
 * to each person, when (now, or on the 1st), and what it does to this month's bill and the next ones.
 */
export function ChangeDialog({ profileId, targets, mode, onClose, onDone }: Props) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const summaryId = useId();
  const [tier, setTier] = useState<TierId>("pro_plus");
  const ids = targets.kind === "users" ? { userIds: targets.users.map((u) => u.userId) } : { groupIds: targets.groups.map((g) => g.groupId) };
  const chosen = mode === "change" ? tier : null;
  const preview = useQuery(trpc.subscriptions.previewChange.queryOptions({ profileId, ...ids, tier: chosen }));

  const done = async (results: { outcome: { kind: string } }[]) => {
    await queryClient.invalidateQueries(trpc.subscriptions.pathFilter());
    const changed = results.filter((r) => r.outcome.kind !== "unchanged" && r.outcome.kind !== "none").length;
    onDone(
      mode === "change"
        ? `Changed the plan of ${plural(changed, "user")} to ${tierName(tier)}.`
        : `Deactivated the plan of ${plural(targets.kind === "users" ? targets.users.length : targets.groups.length, targets.kind === "users" ? "user" : "group")}.`,
    );
  };
  const change = useMutation(trpc.subscriptions.changePlan.mutationOptions({ onSuccess: (r) => done(r.results) }));
  const deactivate = useMutation(trpc.subscriptions.unsubscribe.mutationOptions({ onSuccess: (r) => done(r.results) }));
  const mutation = mode === "change" ? change : deactivate;
  const pending = mutation.isPending;

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending || !preview.data) return;
    if (mode === "change") change.mutate({ profileId, ...ids, tier });
    else deactivate.mutate({ profileId, ...ids });
  };
  const onCancel = (event: SyntheticEvent<HTMLDialogElement>) => {
    event.preventDefault();
    if (!pending) onClose();
  };

  const names = targets.kind === "users" ? targets.users : targets.groups;
  const users = (preview.data?.users ?? []) as Preview[];
  const shown = users.slice(0, 8);
  const title = mode === "change" ? "Change plan" : "Deactivate plan";
  const losing = users.filter((u) => u.outcome.kind === "canceled" || u.outcome.kind === "removed").length;
  const staying = users.filter((u) => mode === "deactivate" && (u.outcome.kind === "unchanged" || u.outcome.kind === "downgrade-scheduled")).length;

  return (
    <dialog ref={ref} className="modal" aria-labelledby={titleId} aria-describedby={summaryId} onCancel={onCancel}>
      <form onSubmit={submit} aria-busy={pending}>
        <div className="modal-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose} disabled={pending}>
            <span aria-hidden="true">×</span>
          </button>
        </div>
        <div className="modal-body">
          <p className="selected-names">
            <span className="muted">Selected:</span> {selectedNames(names)}
          </p>
          {mode === "change" && (
            <TierChoice legend="New tier" value={tier} onChange={setTier} disabled={pending} />
          )}
          <div id={summaryId} className="summary" aria-live="polite">
            {preview.isPending && (
              <p className="muted" role="status">
                <span className="spinner" aria-hidden="true" /> Working out what will happen…
              </p>
            )}
            {preview.isError && (
              <div role="alert" className="alert alert-error">
                {errorMessage(preview.error)}
              </div>
            )}
            {preview.data && (
              <>
                <p>
                  <strong>What will happen</strong>
                  {mode === "change"
                    ? " — a move up applies now and is charged at the higher price for this month; a move down takes effect on the 1st at 00:00 UTC."
                    : " — access ends when the month ends (or at once, if the profile says so); the month stays charged. People another group still covers stay subscribed."}
                </p>
                <ul className="preview-list">
                  {shown.map((u) => (
                    <li key={u.userId}>
                      <strong>{u.name ?? "Unknown user"}</strong>: {describe(u, mode)}
                    </li>
                  ))}
                  {users.length > shown.length && <li className="muted">and {plural(users.length - shown.length, "other person", "other people")}</li>}
                  {users.length === 0 && <li className="muted">Nobody is affected (no member, or nobody subscribed).</li>}
                </ul>
                <p className="preview-totals">
                  This month: <strong>{formatDelta(preview.data.thisMonthDeltaEstimateCents)}</strong> (estimate) · From next month:{" "}
                  <strong>{formatMoney(preview.data.nextMonthCents)}</strong> a month for {plural(users.length, "person", "people")}
                </p>
                {mode === "deactivate" && (losing > 0 || staying > 0) && (
                  <p>
                    {losing > 0 && `${plural(losing, "person", "people")} will lose access. `}
                    {staying > 0 && `${plural(staying, "person", "people")} will stay subscribed through another group.`}
                  </p>
                )}
              </>
            )}
          </div>
          {mutation.isError && (
            <div role="alert" className="alert alert-error">
              {errorMessage(mutation.error)}
            </div>
          )}
        </div>
        <div className="modal-footer">
          <DialogButtons
            pending={pending}
            label={title}
            pendingLabel={mode === "change" ? "Changing…" : "Deactivating…"}
            onCancel={onClose}
            danger={mode === "deactivate"}
            disabled={!preview.data}
          />
        </div>
      </form>
    </dialog>
  );
}
