import { formatMoney, plural } from "../../lib/format";
import { useCatalog } from "../catalog/useCatalog";
import { breakableEmail, formatAllowance, formatCreditAmount, tierLabel } from "./format";
import type { BillLineView } from "./types";

interface Props {
  /** The table's accessible name ("Estimate lines", "Invoice lines for May 2026"). */
  caption: string;
  lines: readonly BillLineView[] | undefined;
  loading: boolean;
  busy: boolean;
  /** The bill's totals over all its lines (not only this page's). */
  totals: { feesCents: number; overageCents: number; totalCents: number; lineCount: number } | undefined;
  empty: { title: string; text: string };
}

const columnCount = 8;

/** One bill's lines, a page at a time: a user per row with the fee, the month's credits and the money. */
export function BillLinesTable({ caption, lines, loading, busy, totals, empty }: Props) {
  const catalog = useCatalog();
  const rows = lines ?? [];
  return (
    <div className="table-wrap">
      <table className="data-table bill-table" aria-busy={busy}>
        <caption className="visually-hidden">{caption}</caption>
        <colgroup>
          <col className="bill-col-user" />
          <col className="bill-col-tier" />
          <col span={6} />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Tier</th>
            <th scope="col" className="num">
              {/* A soft hyphen: at 768 px the word is wider than its column. */}
              Subscrip{"\u00AD"}tion fee
            </th>
            <th scope="col" className="num">
              Included credits
            </th>
            <th scope="col" className="num">
              Overage credits
            </th>
            <th scope="col" className="num">
              Unbilled credits
            </th>
            <th scope="col" className="num">
              Overage fee
            </th>
            <th scope="col" className="num">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {loading && rows.length === 0 && <SkeletonRows />}
          {!loading && rows.length === 0 && (
            <tr>
              <td colSpan={columnCount} className="empty">
                <strong>{empty.title}</strong>
                <span>{empty.text}</span>
              </td>
            </tr>
          )}
          {rows.map((line) => (
            <tr key={line.userId}>
              <th scope="row" className="cell-name">
                <span className="name">{line.displayName}</span>
                <span className="email">{breakableEmail(line.email)}</span>
              </th>
              <td>{tierLabel(catalog, line.feeTier)}</td>
              <td className="num">
                {formatMoney(line.feeCents)}
                {line.proration && (
                  <span className="note" title={`Prorated: ${line.proration.days} of ${line.proration.daysInMonth} days of the month`}>
                    prorated {line.proration.days}/{line.proration.daysInMonth} days
                  </span>
                )}
              </td>
              <td className="num">
                {formatCreditAmount(line.includedCc)}
                <span className="note allowance">of {formatAllowance(line.allowanceCc)}</span>
              </td>
              <td className={`num${line.overageCc === 0 ? " zero" : ""}`}>{formatCreditAmount(line.overageCc)}</td>
              <td className={`num${line.unbilledCc === 0 ? " zero" : ""}`}>
                {formatCreditAmount(line.unbilledCc)}
                {line.unbilledCc > 0 && <span className="note">not billed</span>}
              </td>
              <td className={`num${line.overageCents === 0 ? " zero" : ""}`}>{formatMoney(line.overageCents)}</td>
              <td className="num strong">{formatMoney(line.totalCents)}</td>
            </tr>
          ))}
        </tbody>
        {totals && totals.lineCount > 0 && (
          <tfoot>
            <tr>
              <th scope="row" colSpan={2}>
                All {plural(totals.lineCount, "line")}
              </th>
              <td className="num">{formatMoney(totals.feesCents)}</td>
              <td />
              <td />
              <td />
              <td className="num">{formatMoney(totals.overageCents)}</td>
              <td className="num strong">{formatMoney(totals.totalCents)}</td>
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}

function SkeletonRows() {
  return (
    <>
      {Array.from({ length: 6 }, (_, i) => (
        <tr key={i} aria-hidden="true">
          {Array.from({ length: columnCount }, (_, j) => (
            <td key={j}>
              <span className="skeleton" />
            </td>
          ))}
        </tr>
      ))}
    </>
  );
}

/** Keyset pages over a bill's lines: where we are, and Previous / Next. */
export function LinesPager({
  label,
  page,
  pageSize,
  shown,
  lineCount,
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
}: {
  label: string;
  page: number;
  pageSize: number;
  shown: number;
  lineCount: number | undefined;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}) {
  const first = (page - 1) * pageSize + 1;
  const last = (page - 1) * pageSize + shown;
  return (
    <nav className="pager" aria-label={label}>
      <span className="pager-range muted" aria-live="polite">
        {lineCount === undefined ? "" : lineCount === 0 ? "No lines" : `Lines ${first}–${last} of ${lineCount.toLocaleString("en-US")}`}
      </span>
      <button type="button" className="btn btn-normal btn-small" disabled={!hasPrevious} onClick={onPrevious}>
        ‹ Previous
      </button>
      <button type="button" className="btn btn-normal btn-small" disabled={!hasNext} onClick={onNext}>
        Next ›
      </button>
    </nav>
  );
}
