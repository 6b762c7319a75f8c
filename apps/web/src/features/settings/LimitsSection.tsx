import { useId, useState, type FormEvent } from "react";
import { SaveStatus } from "./SettingsDialog";
import { overagePrice } from "../catalog/catalog";
import { useCatalog } from "../catalog/useCatalog";
import { budgetCredits, centsToInput, fieldErrorMessage, formatWireCredits, overageMoney, parseCreditsInput, parseDollarsInput } from "./settings-format";
import type { Settings } from "./settings-types";
import { useSettingsUpdate } from "./use-settings";
import { formatMoney } from "../../lib/format";

interface Props {
  settings: Settings;
  canEdit: boolean;
}

/** The profile's default per-user cap and its monthly overage budget (DESIGN.md §2, "Overages and caps"). */
export function LimitsSection({ settings, canEdit }: Props) {
  const headingId = useId();
  return (
    <section className="panel settings-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>Overage limits</h2>
          <p className="panel-description">
            Limits on overage, counted per month. A person’s overage stops at the lower of their cap and what is left of the budget; past
            it they are blocked as if overages were off. Lowering a limit takes nothing back that was already used.
          </p>
        </div>
      </div>
      {!settings.overagesEnabled && (
        <p className="alert alert-info settings-inline-alert">
          Overages are off, so these limits only apply to users whose own overage setting is “Always allowed”, and to everyone once you turn
          overages on.
        </p>
      )}
      <div className="settings-body settings-grid">
        <DefaultCapForm settings={settings} canEdit={canEdit} />
        <BudgetForm settings={settings} canEdit={canEdit} />
      </div>
    </section>
  );
}

type Mode = "none" | "amount";

function DefaultCapForm({ settings, canEdit }: Props) {
  const catalog = useCatalog();
  const update = useSettingsUpdate(settings.profileId);
  const saved = settings.defaultCapCredits;
  const [draft, setDraft] = useState<{ mode: Mode; text: string } | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const current = draft ?? { mode: saved === null ? "none" : "amount", text: saved === null ? "" : String(saved) };
  const parsed = parseCreditsInput(current.text);
  const edit = (next: { mode: Mode; text: string }) => {
    setDraft(next);
    setLocalError(null);
    update.reset();
  };
  const reset = () => {
    setDraft(null);
    setLocalError(null);
    update.reset();
  };
  const submit = () => {
    if (current.mode === "amount" && "error" in parsed) return setLocalError(parsed.error);
    const value = current.mode === "none" ? null : "value" in parsed ? parsed.value : null;
    update.mutate({ profileId: settings.profileId, defaultCapCredits: value }, { onSuccess: () => setDraft(null) });
  };
  const dirty = draft !== null && (current.mode === "none" ? saved !== null : !("value" in parsed) || parsed.value !== saved);

  return (
    <AmountForm
      legend="Default overage cap per user"
      help="The credits of overage each person may use in a month, unless a group or user override below says otherwise."
      noneLabel="No cap"
      noneHelp="Overage is limited only by the budget."
      amountPrefix="Up to"
      amountSuffix="credits a month"
      inputLabel="Default cap in credits"
      amountChoiceLabel="Cap at a number of credits"
      inputMode="decimal"
      amountHint={current.mode === "amount" && "value" in parsed ? `At most ${overageMoney(catalog, parsed.value)} of overage per person a month, at ${overagePrice(catalog)} per credit.` : null}
      savedText={saved === null ? "No default cap" : `${formatWireCredits(saved)} a month per person`}
      mode={current.mode}
      text={current.text}
      onEdit={edit}
      onReset={reset}
      onSubmit={submit}
      dirty={dirty}
      canEdit={canEdit}
      pending={update.isPending}
      success={update.isSuccess}
      error={localError ?? (update.isError ? fieldErrorMessage(update.error, "defaultCapCredits") : null)}
      saveLabel="Save cap"
    />
  );
}

function BudgetForm({ settings, canEdit }: Props) {
  const catalog = useCatalog();
  const update = useSettingsUpdate(settings.profileId);
  const saved = settings.budgetCents;
  const [draft, setDraft] = useState<{ mode: Mode; text: string } | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const current = draft ?? { mode: saved === null ? "none" : "amount", text: saved === null ? "" : centsToInput(saved) };
  const parsed = parseDollarsInput(current.text);
  const edit = (next: { mode: Mode; text: string }) => {
    setDraft(next);
    setLocalError(null);
    update.reset();
  };
  const reset = () => {
    setDraft(null);
    setLocalError(null);
    update.reset();
  };
  const submit = () => {
    if (current.mode === "amount" && "error" in parsed) return setLocalError(parsed.error);
    const value = current.mode === "none" ? null : "cents" in parsed ? parsed.cents : null;
    update.mutate({ profileId: settings.profileId, budgetCents: value }, { onSuccess: () => setDraft(null) });
  };
  const dirty = draft !== null && (current.mode === "none" ? saved !== null : !("cents" in parsed) || parsed.cents !== saved);

  return (
    <AmountForm
      legend="Monthly overage budget for the profile"
      help="When the overage used this month by everyone in this profile reaches the budget, overage stops for everyone until the 1st (00:00 UTC)."
      noneLabel="No budget"
      noneHelp="Overage is limited only by each person’s cap."
      amountPrefix="$"
      amountSuffix="a month"
      inputLabel="Monthly budget in US dollars"
      amountChoiceLabel="Set a monthly budget"
      inputMode="decimal"
      amountHint={
        current.mode === "amount" && "cents" in parsed
          ? `${formatMoney(parsed.cents)} pays for ${budgetCredits(catalog, parsed.cents)} of overage.`
          : null
      }
      savedText={saved === null ? "No budget" : `${formatMoney(saved)} a month`}
      mode={current.mode}
      text={current.text}
      onEdit={edit}
      onReset={reset}
      onSubmit={submit}
      dirty={dirty}
      canEdit={canEdit}
      pending={update.isPending}
      success={update.isSuccess}
      error={localError ?? (update.isError ? fieldErrorMessage(update.error, "budgetCents") : null)}
      saveLabel="Save budget"
    />
  );
}

interface AmountFormProps {
  legend: string;
  help: string;
  noneLabel: string;
  noneHelp: string;
  amountPrefix: string;
  amountSuffix: string;
  inputLabel: string;
  /** The accessible name of the radio beside the text box. */
  amountChoiceLabel: string;
  inputMode: "decimal" | "numeric";
  amountHint: string | null;
  /** The value in force, in words, for viewers and after a save. */
  savedText: string;
  mode: Mode;
  text: string;
  onEdit: (next: { mode: Mode; text: string }) => void;
  /** Back to the value in force. */
  onReset: () => void;
  onSubmit: () => void;
  dirty: boolean;
  canEdit: boolean;
  pending: boolean;
  success: boolean;
  error: string | null;
  saveLabel: string;
}

/** "None" or an amount, as two radios and a text box, with its own Save, status and error. */
function AmountForm(p: AmountFormProps) {
  const name = useId();
  const inputId = useId();
  const helpId = useId();
  const errorId = useId();
  const hintId = useId();
  const locked = !p.canEdit || p.pending;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!locked && p.dirty) p.onSubmit();
  };
  return (
    <form className="amount-form" onSubmit={submit} aria-busy={p.pending} noValidate>
      <fieldset disabled={!p.canEdit} aria-describedby={helpId}>
        <legend>{p.legend}</legend>
        <p id={helpId} className="field-help">
          {p.help}
        </p>
        <p className="in-force">
          <span className="muted">In force:</span> <strong>{p.savedText}</strong>
        </p>
        <label className={`choice${p.mode === "none" ? " checked" : ""}`}>
          <input type="radio" name={name} checked={p.mode === "none"} disabled={locked} onChange={() => p.onEdit({ mode: "none", text: p.text })} />
          <span>
            <span className="choice-title">{p.noneLabel}</span>
            <span className="choice-help">{p.noneHelp}</span>
          </span>
        </label>
        <div className={`choice choice-amount${p.mode === "amount" ? " checked" : ""}`}>
          <input
            type="radio"
            name={name}
            aria-label={p.amountChoiceLabel}
            checked={p.mode === "amount"}
            disabled={locked}
            onChange={() => p.onEdit({ mode: "amount", text: p.text })}
          />
          <span className="amount-line">
            <label htmlFor={inputId} className="visually-hidden">
              {p.inputLabel}
            </label>
            <span aria-hidden="true">{p.amountPrefix}</span>
            <input
              id={inputId}
              type="text"
              inputMode={p.inputMode}
              autoComplete="off"
              className="amount-input"
              value={p.text}
              readOnly={locked}
              aria-invalid={p.error ? true : undefined}
              aria-describedby={[p.error ? errorId : "", p.amountHint ? hintId : ""].filter(Boolean).join(" ") || undefined}
              onChange={(e) => p.onEdit({ mode: "amount", text: e.target.value })}
              onFocus={() => p.mode !== "amount" && p.canEdit && p.onEdit({ mode: "amount", text: p.text })}
            />
            <span aria-hidden="true">{p.amountSuffix}</span>
          </span>
        </div>
        {p.amountHint && (
          <p id={hintId} className="field-help amount-hint">
            {p.amountHint}
          </p>
        )}
      </fieldset>
      {p.error && (
        <p id={errorId} role="alert" className="field-error">
          {p.error}
        </p>
      )}
      {p.canEdit && (
        <div className="form-actions">
          <button type="submit" className="btn btn-primary btn-small" disabled={p.pending || !p.dirty}>
            {p.pending && <span className="spinner spinner-light" aria-hidden="true" />}
            {p.pending ? "Saving…" : p.saveLabel}
          </button>
          {p.dirty && !p.pending && (
            <button type="button" className="btn btn-link" onClick={p.onReset}>
              Undo
            </button>
          )}
          <SaveStatus pending={false} saved={p.success && !p.dirty} />
        </div>
      )}
    </form>
  );
}
