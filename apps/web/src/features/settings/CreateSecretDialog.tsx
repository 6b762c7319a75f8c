import { useId, useRef, useState, type ReactNode } from "react";
import { DialogButtons } from "../../components/DialogButtons";
import { Modal } from "./SettingsDialog";
import { fieldErrorMessage } from "./settings-format";

interface CopyFieldProps {
  label: string;
  value: string;
  /** What the value is, for the fallback message: "the key is selected". */
  noun: string;
  /** A secret wraps over two lines in a text area; an address fits one line. */
  multiline?: boolean;
  autoFocus?: boolean;
}

/**
 * A read-only value with a Copy button (a key shown once, an address to paste into another tool). Without
 * clipboard permission the value is selected instead, so Ctrl+C copies it, and the field says so.
 */
export function CopyField({ label, value, noun, multiline = false, autoFocus = false }: CopyFieldProps) {
  const id = useId();
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const line = useRef<HTMLInputElement>(null);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      (area.current ?? line.current)?.select();
      setCopied("failed");
    }
  };

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="key-reveal">
        {multiline ? (
          <textarea id={id} ref={area} readOnly autoFocus={autoFocus} rows={2} value={value} className="key-value" spellCheck={false} onFocus={(e) => e.target.select()} />
        ) : (
          <input id={id} ref={line} type="text" readOnly autoFocus={autoFocus} value={value} className="key-value" spellCheck={false} onFocus={(e) => e.target.select()} />
        )}
        <button type="button" className="btn btn-normal" onClick={() => void copy()}>
          {copied === "yes" ? "Copied" : "Copy"}
        </button>
      </div>
      <span role="status" className="save-status">
        {copied === "yes" && (
          <span className="save-ok">
            <span aria-hidden="true">✓</span> Copied to the clipboard.
          </span>
        )}
        {copied === "failed" && `The browser did not allow copying: the ${noun} is selected, press Ctrl+C (⌘C) to copy it.`}
      </span>
    </div>
  );
}

/** A create call as the dialog sees it (react-query's mutation, wrapped by the section that owns it). */
export interface SecretCreation {
  /** Creates it under this name; resolves with the stored name and the secret, which is shown once. */
  run: (name: string) => Promise<{ name: string; secret: string }>;
  pending: boolean;
  /** The last attempt's error, or null. */
  error: unknown;
  reset: () => void;
}

interface CreateSecretDialogProps {
  /** "key", "token": the words of the dialog ("Create key", "Copy the key now"). */
  noun: string;
  /** "API key", "SCIM token": the secret's label. */
  kind: string;
  /** "Key", "SCIM token": the title once created ("Key “IDE” created"). */
  createdTitle: string;
  /** "Create an API key" */
  title: string;
  placeholder: string;
  /** Under the name field: what to name it after. */
  nameHelp: string;
  creation: SecretCreation;
  onClose: () => void;
  /** Under the secret once created: where it goes. */
  children: ReactNode;
}

/**
 * Name a secret (a profile API key, a SCIM token), create it, and show it once with a copy button. The
 * secret exists only in the answer to the create call, so it lives in this dialog's state until it
 * closes, never in the query cache.
 */
export function CreateSecretDialog({ noun, kind, createdTitle, title, placeholder, nameHelp, creation, onClose, children }: CreateSecretDialogProps) {
  const nameId = useId();
  const errorId = useId();
  const warningId = useId();
  const [name, setName] = useState("");
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const pending = creation.pending;

  if (created) {
    return (
      <Modal
        title={`${createdTitle} “${created.name}” created`}
        pending={false}
        onClose={onClose}
        onSubmit={onClose}
        describedBy={warningId}
        className="key-modal"
        footer={
          <button type="submit" className="btn btn-primary">
            Done
          </button>
        }
      >
        <div id={warningId} className="alert alert-warning" role="alert">
          <p className="alert-title">Copy the {noun} now. You will not see it again.</p>
          <p>Seatdesk keeps only a hash of it. If you lose it, revoke it and create another.</p>
        </div>
        <CopyField label={kind} value={created.secret} noun={noun} multiline autoFocus />
        {children}
      </Modal>
    );
  }

  const nameError = creation.error ? fieldErrorMessage(creation.error, "name") : null;
  return (
    <Modal
      title={title}
      pending={pending}
      onClose={onClose}
      onSubmit={() => creation.run(name).then(setCreated, () => undefined)}
      footer={<DialogButtons pending={pending} label={`Create ${noun}`} pendingLabel="Creating…" onCancel={onClose} />}
    >
      <div className="field">
        <label htmlFor={nameId}>{`${noun.charAt(0).toUpperCase()}${noun.slice(1)} name`}</label>
        <input
          id={nameId}
          type="text"
          value={name}
          maxLength={100}
          autoComplete="off"
          placeholder={placeholder}
          disabled={pending}
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? errorId : undefined}
          onChange={(e) => {
            setName(e.target.value);
            creation.reset();
          }}
        />
        {nameError && (
          <p id={errorId} role="alert" className="field-error">
            {nameError}
          </p>
        )}
      </div>
      <p className="field-help">{nameHelp}</p>
    </Modal>
  );
}
