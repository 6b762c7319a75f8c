import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState } from "react";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatUtc } from "../../lib/format";
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
  const columns = canEdit ? 6 : 5;

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
      <div className="table-wrap">
        <table className="data-table settings-table keys-table" aria-label="API keys" aria-busy={keys.isFetching}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Created by</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              {canEdit && (
                <th scope="col" className="col-actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {keys.isPending &&
              [0, 1].map((i) => (
                <tr key={i} aria-hidden="true">
                  {Array.from({ length: columns }, (_, c) => (
                    <td key={c}>
                      <span className="skeleton" />
                    </td>
                  ))}
                </tr>
              ))}
            {rows && rows.length === 0 && (
              <tr>
                <td colSpan={columns} className="empty">
                  <strong>No API keys</strong>
                  {canEdit ? "Create one for each backend that records usage, so you can revoke one without stopping the others." : "An owner or admin can create one."}
                </td>
              </tr>
            )}
            {rows?.map((k) => (
              <tr key={k.id} className={k.revokedAt ? "revoked" : undefined}>
                <th scope="row" className="cell-name">
                  <span className="name">{k.name}</span>
                  <code className="email">{k.hint}</code>
                </th>
                <td className="cell-date">{formatUtc(k.createdAt)}</td>
                <td className="cell-email">{withBreakAfterAt(k.createdBy)}</td>
                <td className="cell-date">{k.lastUsedAt ? formatUtc(k.lastUsedAt) : <span className="blank">Never</span>}</td>
                <td>
                  {k.revokedAt ? (
                    <>
                      <span className="badge badge-canceled">Revoked</span>
                      <span className="note">{formatUtc(k.revokedAt)}</span>
                    </>
                  ) : (
                    <span className="badge badge-active">Active</span>
                  )}
                </td>
                {canEdit && (
                  <td className="cell-actions">
                    {!k.revokedAt && (
                      <button
                        type="button"
                        className="btn btn-normal btn-small"
                        aria-label={`Revoke ${k.name}`}
                        onClick={() => {
                          revoke.reset();
                          setRevoking(k);
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
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

/** "admin@<wbr>northwind.example": a narrow column breaks an address where a person would. */
function withBreakAfterAt(email: string) {
  const at = email.indexOf("@");
  if (at < 0) return email;
  return (
    <>
      {email.slice(0, at + 1)}
      <wbr />
      {email.slice(at + 1)}
    </>
  );
}

/** Name a key, create it, and show it once with a copy button. */
function CreateKeyDialog({ profileId, onClose }: { profileId: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const nameId = useId();
  const keyId = useId();
  const errorId = useId();
  const warningId = useId();
  const [name, setName] = useState("");
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  const keyInput = useRef<HTMLTextAreaElement>(null);
  const create = useMutation(
    trpc.keys.create.mutationOptions({
      onSuccess: async (answer) => {
        setCreated(answer);
        await queryClient.invalidateQueries(trpc.keys.pathFilter());
      },
    }),
  );
  const pending = create.isPending;

  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied("yes");
    } catch {
      // No clipboard permission: select the key so Ctrl+C copies it, and say so.
      keyInput.current?.select();
      setCopied("failed");
    }
  };

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
        <div className="field">
          <label htmlFor={keyId}>API key</label>
          <div className="key-reveal">
            <textarea
              id={keyId}
              ref={keyInput}
              readOnly
              autoFocus
              rows={2}
              value={created.key}
              className="key-value"
              spellCheck={false}
              onFocus={(e) => e.target.select()}
            />
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
            {copied === "failed" && "The browser did not allow copying: the key is selected, press Ctrl+C (⌘C) to copy it."}
          </span>
        </div>
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
