import { useEffect, useRef } from "react";
import type { UsersTabRow } from "../../app/trpc";
import { formatUtc } from "../../lib/format";
import { StatusBadge } from "./StatusBadge";
import { tierName } from "./tiers";

interface Props {
  rows: UsersTabRow[] | undefined;
  loading: boolean;
  busy: boolean;
  search: string;
  selected: ReadonlyMap<string, UsersTabRow>;
  onToggle: (row: UsersTabRow, on: boolean) => void;
  onTogglePage: (on: boolean) => void;
}

const columnCount = 6;

export function UsersTable({ rows, loading, busy, search, selected, onToggle, onTogglePage }: Props) {
  const pageRows = rows ?? [];
  const selectedOnPage = pageRows.filter((r) => selected.has(r.userId)).length;
  const all = pageRows.length > 0 && selectedOnPage === pageRows.length;
  const some = selectedOnPage > 0 && !all;
  const headerBox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (headerBox.current) headerBox.current.indeterminate = some;
  }, [some]);

  return (
    <div className="table-wrap">
      <table className="data-table" aria-busy={busy}>
        <caption className="visually-hidden">Users</caption>
        <colgroup>
          <col className="col-select" />
          <col className="col-name" />
          <col className="col-tier" />
          <col className="col-status" />
          <col className="col-scheduled" />
          <col className="col-active" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col" className="cell-select">
              <input
                ref={headerBox}
                type="checkbox"
                aria-label="Select all users on this page"
                checked={all}
                disabled={pageRows.length === 0}
                onChange={(e) => onTogglePage(e.target.checked)}
              />
            </th>
            <th scope="col">Name</th>
            <th scope="col">Tier</th>
            <th scope="col">Status</th>
            <th scope="col">Scheduled change</th>
            <th scope="col">Last active</th>
          </tr>
        </thead>
        <tbody>
          {loading && pageRows.length === 0 && <SkeletonRows />}
          {!loading && pageRows.length === 0 && (
            <tr>
              <td colSpan={columnCount} className="empty">
                {search ? (
                  <>
                    <strong>No users match “{search}”.</strong>
                    <span>Search looks at names and e-mail addresses.</span>
                  </>
                ) : (
                  <>
                    <strong>No users yet.</strong>
                    <span>People appear here when your identity provider syncs them.</span>
                  </>
                )}
              </td>
            </tr>
          )}
          {pageRows.map((row) => {
            const isSelected = selected.has(row.userId);
            return (
              <tr key={row.userId} className={isSelected ? "selected" : undefined}>
                <td className="cell-select">
                  <input
                    type="checkbox"
                    aria-label={`Select ${row.displayName}`}
                    checked={isSelected}
                    onChange={(e) => onToggle(row, e.target.checked)}
                  />
                </td>
                <th scope="row" className="cell-name">
                  <span className="name">{row.displayName}</span>
                  <span className="email">{row.email}</span>
                  {!row.directoryActive && <span className="flag">Inactive in directory</span>}
                </th>
                <td>{row.tier ? tierName(row.tier) : <Blank label="No tier" />}</td>
                <td className="cell-status">
                  <StatusBadge status={row.status} />
                  {row.status === "canceled" && row.accessEndsAt && <span className="note">access until {formatUtc(row.accessEndsAt)}</span>}
                </td>
                <td>
                  {row.scheduledTier && row.scheduledAt ? (
                    <>
                      To {tierName(row.scheduledTier)}
                      <span className="note">on {formatUtc(row.scheduledAt)}</span>
                    </>
                  ) : (
                    <Blank label="None" />
                  )}
                </td>
                <td className="cell-date">
                  {row.lastActiveAt ? (
                    <time dateTime={row.lastActiveAt}>{formatUtc(row.lastActiveAt)}</time>
                  ) : row.status === "pending" ? (
                    <span className="muted">Not yet used</span>
                  ) : (
                    <Blank label="Never" />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** A dash that a screen reader reads as a word. */
function Blank({ label }: { label: string }) {
  return (
    <span className="blank">
      <span aria-hidden="true">—</span>
      <span className="visually-hidden">{label}</span>
    </span>
  );
}

function SkeletonRows() {
  return (
    <>
      {Array.from({ length: 8 }, (_, i) => (
        <tr key={i} className="skeleton-row" aria-hidden="true">
          <td className="cell-select" />
          {Array.from({ length: columnCount - 1 }, (_, j) => (
            <td key={j}>
              <span className="skeleton" />
            </td>
          ))}
        </tr>
      ))}
    </>
  );
}
