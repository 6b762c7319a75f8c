import type { TierId } from "@seatdesk/domain";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent, type SyntheticEvent } from "react";
import { useTRPC, type SubscribeResult } from "../../app/trpc";
import { DialogButtons } from "../../components/DialogButtons";
import { errorMessage } from "../../lib/errors";
import { firstTier } from "../catalog/catalog";
import { useCatalog, useTierName } from "../catalog/useCatalog";
import { PlanPreview } from "./PlanPreview";
import { selectedNames, type Targets } from "./SubscribeDialog";
import { describeResults } from "./tiers";
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

/**
 * Change plan and Deactivate plan: before anything is written, the server's preview says what happens
 * to each person, when (now, or on the 1st), and what it does to this month's bill and the next ones.
 */
export function ChangeDialog({ profileId, targets, mode, onClose, onDone }: Props) {
  const trpc = useTRPC();
  const catalog = useCatalog();
  const tierName = useTierName();
  const queryClient = useQueryClient();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const summaryId = useId();
  // The second tier up (Pro+ in the default catalog): the usual move up from the first.
  const [tier, setTier] = useState<TierId>(() => catalog.tiers[1]?.id ?? firstTier(catalog));
  const ids = targets.kind === "users" ? { userIds: targets.users.map((u) => u.userId) } : { groupIds: targets.groups.map((g) => g.groupId) };
  const chosen = mode === "change" ? tier : null;
  const preview = useQuery(trpc.subscriptions.previewChange.queryOptions({ profileId, ...ids, tier: chosen }));

  // The notice says what the server answered per person (a downgrade on the 1st, a group that keeps someone
  // at a higher tier), never more than the preview did.
  const done = async (results: SubscribeResult["results"]) => {
    await queryClient.invalidateQueries(trpc.subscriptions.pathFilter());
    onDone(describeResults(results, mode === "change" ? tier : null, tierName, targets.kind === "users" ? "user" : "member"));
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
  const title = mode === "change" ? "Change plan" : "Deactivate plan";

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
            <PlanPreview preview={preview} mode={mode} />
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
