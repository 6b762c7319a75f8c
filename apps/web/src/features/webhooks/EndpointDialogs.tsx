import { useMutation, useQueryClient } from "@tanstack/react-query";
import { webhookEventTypes } from "@seatdesk/domain";
import { useId, useState } from "react";
import { DialogButtons } from "../../components/DialogButtons";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { CopyField } from "../settings/CreateSecretDialog";
import { Modal } from "../settings/SettingsDialog";
import { fieldErrorMessage } from "../settings/settings-format";
import { eventTypeLabels, type EndpointRow } from "./webhooks-types";

/** The signing secret, once: after create or rotate. It lives in the dialog's state only, never in the query cache. */
function SecretShown({ title, secret, note, onClose }: { title: string; secret: string; note: string; onClose: () => void }) {
  const warningId = useId();
  return (
    <Modal
      title={title}
      pending={false}
      onClose={onClose}
      onSubmit={onClose}
      describedBy={warningId}
      className="key-modal webhook-dialog"
      footer={
        <button type="submit" className="btn btn-primary">
          Done
        </button>
      }
    >
      <div id={warningId} className="alert alert-warning" role="alert">
        <p className="alert-title">Copy the signing secret now. You will not see it again.</p>
        <p>{note}</p>
      </div>
      <CopyField label="Signing secret" value={secret} noun="secret" multiline autoFocus />
      <p className="field-help">
        Verify each request with it: <code>new Webhook(secret).verify(body, headers)</code> from the <code>standardwebhooks</code> package.
      </p>
    </Modal>
  );
}

function EventTypePicker({ value, onChange, disabled }: { value: string[]; onChange: (next: string[]) => void; disabled: boolean }) {
  return (
    <fieldset className="event-types" disabled={disabled}>
      <legend className="visually-hidden">Event types</legend>
      {webhookEventTypes.map((type) => (
        <label key={type}>
          <input type="checkbox" checked={value.includes(type)} onChange={(e) => onChange(e.target.checked ? [...value, type] : value.filter((t) => t !== type))} />
          <span>{eventTypeLabels[type] ?? type}</span>
        </label>
      ))}
    </fieldset>
  );
}

/** URL, description and event types; create shows the secret once. */
export function CreateEndpointDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (url: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(trpc.webhooks.create.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.webhooks.pathFilter()) }));
  const urlId = useId();
  const descId = useId();
  const errorId = useId();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [types, setTypes] = useState<string[]>([]);
  const [secret, setSecret] = useState<string | null>(null);

  if (secret) {
    return <SecretShown title="Endpoint created" secret={secret} note="Seatdesk keeps it to sign every request; rotate it from the endpoint's row if it leaks." onClose={onClose} />;
  }
  const urlError = create.isError ? fieldErrorMessage(create.error, "url") : null;
  return (
    <Modal
      title="Add a webhook endpoint"
      pending={create.isPending}
      onClose={onClose}
      className="webhook-dialog"
      onSubmit={() =>
        create.mutate(
          { url, description, eventTypes: types as (typeof webhookEventTypes)[number][] },
          {
            onSuccess: (answer) => {
              setSecret(answer.secret);
              onCreated(answer.endpoint.url);
            },
          },
        )
      }
      footer={<DialogButtons pending={create.isPending} label="Add endpoint" pendingLabel="Adding…" onCancel={onClose} />}
    >
      <div className="field">
        <label htmlFor={urlId}>Endpoint URL</label>
        <input
          id={urlId}
          type="url"
          value={url}
          placeholder="https://hooks.example.com/seatdesk"
          autoComplete="off"
          disabled={create.isPending}
          aria-invalid={urlError ? true : undefined}
          aria-describedby={urlError ? errorId : undefined}
          onChange={(e) => {
            setUrl(e.target.value);
            create.reset();
          }}
        />
        {urlError && (
          <p id={errorId} role="alert" className="field-error">
            {urlError}
          </p>
        )}
        <p className="field-help">http or https, without a user name or password. Addresses on your own network are allowed.</p>
      </div>
      <div className="field">
        <label htmlFor={descId}>Description (optional)</label>
        <input id={descId} type="text" value={description} maxLength={200} disabled={create.isPending} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <div className="field">
        <span className="label">Events</span>
        <p className="field-help">None ticked: every event, including kinds added later.</p>
        <EventTypePicker value={types} onChange={setTypes} disabled={create.isPending} />
      </div>
    </Modal>
  );
}

/** Rotate: the new secret is shown once; the old one keeps signing for 24 hours beside it. */
export function RotateSecretDialog({ endpoint, onClose }: { endpoint: EndpointRow; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rotate = useMutation(trpc.webhooks.rotateSecret.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.webhooks.pathFilter()) }));
  const [secret, setSecret] = useState<string | null>(null);
  if (secret) {
    return (
      <SecretShown
        title="Secret rotated"
        secret={secret}
        note="For the next 24 hours every request carries two signatures, one with the old secret and one with this one, so your receiver can switch at any time in that window."
        onClose={onClose}
      />
    );
  }
  return (
    <Modal
      title={`Rotate the signing secret of ${endpoint.url}?`}
      pending={rotate.isPending}
      onClose={onClose}
      onSubmit={() => rotate.mutate({ endpointId: endpoint.id }, { onSuccess: (a) => setSecret(a.secret) })}
      footer={<DialogButtons pending={rotate.isPending} label="Rotate secret" pendingLabel="Rotating…" onCancel={onClose} />}
    >
      <p>
        <strong>Immediately:</strong> requests are signed with a new secret, and also with <code>{endpoint.secretHint}</code> for 24 hours. After
        that, only the new secret verifies.
      </p>
      {rotate.isError && (
        <div role="alert" className="alert alert-error">
          {errorMessage(rotate.error)}
        </div>
      )}
    </Modal>
  );
}
