import {
  cancelAccessModes,
  computeCharge,
  firstMonthModes,
  noteActive,
  openLedger,
  periodFromParts,
  type CancelAccessMode,
  type Catalog,
  type FirstMonthMode,
} from "@seatdesk/domain";
import { useId, useState, type FormEvent } from "react";
import { useCatalog } from "../catalog/useCatalog";
import { SaveStatus } from "./SettingsDialog";
import { fieldErrorMessage } from "./settings-format";
import type { Settings } from "./settings-types";
import { useSettingsUpdate } from "./use-settings";
import { formatMoney } from "../../lib/format";

interface Props {
  settings: Settings;
  canEdit: boolean;
}

const cancelAccessOptions: Record<CancelAccessMode, { title: string; help: string }> = {
  "end-of-month": {
    title: "At the end of the month",
    help: "A deactivated person keeps access and the rest of this month’s credits until 00:00 UTC on the 1st.",
  },
  immediate: {
    title: "Immediately",
    help: "A deactivated person loses access the moment the plan is deactivated; the month stays charged in full.",
  },
};

/**
 * "Pro activated on the 16th of a 30-day month costs $10.00 (15 of its 30 days)." The proration rule worked
 * once, by the domain's own bill (computeCharge) on the server's cheapest tier, so the example is what an
 * invoice would say. June 2026 is only a 30-day month to work it in.
 */
function proratedExample(catalog: Catalog): string {
  const tier = catalog.tiers[0];
  if (!tier) return "";
  const june = periodFromParts(2026, 5);
  const ledger = noteActive(catalog, openLedger(june, null), tier.id, new Date(Date.UTC(2026, 5, 16)), "prorated");
  const charge = computeCharge(catalog, ledger, june);
  if (!charge.proration) return "";
  const { days, daysInMonth } = charge.proration;
  return ` ${tier.name} activated on the 16th of a ${daysInMonth}-day month costs ${formatMoney(charge.feeCents)} (${days} of its ${daysInMonth} days).`;
}

function firstMonthOptions(catalog: Catalog): Record<FirstMonthMode, { title: string; help: string }> {
  return {
    full: {
      title: "Full month",
      help: "A person who becomes active in the middle of a month pays the full monthly price for it.",
    },
    prorated: {
      title: "Prorated",
      help: `The first paid month costs the price × the days left in it (counting the day of activation) ÷ the days in the month.${proratedExample(catalog)}`,
    },
  };
}

/** `cancelAccess` and `firstMonth` (DESIGN.md §2, "Statuses" and "Charges"). */
export function RulesSection({ settings, canEdit }: Props) {
  const catalog = useCatalog();
  const headingId = useId();
  return (
    <section className="panel settings-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>Cancellations and first month</h2>
          <p className="panel-description">How deactivating a plan and a person’s first paid month are handled in this profile.</p>
        </div>
      </div>
      <div className="settings-body settings-grid">
        <ChoiceForm
          legend="When a plan is deactivated, access ends"
          help="People removed or deactivated by your identity provider lose access at once, whatever this says."
          field="cancelAccess"
          values={cancelAccessModes}
          options={cancelAccessOptions}
          saved={settings.cancelAccess}
          defaultValue="end-of-month"
          saveLabel="Save access setting"
          profileId={settings.profileId}
          canEdit={canEdit}
        />
        <ChoiceForm
          legend="A person’s first paid month is charged"
          help="Applies to the month in which someone becomes Active. Later months are always charged in full."
          field="firstMonth"
          values={firstMonthModes}
          options={firstMonthOptions(catalog)}
          saved={settings.firstMonth}
          defaultValue="full"
          saveLabel="Save first-month setting"
          profileId={settings.profileId}
          canEdit={canEdit}
        />
      </div>
    </section>
  );
}

interface ChoiceFormProps<T extends string> {
  legend: string;
  help: string;
  field: "cancelAccess" | "firstMonth";
  values: readonly T[];
  options: Record<T, { title: string; help: string }>;
  saved: T;
  defaultValue: T;
  saveLabel: string;
  profileId: string;
  canEdit: boolean;
}

function ChoiceForm<T extends CancelAccessMode | FirstMonthMode>({ legend, help, field, values, options, saved, defaultValue, saveLabel, profileId, canEdit }: ChoiceFormProps<T>) {
  const name = useId();
  const helpId = useId();
  const errorId = useId();
  const update = useSettingsUpdate(profileId);
  const [draft, setDraft] = useState<T | null>(null);
  const value = draft ?? saved;
  const dirty = value !== saved;
  const locked = !canEdit || update.isPending;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (locked || !dirty) return;
    update.mutate({ profileId, [field]: value }, { onSuccess: () => setDraft(null) });
  };
  const choose = (next: T) => {
    setDraft(next);
    update.reset();
  };

  return (
    <form className="choice-form" onSubmit={submit} aria-busy={update.isPending} noValidate>
      <fieldset disabled={!canEdit} aria-describedby={`${helpId}${update.isError ? ` ${errorId}` : ""}`}>
        <legend>{legend}</legend>
        <p id={helpId} className="field-help">
          {help}
        </p>
        {values.map((v) => (
          <label key={v} className={`choice${v === value ? " checked" : ""}`}>
            <input type="radio" name={name} value={v} checked={v === value} disabled={locked} onChange={() => choose(v)} />
            <span>
              <span className="choice-title">
                {options[v].title}
                {v === defaultValue && <span className="muted"> (default)</span>}
                {v === saved && dirty && <span className="muted"> · in force</span>}
              </span>
              <span className="choice-help">{options[v].help}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {update.isError && (
        <p id={errorId} role="alert" className="field-error">
          {fieldErrorMessage(update.error, field)}
        </p>
      )}
      {canEdit && (
        <div className="form-actions">
          <button type="submit" className="btn btn-primary btn-small" disabled={update.isPending || !dirty}>
            {update.isPending && <span className="spinner spinner-light" aria-hidden="true" />}
            {update.isPending ? "Saving…" : saveLabel}
          </button>
          {dirty && !update.isPending && (
            <button type="button" className="btn btn-link" onClick={() => choose(saved)}>
              Undo
            </button>
          )}
          <SaveStatus pending={false} saved={update.isSuccess && !dirty} />
        </div>
      )}
    </form>
  );
}
