import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { CreateSecretDialog, type SecretCreation } from "./CreateSecretDialog";
import { CredentialsTable } from "./CredentialsTable";
import { ConfirmDialog, Modal } from "./SettingsDialog";
import type { ApiKeyRow } from "./settings-types";

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


/** Name a key, create it, and show it once with a copy button. */
function CreateKeyDialog({ profileId, onClose }: { profileId: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(trpc.keys.create.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.keys.pathFilter()) }));
  const creation: SecretCreation = {
    run: async (name) => {
      const answer = await create.mutateAsync({ profileId, name });
      return { name: answer.name, secret: answer.key };
    },
    pending: create.isPending,
    error: create.isError ? create.error : null,
    reset: create.reset,
  };
  return (
    <CreateSecretDialog
      noun="key"
      kind="API key"
      createdTitle="Key"
      title="Create an API key"
      placeholder="For example: IDE backend, production"
      nameHelp="Name it after the backend that will use it, so you know which one to revoke."
      creation={creation}
      onClose={onClose}
    >
      <p className="field-help">
        Your backends send it as <code>Authorization: Bearer …</code> on usage calls to this profile.
      </p>
    </CreateSecretDialog>
  );
}
