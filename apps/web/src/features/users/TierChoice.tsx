import type { TierId } from "@seatdesk/domain";
import { formatCredits, formatPrice } from "../../lib/format";
import { useCatalog } from "../catalog/useCatalog";

/** The server's tiers, by rank, as radio cards (name, price, monthly credits), for the Subscribe and Change plan dialogs. */
export function TierChoice({ legend, value, onChange, disabled }: { legend: string; value: TierId; onChange: (tier: TierId) => void; disabled: boolean }) {
  const catalog = useCatalog();
  return (
    <fieldset className="tier-choice" disabled={disabled}>
      <legend>{legend}</legend>
      {catalog.tiers.map((t) => (
        <label key={t.id} className={`tier-option${value === t.id ? " checked" : ""}`}>
          <input type="radio" name="tier" value={t.id} checked={value === t.id} onChange={() => onChange(t.id)} />
          <span className="tier-name">{t.name}</span>
          <span className="tier-price">{formatPrice(t.priceCents)}/mo</span>
          <span className="tier-credits">{formatCredits(t.allowanceCenticredits)} a month</span>
        </label>
      ))}
    </fieldset>
  );
}
