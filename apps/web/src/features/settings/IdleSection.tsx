import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatMoney, plural } from "../../lib/format";
import { useDebouncedValue } from "../../lib/use-debounced-value";
import { SaveStatus } from "./SettingsDialog";
import type { Settings } from "./settings-types";
import { useSettingsUpdate } from "./use-settings";

type Key = "idleWarnDays" | "idleDeactivateDays" | "idleExpireDays";
const fields: { key: Key; label: string; help: string }[] = [
  { key: "idleWarnDays", label: "Warn after (days idle)", help: "An Active seat not used for this many days gets a notice." },
  { key: "idleDeactivateDays", label: "Then deactivate the plan after (days)", help: "Days after the warning, if still idle. Needs a warning. A group's plan stays." },
  { key: "idleExpireDays", label: "Pending seats expire after (days)", help: "A seat never activated this long loses its own assignment." },
];

const toDraft = (s: Settings): Record<Key, string> => ({
  idleWarnDays: s.idleWarnDays?.toString() ?? "",
  idleDeactivateDays: s.idleDeactivateDays?.toString() ?? "",
  idleExpireDays: s.idleExpireDays?.toString() ?? "",
});
/** An empty box is off (null); anything else goes to the server as typed, which names a bad value's field. */
const toValue = (v: string): number | null => (v.trim() === "" ? null : Number(v));

/**
 * The idle-seat automation (issue 15): three thresholds, each off when empty, and before saving the server's
 * preview of what they would do now (counts and money from settings.previewIdle, the job's own decision).
 */
export function IdleSection({ settings, canEdit }: { settings: Settings; canEdit: boolean }) {
  const trpc = useTRPC();
  const headingId = useId();
  const update = useSettingsUpdate(settings.profileId);
  const [draft, setDraft] = useState<Record<Key, string> | null>(null);
  const values = draft ?? toDraft(settings);
  const input = { idleWarnDays: toValue(values.idleWarnDays), idleDeactivateDays: toValue(values.idleDeactivateDays), idleExpireDays: toValue(values.idleExpireDays) };
  // Debounced as text: a new object each render would never settle.
  const debounced = JSON.parse(useDebouncedValue(JSON.stringify(input), 300)) as typeof input;
  const dirty = draft !== null && JSON.stringify(values) !== JSON.stringify(toDraft(settings));
  const preview = useQuery({ ...trpc.settings.previewIdle.queryOptions({ profileId: settings.profileId, ...debounced }), placeholderData: keepPreviousData, retry: false });

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!canEdit || !dirty) return;
    update.mutate({ profileId: settings.profileId, ...input }, { onSuccess: () => setDraft(null) });
  };
  const p = preview.data;
  const anyOn = input.idleWarnDays !== null || input.idleExpireDays !== null;

  return (
    <section className="panel settings-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>Idle seats</h2>
          <p className="panel-description">Warn about seats nobody uses, then deactivate them; let invitations nobody accepts expire. Every action is in the audit log.</p>
        </div>
      </div>
      <form className="settings-body idle-form" onSubmit={submit} noValidate aria-busy={update.isPending}>
        <fieldset disabled={!canEdit}>
          {fields.map((f) => (
            <label key={f.key} className="field">
              <span className="field-label">{f.label}</span>
              <input
                type="number"
                min={1}
                max={365}
                inputMode="numeric"
                placeholder="off"
                name={f.key}
                value={values[f.key]}
                onChange={(e) => {
                  setDraft({ ...values, [f.key]: e.target.value });
                  update.reset();
                }}
              />
              <span className="field-help">{f.help}</span>
            </label>
          ))}
        </fieldset>
        <div className="idle-preview" role="status" aria-live="polite" data-testid="idle-preview">
          {preview.isError ? (
            <p className="field-error">{errorMessage(preview.error)}</p>
          ) : !anyOn ? (
            <p className="muted">Off: nothing is done automatically.</p>
          ) : p ? (
            <p>
              {dirty ? "If saved now, this would " : "At the next run this will "}
              warn {plural(p.warn.count, "seat")}
              {p.warn.count > 0 && p.warn.savingCents > 0 && p.deactivateOn
                ? ` (deactivating their own plans on ${p.deactivateOn.slice(0, 10)} if they stay idle would save ${formatMoney(p.warn.savingCents)} a month)`
                : ""}
              , deactivate {plural(p.deactivate.count, "seat")}, saving {formatMoney(p.deactivate.savingCents)} a month, and expire {plural(p.expire.count, "Pending seat")}.
            </p>
          ) : (
            <p className="muted">
              <span className="spinner" aria-hidden="true" /> Working out what this would do…
            </p>
          )}
        </div>
        {update.isError && (
          <p role="alert" className="field-error">
            {errorMessage(update.error)}
          </p>
        )}
        {canEdit && (
          <div className="form-actions">
            <button type="submit" className="btn btn-primary btn-small" disabled={update.isPending || !dirty}>
              {update.isPending ? "Saving…" : "Save idle-seat setting"}
            </button>
            {dirty && (
              <button type="button" className="btn btn-link" onClick={() => setDraft(null)}>
                Undo
              </button>
            )}
            <SaveStatus pending={false} saved={update.isSuccess && !dirty} />
          </div>
        )}
      </form>
    </section>
  );
}
