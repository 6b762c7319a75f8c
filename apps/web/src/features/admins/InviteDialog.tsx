import { useId, useState } from "react";
import { DialogButtons } from "../../components/DialogButtons";
import { CopyField } from "../settings/CreateSecretDialog";
import { Modal } from "../settings/SettingsDialog";
import { RoleChoice } from "./RoleChoice";
import type { AdminRole, AdminRow } from "./admins-types";
import { errorsByField, useInviteAdmin } from "./use-admins";

type Invited = { admin: Pick<AdminRow, "email" | "name" | "role">; oneTimePassword: string };

/**
 * An owner invites a console admin: e-mail, name, role. The server answers with a generated password,
 * once (it keeps only a hash), so the password lives in this dialog's state until it closes, never in
 * the query cache, and is shown with a Copy button as API keys are.
 */
export function InviteDialog({ onClose, onInvited }: { onClose: () => void; onInvited: (admin: Invited["admin"]) => void }) {
  const emailId = useId();
  const nameId = useId();
  const emailErrorId = useId();
  const nameErrorId = useId();
  const warningId = useId();
  const invite = useInviteAdmin();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<AdminRole>("admin");
  const [invited, setInvited] = useState<Invited | null>(null);

  if (invited) {
    const { admin } = invited;
    return (
      <Modal
        title={`${admin.name} invited`}
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
          <p className="alert-title">Copy the password now. You will not see it again.</p>
          <p>Seatdesk keeps only a hash of it. If it is lost, remove {admin.name} and invite them again.</p>
        </div>
        <CopyField label="One-time password" value={invited.oneTimePassword} noun="password" autoFocus />
        <p className="field-help">
          Give it to {admin.name} by a channel you trust, with this console’s address (<code>{window.location.origin}</code>). They sign in with{" "}
          <code>{admin.email}</code> and this password.
        </p>
      </Modal>
    );
  }

  const pending = invite.isPending;
  const { byField, other } = errorsByField(invite.isError ? invite.error : null, ["email", "name", "role"] as const);
  const edited = () => invite.reset();
  const submit = () =>
    invite.mutate(
      { email, name, role },
      {
        onSuccess: (answer) => {
          setInvited(answer);
          onInvited(answer.admin);
        },
      },
    );

  return (
    <Modal
      title="Invite an admin"
      pending={pending}
      onClose={onClose}
      onSubmit={submit}
      footer={<DialogButtons pending={pending} label="Invite admin" pendingLabel="Inviting…" onCancel={onClose} disabled={!email.trim() || !name.trim()} />}
    >
      <div className="field">
        <label htmlFor={emailId}>E-mail</label>
        <input
          id={emailId}
          type="email"
          value={email}
          maxLength={320}
          autoComplete="off"
          autoFocus
          placeholder="name@example.com"
          disabled={pending}
          aria-invalid={byField.email ? true : undefined}
          aria-describedby={byField.email ? emailErrorId : undefined}
          onChange={(e) => {
            setEmail(e.target.value);
            edited();
          }}
        />
        {byField.email && (
          <p id={emailErrorId} role="alert" className="field-error">
            {byField.email}
          </p>
        )}
        <p className="field-help">They sign in with it. An address can belong to one console admin only.</p>
      </div>
      <div className="field">
        <label htmlFor={nameId}>Name</label>
        <input
          id={nameId}
          type="text"
          value={name}
          maxLength={200}
          autoComplete="off"
          disabled={pending}
          aria-invalid={byField.name ? true : undefined}
          aria-describedby={byField.name ? nameErrorId : undefined}
          onChange={(e) => {
            setName(e.target.value);
            edited();
          }}
        />
        {byField.name && (
          <p id={nameErrorId} role="alert" className="field-error">
            {byField.name}
          </p>
        )}
      </div>
      <RoleChoice
        legend="Role"
        value={role}
        disabled={pending}
        error={byField.role}
        onChange={(next) => {
          setRole(next);
          edited();
        }}
      />
      {other && (
        <div role="alert" className="alert alert-error">
          {other}
        </div>
      )}
    </Modal>
  );
}
