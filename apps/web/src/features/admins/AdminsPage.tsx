import { useId, useState } from "react";
import { PageHeader } from "../../app/PageHeader";
import type { Me } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { ConfirmDialog } from "../settings/SettingsDialog";
import { AdminsTable } from "./AdminsTable";
import { ChangeRoleDialog } from "./ChangeRoleDialog";
import { InviteDialog } from "./InviteDialog";
import { roleWord, type AdminRow } from "./admins-types";
import { errorsByField, useAdmins, useRemoveAdmin } from "./use-admins";

/**
 * Admins (issue 14): who can sign in to this account's console, with which role. Owners invite, change
 * roles and remove; admins and viewers see the list (the API shows it to every role) and nothing that
 * changes it. A role covers the whole account, every region, so the page needs no profile.
 */
export function AdminsPage({ me }: { me: Me }) {
  const admins = useAdmins();
  const isOwner = me.role === "owner";
  const headingId = useId();
  const [notice, setNotice] = useState<string | null>(null);
  const [inviting, setInviting] = useState(false);
  const [changing, setChanging] = useState<AdminRow | null>(null);
  const [removing, setRemoving] = useState<AdminRow | null>(null);
  const remove = useRemoveAdmin();
  const removeError = remove.isError ? errorsByField(remove.error, ["adminId"] as const) : null;

  return (
    // The Settings page's form, table and dialog styles serve this page as they are.
    <div className="settings-page admins-page">
      <PageHeader section="Admins" description={`People who can sign in to the console of ${me.account.name}, and what each may do. A role applies to the whole account, in every region.`}>
        Admins
      </PageHeader>
      {!isOwner && (
        <p className="alert alert-info settings-readonly" role="note">
          Only an owner can invite admins, change their roles or remove them. You can see who has access.
        </p>
      )}
      <div role="status" className="flash-region">
        {notice && (
          <div className="flash flash-success">
            <span className="flash-icon" aria-hidden="true">
              ✓
            </span>
            <span className="flash-text">{notice}</span>
            <button type="button" className="icon-button icon-button-light" aria-label="Dismiss" onClick={() => setNotice(null)}>
              <span aria-hidden="true">×</span>
            </button>
          </div>
        )}
      </div>
      <section className="panel settings-panel" aria-labelledby={headingId}>
        <div className="panel-header">
          <div>
            <h2 id={headingId}>Console admins</h2>
            <p className="panel-description">
              Each signs in with their e-mail address and a password. Owners manage admins; admins change subscriptions and settings; viewers
              read only. The account always keeps at least one owner.
            </p>
          </div>
          {isOwner && (
            <div className="panel-actions">
              <button type="button" className="btn btn-primary" onClick={() => setInviting(true)}>
                Invite admin
              </button>
            </div>
          )}
        </div>
        {admins.isError && (
          <div role="alert" className="alert alert-error panel-alert">
            Could not load the admins: {errorMessage(admins.error)}{" "}
            <button type="button" className="btn btn-link" onClick={() => void admins.refetch()}>
              Try again
            </button>
          </div>
        )}
        <AdminsTable
          rows={admins.data?.admins}
          loading={admins.isPending}
          fetching={admins.isFetching}
          canManage={isOwner}
          onChangeRole={setChanging}
          onRemove={(row) => {
            remove.reset();
            setRemoving(row);
          }}
        />
      </section>
      {inviting && <InviteDialog onClose={() => setInviting(false)} onInvited={(admin) => setNotice(`Invited ${admin.name} (${admin.email}) as ${roleWord(admin.role)}.`)} />}
      {changing && (
        <ChangeRoleDialog
          admin={changing}
          onClose={() => setChanging(null)}
          onChanged={(admin) => {
            setNotice(`${admin.name} is now ${roleWord(admin.role)}. It takes effect on their next action.`);
            setChanging(null);
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirmLabel="Remove admin"
          pendingLabel="Removing…"
          danger
          pending={remove.isPending}
          error={removeError ? (removeError.byField.adminId ?? removeError.other) : null}
          onClose={() => setRemoving(null)}
          onConfirm={() =>
            remove.mutate(
              { adminId: removing.id },
              {
                onSuccess: () => {
                  setNotice(`Removed ${removing.name} (${removing.email}). They can no longer sign in.`);
                  setRemoving(null);
                },
              },
            )
          }
        >
          <p>
            <strong>Immediately:</strong> {removing.email} can no longer sign in, and every session of theirs ends, so a console they have open
            stops working.
          </p>
          <p>Their past changes stay in the audit log. This cannot be undone; invite them again to give them access back.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
