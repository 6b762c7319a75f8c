import type { TierId } from "@seatdesk/domain";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent, type SyntheticEvent } from "react";
import { useTRPC, type SubscribeResult, type UsersTabRow } from "../../app/trpc";
import { DialogButtons } from "../../components/DialogButtons";
import { errorMessage } from "../../lib/errors";
import { plural } from "../../lib/format";
import { firstTier } from "../catalog/catalog";
import { useCatalog, useTierName } from "../catalog/useCatalog";
import { PlanPreview } from "./PlanPreview";
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
 * Subscribes the selected users or groups to one tier. Before anything is written it shows the server's
 * preview (`subscriptions.previewChange`, as Change plan does): who is subscribed, upgraded now, moved down
 * on the 1st or left unchanged, and the money this month and from next month (STYLE.md, "Web"). The list
 * refreshes before the dialog closes.
 */
export function SubscribeDialog({ profileId, targets, onClose, onSubscribed }: Props) {
  const users = targets.kind === "users" ? targets.users : [];
  const groups = targets.kind === "groups" ? targets.groups : [];
  const trpc = useTRPC();
  const catalog = useCatalog();
  const tierName = useTierName();
  const queryClient = useQueryClient();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const summaryId = useId();
  const [tier, setTier] = useState<TierId>(() => firstTier(catalog));
  const ids = targets.kind === "users" ? { userIds: users.map((u) => u.userId) } : { groupIds: groups.map((g) => g.groupId) };
  const preview = useQuery(trpc.subscriptions.previewChange.queryOptions({ profileId, ...ids, tier }));

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
    if (pending || !preview.data) return;
    subscribe.mutate({ profileId, ...ids, tier });
  };

  // Escape closes a modal dialog; not while the change is being written.
  const onCancel = (event: SyntheticEvent<HTMLDialogElement>) => {
    event.preventDefault();
    if (!pending) onClose();
  };

  const count = targets.kind === "users" ? users.length : groups.length;
  const existing = users.filter((u) => u.status !== null).length;

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
          <div id={summaryId} className="summary" aria-live="polite">
            {targets.kind === "groups" ? (
              <p>
                <strong>
                  {plural(count, "group")} will be assigned {tierName(tier)}.
                </strong>{" "}
                Each member is subscribed at once; a member keeps the highest tier assigned to them, and people who join the group later
                are subscribed as they join.
              </p>
            ) : (
              <p>
                <strong>
                  {plural(count, "user")} will be subscribed to {tierName(tier)}.
                </strong>{" "}
                {existing === 0
                  ? "They appear as Pending and are not charged until they first use the tool."
                  : "New subscriptions appear as Pending and are not charged until they first use the tool."}
              </p>
            )}
            <PlanPreview preview={preview} mode="subscribe" />
          </div>
          {subscribe.isError && (
            <div role="alert" className="alert alert-error">
              {errorMessage(subscribe.error)}
            </div>
          )}
        </div>
        <div className="modal-footer">
          <DialogButtons pending={pending} label="Subscribe" pendingLabel="Subscribing…" onCancel={onClose} disabled={!preview.data} />
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
