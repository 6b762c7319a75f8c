import { useId } from "react";
import { formatCredits } from "../../lib/format";
import { overagePrice } from "../catalog/catalog";
import { useCatalog } from "../catalog/useCatalog";
import { creditsNumber } from "./user-format";
import type { Limits, Usage } from "./types";

const capSourceLabels: Record<Limits["capSource"], string> = {
  user: "set for this user",
  group: "from a group's override",
  profile: "the profile's default",
  none: "no cap set",
};

const percentOf = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : 0);

/** A share of the bar as a CSS length; a sliver that exists stays visible. */
const widthOf = (part: number, scale: number) => (part <= 0 ? "0%" : `max(3px, ${percentOf(part, scale).toFixed(3)}%)`);

/**
 * This month's credits as one bar (DESIGN.md §2 "Overages and caps"): the allowance is used first
 * (included), then overage up to the cap, and what a running request consumed past every limit is
 * unbilled overshoot. Markers show where the allowance and the cap end. The bar is a meter for
 * assistive technology, and every figure is also written out below it.
 */
export function CreditsBar({ usage, limits, tier }: { usage: Usage; limits: Limits | undefined; tier: string | null }) {
  const labelId = useId();
  const catalog = useCatalog();
  const { allowanceCc, usedCc, includedCc, overageCc, unbilledCc } = usage;
  const capCc = limits && limits.overageAllowed && limits.cap !== "unlimited" ? Math.round(limits.cap * 100) : null;
  const capEndCc = capCc === null ? null : allowanceCc + capCc;
  // The bar's full length: the allowance, or more when the use or the cap goes past it.
  const scale = Math.max(allowanceCc, usedCc, capEndCc ?? 0, 1);
  const leftCc = Math.max(0, allowanceCc - includedCc);
  const percent = Math.round(percentOf(includedCc, allowanceCc));

  const valueText = [
    `${creditsNumber(usedCc)} credits used of ${formatCredits(allowanceCc)} included`,
    overageCc > 0 ? `${formatCredits(overageCc)} overage` : null,
    unbilledCc > 0 ? `${formatCredits(unbilledCc)} unbilled overshoot` : null,
    capCc !== null ? `overage cap ${formatCredits(capCc)}` : null,
  ]
    .filter(Boolean)
    .join(", ");

  return (
    <figure className="user-credits" aria-labelledby={labelId}>
      <figcaption id={labelId} className="user-credits-headline">
        <span className="user-credits-used">{creditsNumber(usedCc)}</span> <span className="muted">credits used this month</span>
        {allowanceCc > 0 && (
          <span className="user-credits-percent">
            {includedCc >= allowanceCc ? "Allowance used up" : `${Math.min(percent, 99)}% of the allowance used`}
          </span>
        )}
      </figcaption>
      <div
        className="user-credits-bar"
        role="meter"
        aria-label="Credits used this month"
        aria-valuemin={0}
        aria-valuemax={scale / 100}
        aria-valuenow={usedCc / 100}
        aria-valuetext={valueText}
      >
        <div className="user-credits-track">
          <span className="user-credits-seg user-credits-included" style={{ width: widthOf(includedCc, scale) }} />
          <span className="user-credits-seg user-credits-overage" style={{ width: widthOf(overageCc, scale) }} />
          <span className="user-credits-seg user-credits-unbilled" style={{ width: widthOf(unbilledCc, scale) }} />
        </div>
        {scale > allowanceCc && allowanceCc > 0 && (
          <span className="user-credits-marker user-credits-marker-allowance" style={{ left: `${percentOf(allowanceCc, scale)}%` }} aria-hidden="true">
            <span className="user-credits-marker-label">Allowance</span>
          </span>
        )}
        {capEndCc !== null && (
          <span className="user-credits-marker user-credits-marker-cap" style={{ left: `${percentOf(capEndCc, scale)}%` }} aria-hidden="true">
            <span className="user-credits-marker-label">Cap</span>
          </span>
        )}
      </div>
      <dl className="user-credits-figures">
        <div>
          <dt>
            <span className="user-swatch user-swatch-included" aria-hidden="true" />
            Included in the allowance
          </dt>
          <dd>
            {formatCredits(includedCc)} of {formatCredits(allowanceCc)}
            {tier && <span className="note">{tier} allowance; {formatCredits(leftCc)} left</span>}
          </dd>
        </div>
        <div>
          <dt>
            <span className="user-swatch user-swatch-overage" aria-hidden="true" />
            Overage
          </dt>
          <dd>
            {formatCredits(overageCc)}
            <span className="note">billed at {overagePrice(catalog)} a credit</span>
          </dd>
        </div>
        <div>
          <dt>
            <span className="user-swatch user-swatch-unbilled" aria-hidden="true" />
            Unbilled overshoot
          </dt>
          <dd>
            {formatCredits(unbilledCc)}
            <span className="note">used past a limit; never billed</span>
          </dd>
        </div>
        <div>
          <dt>
            <span className="user-swatch user-swatch-cap" aria-hidden="true" />
            Overage cap
          </dt>
          <dd>{limits ? <CapText limits={limits} /> : <span className="muted">Loading…</span>}</dd>
        </div>
      </dl>
    </figure>
  );
}

function CapText({ limits }: { limits: Limits }) {
  if (!limits.overageAllowed) {
    return (
      <>
        Overage off
        <span className="note">{limits.overageSwitch === "off" ? "turned off for this user" : "off in the profile's settings"}; blocked when the allowance is used</span>
      </>
    );
  }
  return (
    <>
      {limits.cap === "unlimited" ? "No cap" : formatCredits(Math.round(limits.cap * 100))}
      <span className="note">
        {capSourceLabels[limits.capSource]}
        {limits.overageSwitch === "on" ? "; overage turned on for this user" : ""}
      </span>
    </>
  );
}
