import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState } from "react";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { CredentialsTable } from "./CredentialsTable";
import { ConfirmDialog, Modal } from "./SettingsDialog";
import { fieldErrorMessage } from "./settings-format";
import type { ApiKeyRow, CreatedKey } from "./settings-types";

interface Props {
  profileId: string;
  canEdit: boolean;
  onNotice: (text: string) => void;
}

/**
 * Profile API keys for the tool's backends. The server stores a hash: the key itself exists only in the
 * answer to `keys.create`, so it lives in this component's state until the dialog closes, never in the cache.
 */
export function ApiKeysSection({ profileId, canEdit, onNotice }: Props) {
  const trpc = useTRPC();
  const headingId = useId();
  const keys = useQuery(trpc.keys.list.queryOptions({ profileId }));
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKeyRow | null>(null);
  const queryClient = useQueryClient();
  const revoke = useMutation(trpc.keys.revoke.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.keys.pathFilter()) }));
  const rows = keys.data;

  return (
    <section className="panel settings-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>API keys</h2>
          <p className="panel-description">
            Your tool’s backends (IDE, CLI) send a key with every usage call in this profile, as <code>Authorization: Bearer sdk_…</code>. A key is
            shown once, when it is created; Seatdesk keeps only a hash of it.
          </p>
        </div>
        {canEdit && (
          <div className="panel-actions">
            <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
              Create key
            </button>
          </div>
        )}
      </div>
      {keys.isError && (
        <div role="alert" className="alert alert-error panel-alert">
          Could not load the keys: {errorMessage(keys.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void keys.refetch()}>
            Try again
          </button>
        </div>
      )}
      <CredentialsTable
        label="API keys"
        rows={rows}
        loading={keys.isPending}
        fetching={keys.isFetching}
        canRevoke={canEdit}
        empty={{ title: "No API keys", hint: canEdit ? "Create one for each backend that records usage, so you can revoke one without stopping the others." : "An owner or admin can create one." }}
        onRevoke={(row) => {
          revoke.reset();
          setRevoking(row);
        }}
      />
      {creating && <CreateKeyDialog profileId={profileId} onClose={() => setCreating(false)} />}
      {revoking && (
        <ConfirmDialog
          title={`Revoke the key “${revoking.name}”?`}
          confirmLabel="Revoke key"
          pendingLabel="Revoking…"
          danger
          pending={revoke.isPending}
          error={revoke.isError ? errorMessage(revoke.error) : null}
          onClose={() => setRevoking(null)}
          onConfirm={() =>
            revoke.mutate(
              { profileId, keyId: revoking.id },
              {
                onSuccess: () => {
                  onNotice(`Revoked the key “${revoking.name}”. Calls with it are refused from now on.`);
                  setRevoking(null);
                },
              },
            )
          }
        >
          <p>
            <strong>Immediately:</strong> every usage call made with <code>{revoking.hint}</code> is refused. Backends that still use it can no
            longer check entitlements or record usage.
          </p>
          <p>This cannot be undone; create a new key to replace it.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}


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

/** Name a key, create it, and show it once with a copy button. */
function CreateKeyDialog({ profileId, onClose }: { profileId: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const nameId = useId();
  const errorId = useId();
  const warningId = useId();
  const [name, setName] = useState("");
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const create = useMutation(
    trpc.keys.create.mutationOptions({
      onSuccess: async (answer) => {
        setCreated(answer);
        await queryClient.invalidateQueries(trpc.keys.pathFilter());
      },
    }),
  );
  const pending = create.isPending;

  if (created) {
    return (
      <Modal
        title={`Key “${created.name}” created`}
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
          <p className="alert-title">Copy the key now. You will not see it again.</p>
          <p>Seatdesk keeps only a hash of it. If you lose it, revoke it and create another.</p>
        </div>
        <CopyField label="API key" value={created.key} noun="key" multiline autoFocus />
        <p className="field-help">
          Your backends send it as <code>Authorization: Bearer …</code> on usage calls to this profile.
        </p>
      </Modal>
    );
  }

  const nameError = create.isError ? fieldErrorMessage(create.error, "name") : null;
  return (
    <Modal
      title="Create an API key"
      pending={pending}
      onClose={onClose}
      onSubmit={() => create.mutate({ profileId, name })}
      footer={
        <>
          <button type="button" className="btn btn-normal" onClick={onClose} disabled={pending}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending && <span className="spinner spinner-light" aria-hidden="true" />}
            {pending ? "Creating…" : "Create key"}
          </button>
        </>
      }
    >
      <div className="field">
        <label htmlFor={nameId}>Key name</label>
        <input
          id={nameId}
          type="text"
          value={name}
          maxLength={100}
          autoComplete="off"
          placeholder="For example: IDE backend, production"
          disabled={pending}
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? errorId : undefined}
          onChange={(e) => {
            setName(e.target.value);
            create.reset();
          }}
        />
        {nameError && (
          <p id={errorId} role="alert" className="field-error">
            {nameError}
          </p>
        )}
      </div>
      <p className="field-help">Name it after the backend that will use it, so you know which one to revoke.</p>
    </Modal>
  );
}
