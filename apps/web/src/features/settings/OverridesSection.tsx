import { overageSwitches, type OverageSwitch } from "@seatdesk/domain";
import { useId, useState } from "react";
import { CapChoice, capDraftOf, capOfDraft, type CapDraft } from "./CapChoice";
import { DirectoryPicker, type Picked } from "./DirectoryPicker";
import { ConfirmDialog, Modal } from "./SettingsDialog";
import { fieldErrorMessage, formatCap, formatWireCredits, overageSwitchLabels } from "./settings-format";
import type { GroupOverride, Settings, UserOverride, WireCap } from "./settings-types";
import { useSetGroupOverride, useSetUserOverride } from "./use-settings";
import { DialogButtons } from "../../components/DialogButtons";
import { errorMessage } from "../../lib/errors";

interface Props {
  settings: Settings;
  canEdit: boolean;
  onNotice: (text: string) => void;
}

/** What a person without an override of their own gets: "the default cap (500 credits)" or "no cap". */
function defaultCapText(settings: Settings): string {
  return settings.defaultCapCredits === null ? "no cap (no default is set)" : `the default cap of ${formatWireCredits(settings.defaultCapCredits)}`;
}

/**
 * Group overrides (DESIGN.md §2 edge case 5): they apply to members whether or not the group is assigned,
 * win over the default even when lower, and a member of several groups gets the most generous.
 */
export function GroupOverridesSection({ settings, canEdit, onNotice }: Props) {
  const headingId = useId();
  const [editing, setEditing] = useState<GroupOverride | "new" | null>(null);
  const [removing, setRemoving] = useState<GroupOverride | null>(null);
  const remove = useSetGroupOverride();
  const rows = settings.groupOverrides;

  return (
    <section className="panel settings-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>Group overrides</h2>
          <p className="panel-description">
            A group’s cap replaces the default cap for its members, even when it is lower, whether or not the group is subscribed. Someone in
            several groups gets the most generous of their groups’ caps.
          </p>
        </div>
        {canEdit && (
          <div className="panel-actions">
            <button type="button" className="btn btn-normal" onClick={() => setEditing("new")}>
              Add group override
            </button>
          </div>
        )}
      </div>
      <div className="table-wrap">
        <table className="data-table settings-table" aria-label="Group overrides">
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Overage cap per member</th>
              {canEdit && (
                <th scope="col" className="col-actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={canEdit ? 3 : 2} className="empty">
                  <strong>No group overrides</strong>
                  Members of every group get {defaultCapText(settings)}.
                </td>
              </tr>
            )}
            {rows.map((g) => (
              <tr key={g.groupId}>
                <th scope="row" className="cell-strong">
                  {g.displayName}
                </th>
                <td>{formatCap(g.cap)}</td>
                {canEdit && (
                  <td className="cell-actions">
                    <button type="button" className="btn btn-link" aria-label={`Change the override for ${g.displayName}`} onClick={() => setEditing(g)}>
                      Change
                    </button>
                    <button
                      type="button"
                      className="btn btn-link"
                      aria-label={`Remove the override for ${g.displayName}`}
                      onClick={() => {
                        remove.reset();
                        setRemoving(g);
                      }}
                    >
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {editing && (
        <GroupOverrideDialog
          settings={settings}
          existing={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(name, cap) => {
            setEditing(null);
            onNotice(`Saved the override for ${name}: ${cap === "unlimited" ? "unlimited overage" : `up to ${formatWireCredits(cap)}`} per member a month.`);
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove the override for ${removing.displayName}?`}
          confirmLabel="Remove override"
          pendingLabel="Removing…"
          danger
          pending={remove.isPending}
          error={remove.isError ? errorMessage(remove.error) : null}
          onClose={() => setRemoving(null)}
          onConfirm={() =>
            remove.mutate(
              { profileId: settings.profileId, groupId: removing.groupId, cap: null },
              {
                onSuccess: () => {
                  onNotice(`Removed the override for ${removing.displayName}.`);
                  setRemoving(null);
                },
              },
            )
          }
        >
          <p>
            <strong>At once:</strong> members of {removing.displayName} lose its cap of {formatCap(removing.cap).toLowerCase()}. Each gets the most
            generous cap of their other groups, or else {defaultCapText(settings)}, unless they have an override of their own.
          </p>
          <p>Overage they already used this month is not taken back.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function GroupOverrideDialog({ settings, existing, onClose, onSaved }: { settings: Settings; existing: GroupOverride | null; onClose: () => void; onSaved: (name: string, cap: WireCap) => void }) {
  const save = useSetGroupOverride();
  const [group, setGroup] = useState<Picked | null>(existing ? { id: existing.groupId, displayName: existing.displayName, detail: "" } : null);
  const [cap, setCap] = useState<CapDraft>(existing ? capDraftOf(existing.cap) : { mode: "credits", text: "" });
  const [localError, setLocalError] = useState<string | null>(null);
  const [pickError, setPickError] = useState<string | null>(null);
  const pending = save.isPending;
  const byId = new Map(settings.groupOverrides.map((g) => [g.groupId, g]));

  const submit = () => {
    if (!group) return setPickError("Choose a group.");
    const parsed = capOfDraft(cap);
    if ("error" in parsed) return setLocalError(parsed.error);
    if (parsed.cap === null) return setLocalError("Choose a cap.");
    const chosenCap = parsed.cap;
    save.mutate({ profileId: settings.profileId, groupId: group.id, cap: chosenCap }, { onSuccess: () => onSaved(group.displayName, chosenCap) });
  };
  const serverError = save.isError ? fieldErrorMessage(save.error, "cap") : null;

  return (
    <Modal
      title={existing ? `Change the override for ${existing.displayName}` : "Add a group override"}
      pending={pending}
      onClose={onClose}
      onSubmit={submit}
      footer={<DialogButtons pending={pending} label="Save override" pendingLabel="Saving…" onCancel={onClose} />}
    >
      {!existing && (
        <DirectoryPicker
          kind="group"
          chosen={group}
          disabled={pending}
          noteFor={(id) => {
            const o = byId.get(id);
            return o ? `Has an override: ${formatCap(o.cap).toLowerCase()}` : null;
          }}
          onChoose={(g) => {
            setGroup(g);
            setPickError(null);
            save.reset();
            const o = byId.get(g.id);
            if (o) setCap(capDraftOf(o.cap));
          }}
        />
      )}
      {pickError && (
        <p role="alert" className="field-error">
          {pickError}
        </p>
      )}
      <CapChoice
        legend="Overage cap per member"
        value={cap}
        disabled={pending}
        onChange={(next) => {
          setCap(next);
          setLocalError(null);
          save.reset();
        }}
        unlimitedHelp="Members may use overage without a per-person limit (the profile budget still applies)."
        error={localError ?? serverError}
      />
      <p className="summary">Applies at once to every member of the group, in this profile only.</p>
    </Modal>
  );
}

/** A person's own cap (wins over every group's) and their overage switch (`inherit` follows the profile). */
export function UserOverridesSection({ settings, canEdit, onNotice }: Props) {
  const headingId = useId();
  const [editing, setEditing] = useState<UserOverride | "new" | null>(null);
  const [removing, setRemoving] = useState<UserOverride | null>(null);
  const remove = useSetUserOverride();
  const rows = settings.userOverrides;
  const profileOverage = settings.overagesEnabled ? "on" : "off";

  return (
    <section className="panel settings-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>User overrides</h2>
          <p className="panel-description">
            A person’s own cap wins over their groups’ caps and the default. Their overage setting can follow the profile (overages are{" "}
            {profileOverage} now), or always allow or never allow overage for them alone.
          </p>
        </div>
        {canEdit && (
          <div className="panel-actions">
            <button type="button" className="btn btn-normal" onClick={() => setEditing("new")}>
              Add user override
            </button>
          </div>
        )}
      </div>
      <div className="table-wrap">
        <table className="data-table settings-table" aria-label="User overrides">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Overage cap</th>
              <th scope="col">Overage</th>
              {canEdit && (
                <th scope="col" className="col-actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={canEdit ? 4 : 3} className="empty">
                  <strong>No user overrides</strong>
                  Everyone follows the profile’s overage setting and their groups’ caps or the default cap.
                </td>
              </tr>
            )}
            {rows.map((u) => (
              <tr key={u.userId}>
                <th scope="row" className="cell-name">
                  <span className="name">{u.displayName}</span>
                  <span className="email">{u.email}</span>
                </th>
                <td>{u.cap === null ? <span className="muted">From groups or default</span> : formatCap(u.cap)}</td>
                <td>
                  {overageSwitchLabels[u.overage]}
                  {u.overage === "inherit" && <span className="note">Overages are {profileOverage}</span>}
                </td>
                {canEdit && (
                  <td className="cell-actions">
                    <button type="button" className="btn btn-link" aria-label={`Change the override for ${u.displayName}`} onClick={() => setEditing(u)}>
                      Change
                    </button>
                    <button
                      type="button"
                      className="btn btn-link"
                      aria-label={`Remove the override for ${u.displayName}`}
                      onClick={() => {
                        remove.reset();
                        setRemoving(u);
                      }}
                    >
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {editing && (
        <UserOverrideDialog
          settings={settings}
          existing={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(name) => {
            setEditing(null);
            onNotice(`Saved the override for ${name}.`);
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove the override for ${removing.displayName}?`}
          confirmLabel="Remove override"
          pendingLabel="Removing…"
          danger
          pending={remove.isPending}
          error={remove.isError ? errorMessage(remove.error) : null}
          onClose={() => setRemoving(null)}
          onConfirm={() =>
            remove.mutate(
              { profileId: settings.profileId, userId: removing.userId, cap: null, overage: "inherit" },
              {
                onSuccess: () => {
                  onNotice(`Removed the override for ${removing.displayName}.`);
                  setRemoving(null);
                },
              },
            )
          }
        >
          <p>
            <strong>At once:</strong> {removing.displayName} follows the profile’s overage setting (overages are {profileOverage}) and gets the most
            generous cap of their groups, or else {defaultCapText(settings)}.
          </p>
          <p>Overage they already used this month is not taken back.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function UserOverrideDialog({ settings, existing, onClose, onSaved }: { settings: Settings; existing: UserOverride | null; onClose: () => void; onSaved: (name: string) => void }) {
  const save = useSetUserOverride();
  const switchId = useId();
  const [user, setUser] = useState<Picked | null>(existing ? { id: existing.userId, displayName: existing.displayName, detail: existing.email } : null);
  const [cap, setCap] = useState<CapDraft>(existing ? capDraftOf(existing.cap) : { mode: "none", text: "" });
  const [overage, setOverage] = useState<OverageSwitch>(existing?.overage ?? "inherit");
  const [capError, setCapError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const pending = save.isPending;
  const byId = new Map(settings.userOverrides.map((u) => [u.userId, u]));
  const profileOverage = settings.overagesEnabled ? "on" : "off";

  const submit = () => {
    if (!user) return setFormError("Choose a user.");
    const parsed = capOfDraft(cap);
    if ("error" in parsed) return setCapError(parsed.error);
    if (!existing && !byId.has(user.id) && parsed.cap === null && overage === "inherit") {
      return setFormError("Choose a cap or an overage setting for them: as it is, this override would change nothing.");
    }
    save.mutate({ profileId: settings.profileId, userId: user.id, cap: parsed.cap, overage }, { onSuccess: () => onSaved(user.displayName) });
  };
  const clearErrors = () => {
    setCapError(null);
    setFormError(null);
    save.reset();
  };
  const serverMessage = save.isError ? errorMessage(save.error) : null;
  const capServerError = serverMessage?.startsWith("cap: ") ? fieldErrorMessage(save.error, "cap") : null;

  return (
    <Modal
      title={existing ? `Change the override for ${existing.displayName}` : "Add a user override"}
      pending={pending}
      onClose={onClose}
      onSubmit={submit}
      footer={<DialogButtons pending={pending} label="Save override" pendingLabel="Saving…" onCancel={onClose} />}
    >
      {!existing && (
        <DirectoryPicker
          kind="user"
          chosen={user}
          disabled={pending}
          noteFor={(id) => (byId.has(id) ? "Has an override" : null)}
          onChoose={(u) => {
            setUser(u);
            clearErrors();
            const o = byId.get(u.id);
            if (o) {
              setCap(capDraftOf(o.cap));
              setOverage(o.overage);
            }
          }}
        />
      )}
      <div className="field">
        <label htmlFor={switchId}>Overage for this person</label>
        <select
          id={switchId}
          value={overage}
          disabled={pending}
          onChange={(e) => {
            setOverage(e.target.value as OverageSwitch);
            clearErrors();
          }}
        >
          {overageSwitches.map((s) => (
            <option key={s} value={s}>
              {s === "inherit" ? `Follow the profile (overages are ${profileOverage})` : s === "on" ? "Always allow overage" : "Never allow overage"}
            </option>
          ))}
        </select>
      </div>
      <CapChoice
        legend="Overage cap"
        value={cap}
        disabled={pending}
        onChange={(next) => {
          setCap(next);
          clearErrors();
        }}
        noneLabel="No cap of their own"
        noneHelp={`Their groups’ caps apply, or else ${defaultCapText(settings)}.`}
        unlimitedHelp="No per-person limit, whatever their groups say (the profile budget still applies)."
        error={capError ?? capServerError}
      />
      {(formError || (serverMessage && !capServerError)) && (
        <p role="alert" className="alert alert-error">
          {formError ?? serverMessage}
        </p>
      )}
      <p className="summary">Applies at once, in this profile only.</p>
    </Modal>
  );
}
