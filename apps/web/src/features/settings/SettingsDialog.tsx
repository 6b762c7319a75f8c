import { useEffect, useId, useRef, type FormEvent, type ReactNode, type SyntheticEvent } from "react";
import { DialogButtons } from "../../components/DialogButtons";

interface ModalProps {
  title: string;
  /** While the change is being written the dialog cannot be closed. */
  pending: boolean;
  onClose: () => void;
  onSubmit?: () => void;
  children: ReactNode;
  footer: ReactNode;
  /** The element that says what will happen, read out when the dialog opens. */
  describedBy?: string;
  className?: string;
}

/** A modal <dialog> (the SubscribeDialog pattern): opens on mount, Escape closes it unless a change is on its way. */
export function Modal({ title, pending, onClose, onSubmit, children, footer, describedBy, className }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!pending) onSubmit?.();
  };
  const onCancel = (event: SyntheticEvent<HTMLDialogElement>) => {
    event.preventDefault();
    if (!pending) onClose();
  };

  return (
    <dialog ref={ref} className={`modal${className ? ` ${className}` : ""}`} aria-labelledby={titleId} aria-describedby={describedBy} onCancel={onCancel}>
      <form onSubmit={submit} aria-busy={pending} noValidate>
        <div className="modal-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose} disabled={pending}>
            <span aria-hidden="true">×</span>
          </button>
        </div>
        <div className="modal-body">{children}</div>
        <div className="modal-footer">{footer}</div>
      </form>
    </dialog>
  );
}

interface ConfirmProps {
  title: string;
  /** What will happen, and when. */
  children: ReactNode;
  confirmLabel: string;
  pendingLabel: string;
  pending: boolean;
  /** The server's message when the change failed. */
  error: string | null;
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}

/** Asks before a change that cannot be taken back or that stops people working (issue 7, "Quality"). */
export function ConfirmDialog({ title, children, confirmLabel, pendingLabel, pending, error, danger = false, onConfirm, onClose }: ConfirmProps) {
  const summaryId = useId();
  return (
    <Modal
      title={title}
      pending={pending}
      onClose={onClose}
      onSubmit={onConfirm}
      describedBy={summaryId}
      footer={<DialogButtons pending={pending} label={confirmLabel} pendingLabel={pendingLabel} onCancel={onClose} danger={danger} />}
    >
      <div id={summaryId} className="summary">
        {children}
      </div>
      {error && (
        <div role="alert" className="alert alert-error">
          {error}
        </div>
      )}
    </Modal>
  );
}

/** "Saving…", "Saved." or nothing, next to the control that changed; announced politely. */
export function SaveStatus({ pending, saved, pendingText = "Saving…", savedText = "Saved." }: { pending: boolean; saved: boolean; pendingText?: string; savedText?: string }) {
  return (
    <span role="status" className="save-status">
      {pending ? (
        <>
          <span className="spinner" aria-hidden="true" /> {pendingText}
        </>
      ) : saved ? (
        <span className="save-ok">
          <span aria-hidden="true">✓</span> {savedText}
        </span>
      ) : null}
    </span>
  );
}
