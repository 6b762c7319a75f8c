import type { AppRouter } from "@seatdesk/server/router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterClient } from "@trpc/client";
import { useId, useState } from "react";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { CopyField, CreateSecretDialog, type SecretCreation } from "./CreateSecretDialog";
import { CredentialsTable, withBreakAfterAt } from "./CredentialsTable";
import { ConfirmDialog, Modal } from "./SettingsDialog";

type Api = inferRouterClient<AppRouter>;
type ScimTokenRow = Awaited<ReturnType<Api["scimTokens"]["list"]["query"]>>[number];

interface Props {
  /** Owners create and revoke tokens; admins and viewers see the list. */
  isOwner: boolean;
  /** Owners and admins get the Copy button of the base URL; viewers see the address only. */
  canEdit: boolean;
  onNotice: (text: string) => void;
}

/** Where an identity provider sends SCIM requests: this console's own address (issue 8). */
export const scimBaseUrl = () => `${window.location.origin}/scim/v2`;

/**
 * The account's identity provider (issue 8): the SCIM base URL to paste into Okta or Entra, and the
 * account's SCIM tokens. A token opens /scim/v2 for the whole account (every region), so only owners
 * make and revoke them; the token exists only in the answer to `scimTokens.create`, never in the cache.
 */
export function ScimSection({ isOwner, canEdit, onNotice }: Props) {
  const trpc = useTRPC();
  const headingId = useId();
  const tokens = useQuery(trpc.scimTokens.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ScimTokenRow | null>(null);
  const queryClient = useQueryClient();
  const revoke = useMutation(trpc.scimTokens.revoke.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.scimTokens.pathFilter()) }));
  const rows = tokens.data;
  const baseUrl = scimBaseUrl();

  return (
    <section className="panel settings-panel scim-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>Identity provider (SCIM)</h2>
          <p className="panel-description">
            Okta, Microsoft Entra ID and other identity providers keep your people and groups here up to date over SCIM 2.0. A person added to a
            subscribed group gets a subscription at once; a person deactivated or deleted there is Canceled here. One token serves the whole
            account, in every region.
          </p>
        </div>
        {isOwner && (
          <div className="panel-actions">
            <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
              Create token
            </button>
          </div>
        )}
      </div>
      <div className="scim-connection">
        {canEdit ? (
          <CopyField label="SCIM base URL" value={baseUrl} noun="address" />
        ) : (
          <div className="field">
            <label htmlFor={`${headingId}-url`}>SCIM base URL</label>
            <div className="key-reveal">
              <input id={`${headingId}-url`} type="text" readOnly value={baseUrl} className="key-value" spellCheck={false} onFocus={(e) => e.target.select()} />
            </div>
          </div>
        )}
        <p className="field-help">
          Paste it as the base URL (Okta) or Tenant URL (Entra), with a token below as the bearer token (<code>Authorization: Bearer scim_…</code>).
        </p>
      </div>
      {!isOwner && (
        <p className="muted scim-owner-note" role="note">
          Only an owner can create or revoke SCIM tokens.
        </p>
      )}
      {tokens.isError && (
        <div role="alert" className="alert alert-error panel-alert">
          Could not load the SCIM tokens: {errorMessage(tokens.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void tokens.refetch()}>
            Try again
          </button>
        </div>
      )}
      <CredentialsTable
        label="SCIM tokens"
        rows={rows}
        loading={tokens.isPending}
        fetching={tokens.isFetching}
        canRevoke={isOwner}
        empty={{ title: "No SCIM tokens", hint: isOwner ? "Create one for your identity provider and paste it into its provisioning settings." : "An owner can create one." }}
        onRevoke={(row) => {
          revoke.reset();
          setRevoking(row);
        }}
      />
      {creating && <CreateScimTokenDialog baseUrl={baseUrl} onClose={() => setCreating(false)} />}
      {revoking && (
        <ConfirmDialog
          title={`Revoke the SCIM token “${revoking.name}”?`}
          confirmLabel="Revoke token"
          pendingLabel="Revoking…"
          danger
          pending={revoke.isPending}
          error={revoke.isError ? errorMessage(revoke.error) : null}
          onClose={() => setRevoking(null)}
          onConfirm={() =>
            revoke.mutate(
              { tokenId: revoking.id },
              {
                onSuccess: () => {
                  onNotice(`Revoked the SCIM token “${revoking.name}”. Your identity provider’s calls with it are refused from now on.`);
                  setRevoking(null);
                },
              },
            )
          }
        >
          <p>
            <strong>Immediately:</strong> every SCIM call made with <code>{revoking.hint}</code> is refused, so the identity provider stops
            provisioning until it gets a new token.
          </p>
          <p>People, groups and subscriptions already provisioned stay as they are. This cannot be undone; create a new token to replace it.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** Name a token, create it, and show it once with a copy button and where to paste it. */
function CreateScimTokenDialog({ baseUrl, onClose }: { baseUrl: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(trpc.scimTokens.create.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.scimTokens.pathFilter()) }));
  const creation: SecretCreation = {
    run: async (name) => {
      const answer = await create.mutateAsync({ name });
      return { name: answer.name, secret: answer.token };
    },
    pending: create.isPending,
    error: create.isError ? create.error : null,
    reset: create.reset,
  };
  return (
    <CreateSecretDialog
      noun="token"
      kind="SCIM token"
      createdTitle="SCIM token"
      title="Create a SCIM token"
      placeholder="For example: Okta, production"
      nameHelp="Name it after the identity provider that will use it, so you know which one to revoke."
      creation={creation}
      onClose={onClose}
    >
      <p className="field-help">
        In your identity provider’s provisioning settings: base URL (Tenant URL) <code>{baseUrl}</code>, authentication by HTTP header, this
        token as the bearer token (Secret Token).
      </p>
    </CreateSecretDialog>
  );
}
