interface DialogButtonsProps {
  pending: boolean;
  /** The submit button's words ("Save override"). */
  label: string;
  /** Its words while the request runs ("Saving…"). */
  pendingLabel: string;
  onCancel: () => void;
  /** A red submit button, for what cannot be undone. */
  danger?: boolean;
  /** Submit not possible yet (nothing to send). */
  disabled?: boolean;
}

/** A dialog's Cancel and submit buttons; while the request runs both are disabled and the submit one shows a spinner. */
export function DialogButtons({ pending, label, pendingLabel, onCancel, danger = false, disabled = false }: DialogButtonsProps) {
  return (
    <>
      <button type="button" className="btn btn-normal" onClick={onCancel} disabled={pending}>
        Cancel
      </button>
      <button type="submit" className={`btn ${danger ? "btn-danger" : "btn-primary"}`} disabled={pending || disabled}>
        {pending && <span className="spinner spinner-light" aria-hidden="true" />}
        {pending ? pendingLabel : label}
      </button>
    </>
  );
}
