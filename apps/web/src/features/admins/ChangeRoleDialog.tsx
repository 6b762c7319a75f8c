import { useId, useState } from "react";
import { DialogButtons } from "../../components/DialogButtons";
import { Modal } from "../settings/SettingsDialog";
import { RoleChoice } from "./RoleChoice";
import { roleWord, type AdminRole, type AdminRow } from "./admins-types";
import { errorsByField, useChangeAdminRole } from "./use-admins";

/**
 * An owner changes an admin's role, their own included. The server keeps at least one owner and says
 * so next to the choice when a change would leave none.
 */
export function ChangeRoleDialog({ admin, onClose, onChanged }: { admin: AdminRow; onClose: () => void; onChanged: (admin: AdminRow) => void }) {
  const summaryId = useId();
  const change = useChangeAdminRole();
  const [role, setRole] = useState<AdminRole>(admin.role);
  const pending = change.isPending;
  const { byField, other } = errorsByField(change.isError ? change.error : null, ["role", "adminId"] as const);
  const demotingSelf = admin.you && admin.role === "owner" && role !== "owner";

  return (
    <Modal
      title={`Change the role of ${admin.name}`}
      pending={pending}
      onClose={onClose}
      describedBy={summaryId}
      onSubmit={() => change.mutate({ adminId: admin.id, role }, { onSuccess: (answer) => onChanged({ ...admin, ...answer.admin }) })}
      footer={<DialogButtons pending={pending} label="Change role" pendingLabel="Changing…" onCancel={onClose} disabled={role === admin.role} />}
    >
      <div id={summaryId} className="summary">
        <p>
          {admin.email} is {roleWord(admin.role)} now. A new role takes effect on their next action; they stay signed in.
        </p>
        {demotingSelf && (
          <p>
            <strong>You</strong> will no longer be able to invite, remove or change the role of admins.
          </p>
        )}
      </div>
      <RoleChoice
        legend="New role"
        value={role}
        current={admin.role}
        disabled={pending}
        error={byField.role ?? byField.adminId}
        onChange={(next) => {
          setRole(next);
          change.reset();
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
