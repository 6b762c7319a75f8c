import type { TierId } from "@seatdesk/domain";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent, type SyntheticEvent } from "react";
import { useTRPC, type SubscribeResult, type UsersTabRow } from "../../app/trpc";
import { DialogButtons } from "../../components/DialogButtons";
import { errorMessage } from "../../lib/errors";
import { formatMoney, plural } from "../../lib/format";
import { catalog, tierName } from "./tiers";
import { TierChoice } from "./TierChoice";

/** Who is being subscribed: users (with what the Users tab knows of them) or groups. */
export type Targets =
  | { kind: "users"; users: Pick<UsersTabRow, "userId" | "displayName" | "status" | "directoryActive">[] }
  | { kind: "groups"; groups: { groupId: string; displayName: string }[] };

interface Props {
  profileId: string;
  targets: Targets;
  onClose: () => void;
  onSubscribed: (result: SubscribeResult, tier: TierId) => void;
}

/**
 * Subscribes the selected users to one tier. Says what will happen and what it costs before
 * anything is written (STYLE.md, "Web"); the list refreshes before the dialog closes.
 */
export function SubscribeDialog({ profileId, targets, onClose, onSubscribed }: Props) {
  const users = targets.kind === "users" ? targets.users : [];
  const groups = targets.kind === "groups" ? targets.groups : [];
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const summaryId = useId();
  const [tier, setTier] = useState<TierId>("pro");

  const subscribe = useMutation(
    trpc.subscriptions.subscribe.mutationOptions({
      onSuccess: async (result, input) => {
        await queryClient.invalidateQueries(trpc.subscriptions.pathFilter());
        onSubscribed(result, input.tier);
      },
    }),
  );
  const pending = subscribe.isPending;

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending) return;
    subscribe.mutate(
      targets.kind === "users" ? { profileId, userIds: users.map((u) => u.userId), tier } : { profileId, groupIds: groups.map((g) => g.groupId), tier },
    );
  };

  // Escape closes a modal dialog; not while the change is being written.
  const onCancel = (event: SyntheticEvent<HTMLDialogElement>) => {
    event.preventDefault();
    if (!pending) onClose();
  };

  const chosen = catalog.tiers.find((t) => t.id === tier);
  const count = targets.kind === "users" ? users.length : groups.length;
  const existing = users.filter((u) => u.status !== null).length;
  const inactive = users.filter((u) => !u.directoryActive).length;

  return (
    <dialog ref={ref} className="modal" aria-labelledby={titleId} aria-describedby={summaryId} onCancel={onCancel}>
      <form onSubmit={submit} aria-busy={pending}>
        <div className="modal-header">
          <h2 id={titleId}>{targets.kind === "users" ? "Subscribe users" : "Subscribe groups"}</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose} disabled={pending}>
            <span aria-hidden="true">×</span>
          </button>
        </div>
        <div className="modal-body">
          <p className="selected-names">
            <span className="muted">Selected:</span> {selectedNames([...users, ...groups])}
          </p>
          <TierChoice legend="Tier" value={tier} onChange={setTier} disabled={pending} />
          <div id={summaryId} className="summary">
            {targets.kind === "groups" ? (
              <p>
                <strong>
                  {plural(count, "group")} will be assigned {tierName(tier)}.
                </strong>{" "}
                Each member is subscribed at once (new subscriptions appear as Pending and are not charged until the person first uses the
                tool); a member keeps the highest tier assigned to them, and people who join the group later are subscribed as they join.
                {chosen && ` Each active member costs ${formatMoney(chosen.priceCents)} a month.`}
              </p>
            ) : (
            <>
            <p>
              <strong>
                {plural(count, "user")} will be subscribed to {tierName(tier)}.
              </strong>{" "}
              {existing === 0
                ? "They appear as Pending and are not charged until they first use the tool."
                : "New subscriptions appear as Pending and are not charged until they first use the tool."}
            </p>
            {chosen && (
              <p>
                {count === 1
                  ? `Once active, it costs ${formatMoney(chosen.priceCents)} a month.`
                  : `Once active, each costs ${formatMoney(chosen.priceCents)} a month (${formatMoney(chosen.priceCents * count)} a month for all ${count}).`}
              </p>
            )}
            {existing > 0 && (
              <p>
                {existing} of them already {existing === 1 ? "has" : "have"} a subscription. A user keeps the highest
                tier assigned to them: a move up applies immediately and is charged at the higher price for this month; a move down takes
                effect on the 1st of next month, 00:00 UTC.
              </p>
            )}
            {inactive > 0 && (
              <p>
                {plural(inactive, "user")} {inactive === 1 ? "is" : "are"} inactive in your directory and will not be subscribed until the
                identity provider reactivates them.
              </p>
            )}
            </>
            )}
          </div>
          {subscribe.isError && (
            <div role="alert" className="alert alert-error">
              {errorMessage(subscribe.error)}
            </div>
          )}
        </div>
        <div className="modal-footer">
          <DialogButtons pending={pending} label="Subscribe" pendingLabel="Subscribing…" onCancel={onClose} />
        </div>
      </form>
    </dialog>
  );
}

export function selectedNames(targets: { displayName: string }[]): string {
  const shown = targets.slice(0, 3).map((u) => u.displayName);
  const rest = targets.length - shown.length;
  return rest > 0 ? `${shown.join(", ")} and ${plural(rest, "other")}` : shown.join(", ");
}
