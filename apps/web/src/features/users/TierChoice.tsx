import { tierIds, type TierId } from "@seatdesk/domain";
import { formatCredits, formatPrice } from "../../lib/format";
import { catalog } from "./tiers";

/** The three tiers as radio cards (name, price, monthly credits), for the Subscribe and Change plan dialogs. */
export function TierChoice({ legend, value, onChange, disabled }: { legend: string; value: TierId; onChange: (tier: TierId) => void; disabled: boolean }) {
  return (
    <fieldset className="tier-choice" disabled={disabled}>
      <legend>{legend}</legend>
      {tierIds.map((id) => {
        const t = catalog.tiers.find((x) => x.id === id);
        if (!t) return null;
        return (
          <label key={id} className={`tier-option${value === id ? " checked" : ""}`}>
            <input type="radio" name="tier" value={id} checked={value === id} onChange={() => onChange(id)} />
            <span className="tier-name">{t.name}</span>
            <span className="tier-price">{formatPrice(t.priceCents)}/mo</span>
            <span className="tier-credits">{formatCredits(t.allowanceCenticredits)} a month</span>
          </label>
        );
      })}
    </fieldset>
  );
}
