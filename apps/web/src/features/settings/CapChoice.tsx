import { useId } from "react";
import { overagePrice } from "../catalog/catalog";
import { useCatalog } from "../catalog/useCatalog";
import { overageMoney, parseCreditsInput } from "./settings-format";
import type { WireCap } from "./settings-types";

/** What the cap radios hold: "none" only where the override may be absent (a user's cap). */
export interface CapDraft {
  mode: "none" | "unlimited" | "credits";
  text: string;
}

export function capDraftOf(cap: WireCap | null): CapDraft {
  if (cap === null) return { mode: "none", text: "" };
  if (cap === "unlimited") return { mode: "unlimited", text: "" };
  return { mode: "credits", text: String(cap) };
}

/** The draft as the API takes it: credits, "unlimited", null (no override); or why it is not a cap. */
export function capOfDraft(draft: CapDraft): { cap: WireCap | null } | { error: string } {
  if (draft.mode === "none") return { cap: null };
  if (draft.mode === "unlimited") return { cap: "unlimited" };
  const parsed = parseCreditsInput(draft.text);
  return "error" in parsed ? parsed : { cap: parsed.value };
}

interface Props {
  legend: string;
  value: CapDraft;
  onChange: (next: CapDraft) => void;
  disabled: boolean;
  /** The label of the "no override" choice; omitted when an override must have a cap (groups). */
  noneLabel?: string;
  noneHelp?: string;
  unlimitedHelp: string;
  error: string | null;
}

/** An override's cap: none (for users), unlimited, or a number of credits. */
export function CapChoice({ legend, value, onChange, disabled, noneLabel, noneHelp, unlimitedHelp, error }: Props) {
  const catalog = useCatalog();
  const name = useId();
  const inputId = useId();
  const errorId = useId();
  const parsed = value.mode === "credits" ? parseCreditsInput(value.text) : null;
  return (
    <fieldset className="cap-choice" disabled={disabled}>
      <legend>{legend}</legend>
      {noneLabel && (
        <label className="choice">
          <input type="radio" name={name} checked={value.mode === "none"} onChange={() => onChange({ ...value, mode: "none" })} />
          <span>
            <span className="choice-title">{noneLabel}</span>
            {noneHelp && <span className="choice-help">{noneHelp}</span>}
          </span>
        </label>
      )}
      <label className="choice">
        <input type="radio" name={name} checked={value.mode === "unlimited"} onChange={() => onChange({ ...value, mode: "unlimited" })} />
        <span>
          <span className="choice-title">Unlimited</span>
          <span className="choice-help">{unlimitedHelp}</span>
        </span>
      </label>
      <div className="choice choice-amount">
        <input type="radio" name={name} aria-label="Cap at a number of credits" checked={value.mode === "credits"} onChange={() => onChange({ ...value, mode: "credits" })} />
        <span className="amount-line">
          <label htmlFor={inputId}>Cap in credits</label>
          <input
            id={inputId}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            className="amount-input"
            value={value.text}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
            onFocus={() => value.mode !== "credits" && onChange({ ...value, mode: "credits" })}
            onChange={(e) => onChange({ mode: "credits", text: e.target.value })}
          />
          <span aria-hidden="true">a month</span>
        </span>
      </div>
      {parsed && "value" in parsed && (
        <p className="field-help amount-hint">
          At most {overageMoney(catalog, parsed.value)} of overage a month per person, at {overagePrice(catalog)} per credit.
        </p>
      )}
      {error && (
        <p id={errorId} role="alert" className="field-error">
          {error}
        </p>
      )}
    </fieldset>
  );
}
