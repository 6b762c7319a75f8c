import { useId, useState } from "react";
import { ConfirmDialog, SaveStatus } from "./SettingsDialog";
import { overagePrice } from "../catalog/catalog";
import { useCatalog } from "../catalog/useCatalog";
import { fieldErrorMessage } from "./settings-format";
import type { Settings } from "./settings-types";
import { useSettingsUpdate } from "./use-settings";
import { plural } from "../../lib/format";

interface Props {
  settings: Settings;
  canEdit: boolean;
}

/**
 * Overages on or off for the whole profile (DESIGN.md §2, "Overages and caps"): off by default,
 * effective at once for every user. Turning on saves at once; turning off asks first, because
 * people who have used their allowance stop working the moment it is saved.
 */
export function OverageSection({ settings, canEdit }: Props) {
  const catalog = useCatalog();
  const headingId = useId();
  const switchId = useId();
  const explainId = useId();
  const errorId = useId();
  const update = useSettingsUpdate(settings.profileId);
  const [confirmOff, setConfirmOff] = useState(false);

  const pending = update.isPending;
  // While the change is on its way the switch shows where it is going.
  const enabled = pending && update.variables?.overagesEnabled !== undefined ? update.variables.overagesEnabled : settings.overagesEnabled;
  const ownSwitch = settings.userOverrides.filter((u) => u.overage !== "inherit");

  const set = (on: boolean) => {
    update.mutate({ profileId: settings.profileId, overagesEnabled: on }, { onSuccess: () => setConfirmOff(false) });
  };

  const onToggle = (on: boolean) => {
    if (pending) return;
    update.reset();
    if (on) set(true);
    else setConfirmOff(true);
  };

  return (
    <section className="panel settings-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>Overages</h2>
          <p className="panel-description">Whether people may keep working after they have used the credits included in their plan this month.</p>
        </div>
      </div>
      <div className="settings-body">
        <div className="switch-row">
          <input
            id={switchId}
            type="checkbox"
            role="switch"
            className="switch"
            checked={enabled}
            disabled={!canEdit || pending}
            aria-describedby={`${explainId}${update.isError && !confirmOff ? ` ${errorId}` : ""}`}
            onChange={(e) => onToggle(e.target.checked)}
          />
          <label htmlFor={switchId} className="switch-label">
            Overages
          </label>
          <span className={`switch-state ${enabled ? "is-on" : "is-off"}`} aria-hidden="true">
            {enabled ? "On" : "Off"}
          </span>
          <SaveStatus pending={pending} saved={update.isSuccess} savedText={settings.overagesEnabled ? "Saved: overages are on." : "Saved: overages are off."} />
        </div>
        {update.isError && !confirmOff && (
          <p id={errorId} role="alert" className="field-error">
            {fieldErrorMessage(update.error, "overagesEnabled")}
          </p>
        )}
        <div id={explainId} className="overage-explain">
          <div className={`overage-case${enabled ? "" : " current"}`}>
            <p className="overage-case-title">
              Off {!enabled && <span className="current-tag">current</span>}
            </p>
            <p>
              A person who has used all the credits of their plan is blocked from paid features until the 1st of next month (00:00 UTC),
              or until you move them to a higher tier. A request already running may finish; what it uses past the allowance is shown as
              unbilled overshoot and never charged.
            </p>
          </div>
          <div className={`overage-case${enabled ? " current" : ""}`}>
            <p className="overage-case-title">
              On {enabled && <span className="current-tag">current</span>}
            </p>
            <p>
              A person who has used all the credits of their plan keeps working. What they use past the allowance is billed at{" "}
              <strong>{overagePrice(catalog)} per credit</strong> on this month’s invoice, up to their cap and the profile’s monthly budget below.
            </p>
          </div>
        </div>
        <p className="settings-note">
          A change takes effect at once for every user in this profile, in the middle of the month too. Turning overages off takes nothing
          back: overage already used this month stays on the invoice.
          {ownSwitch.length > 0 && (
            <>
              {" "}
              {plural(ownSwitch.length, "user")} with their own overage setting (under User overrides) {ownSwitch.length === 1 ? "is" : "are"} not
              affected.
            </>
          )}
        </p>
      </div>
      {confirmOff && (
        <ConfirmDialog
          title="Turn overages off?"
          confirmLabel="Turn overages off"
          pendingLabel="Turning off…"
          danger
          pending={pending}
          error={update.isError ? fieldErrorMessage(update.error, "overagesEnabled") : null}
          onConfirm={() => set(false)}
          onClose={() => {
            setConfirmOff(false);
            update.reset();
          }}
        >
          <p>
            <strong>Immediately, for every user in this profile:</strong> anyone who has used all the credits of their plan this month is
            blocked from paid features until the 1st of next month, 00:00 UTC.
          </p>
          <p>Overage already used this month stays on the invoice. Users whose own overage setting is “Always allowed” keep working.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
