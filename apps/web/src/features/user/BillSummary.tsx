import { formatMoney } from "../../lib/format";
import { overagePrice, tierName } from "../catalog/catalog";
import { useCatalog } from "../catalog/useCatalog";
import type { Charge, UserRow } from "./types";
import { creditsNumber, formatDayUtc, periodEndIso } from "./user-format";

/**
 * The month's charge for this user so far (DESIGN.md §2 "Charges"): the fee of the highest tier held
 * while Active (full, or prorated in a first month when the profile says so), the overage, the total.
 * An estimate until the month closes and its invoice is written.
 */
export function BillSummary({ charge, row, periodId }: { charge: Charge | null; row: UserRow; periodId: string }) {
  const catalog = useCatalog();
  const closesAt = periodEndIso(periodId);
  if (!charge) {
    return (
      <p className="user-empty">
        <strong>Nothing charged this month.</strong>
        <span>
          {row.status === "pending"
            ? "Pending: they are charged from the day they first sign in to or use the tool."
            : row.status === null
              ? "Not subscribed in this profile."
              : "No fee or overage so far."}
        </span>
      </p>
    );
  }
  return (
    <>
      <table className="user-bill">
        <caption className="visually-hidden">This month's bill</caption>
        <tbody>
          <tr>
            <th scope="row">
              Subscription fee
              <span className="note">
                {charge.feeTier ? tierName(catalog, charge.feeTier) : "No tier"}
                {charge.proration ? `, prorated: ${charge.proration.days} of ${charge.proration.daysInMonth} days` : charge.feeTier ? ", full month" : ""}
              </span>
            </th>
            <td>{formatMoney(charge.feeCents)}</td>
          </tr>
          <tr>
            <th scope="row">
              Overage
              <span className="note">
                {creditsNumber(charge.overageCc)} credits × {overagePrice(catalog)}
              </span>
            </th>
            <td>{formatMoney(charge.overageCents)}</td>
          </tr>
          {charge.unbilledCc > 0 && (
            <tr>
              <th scope="row">
                Unbilled overshoot
                <span className="note">{creditsNumber(charge.unbilledCc)} credits past a limit, not charged</span>
              </th>
              <td>{formatMoney(0)}</td>
            </tr>
          )}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total so far</th>
            <td>{formatMoney(charge.totalCents)}</td>
          </tr>
        </tfoot>
      </table>
      <p className="note user-bill-note">
        {row.status === "canceled" ? "A deactivated plan keeps the month charged in full. " : ""}
        An estimate until the month closes{closesAt ? ` on ${formatDayUtc(closesAt)}` : ""}, when the invoice is written.
      </p>
    </>
  );
}
