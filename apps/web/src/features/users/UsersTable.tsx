import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef } from "react";
import type { UsersTabRow } from "../../app/trpc";
import { formatCredits, formatDay, formatUtc } from "../../lib/format";
import { RowActions, type PlanAction } from "./RowActions";
import { StatusBadge } from "./StatusBadge";
import { useFitToViewport } from "./fit-viewport";
import "./users.css";
import { useTierName } from "../catalog/useCatalog";

interface Props {
  rows: UsersTabRow[];
  loading: boolean;
  busy: boolean;
  /** More rows exist after the last one loaded. */
  hasMore: boolean;
  loadMore: () => void;
  emptyText: { title: string; hint: string };
  selected: ReadonlyMap<string, UsersTabRow>;
  onToggle: (row: UsersTabRow, on: boolean) => void;
  onToggleLoaded: (on: boolean) => void;
  /** The column the list is sorted by, and which way (the server sorts; see subscriptions.list). */
  sort: UsersSort;
  order: "asc" | "desc";
  /** A sortable header was clicked: the same column again turns the order around. */
  onSort: (sort: UsersSort) => void;
  canEdit: boolean;
  onAction: (row: UsersTabRow, action: PlanAction) => void;
  onOpen: (row: UsersTabRow) => void;
  /** Changes when the search, a filter or the order changes: the list starts again at the top. */
  resetKey: string;
}

export type UsersSort = "name" | "lastActive" | "creditsUsed";

const columnCount = 9;
const rowHeight = 52;

/**
 * The Users table. Only the rows in view (and a few around them) are in the page, so a directory of
 * 100,000 scrolls as lightly as one of 50; reaching the end of what is loaded asks for the next page.
 */
export function UsersTable(props: Props) {
  const tierName = useTierName();
  const { rows, loading, busy, hasMore, loadMore, selected, onToggle, onToggleLoaded, sort, order, onSort, canEdit } = props;
  const sortHeader = (by: UsersSort, label: string, words: { asc: string; desc: string }) => (
    <SortHeader by={by} label={label} words={words} active={sort === by} order={order} onSort={onSort} />
  );
  const scroller = useRef<HTMLDivElement>(null);
  useFitToViewport(scroller);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => rowHeight, overscan: 12 });
  const items = virtual.getVirtualItems();
  useEffect(() => {
    scroller.current?.scrollTo({ top: 0 });
  }, [props.resetKey]);
  const lastShown = items.at(-1)?.index ?? -1;
  useEffect(() => {
    if (hasMore && !busy && lastShown >= rows.length - 20) loadMore();
  }, [hasMore, busy, lastShown, rows.length, loadMore]);

  const selectedLoaded = rows.filter((r) => selected.has(r.userId)).length;
  const all = rows.length > 0 && selectedLoaded === rows.length;
  const some = selectedLoaded > 0 && !all;
  const headerBox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (headerBox.current) headerBox.current.indeterminate = some;
  }, [some]);

  const top = items[0]?.start ?? 0;
  const bottom = virtual.getTotalSize() - (items.at(-1)?.end ?? 0);

  return (
    <div className="table-wrap table-scroll" ref={scroller} tabIndex={-1}>
      <table className="data-table users-table" aria-busy={busy} aria-rowcount={hasMore ? -1 : rows.length + 1}>
        <caption className="visually-hidden">Users</caption>
        <colgroup>
          <col className="col-select" />
          <col className="col-name" />
          <col className="col-tier" />
          <col className="col-status" />
          <col className="col-scheduled" />
          <col className="col-credits" />
          <col className="col-active" />
          <col className="col-forecast" />
          <col className="col-actions" />
        </colgroup>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col" className="cell-select">
              <input
                ref={headerBox}
                type="checkbox"
                aria-label="Select all loaded users"
                checked={all}
                disabled={rows.length === 0}
                onChange={(e) => onToggleLoaded(e.target.checked)}
              />
            </th>
            {sortHeader("name", "Name", { asc: "A to Z", desc: "Z to A" })}
            <th scope="col">Tier</th>
            <th scope="col">Status</th>
            <th scope="col">Scheduled change</th>
            {sortHeader("creditsUsed", "Credits this month", { asc: "least first", desc: "most first" })}
            {sortHeader("lastActive", "Last active", { asc: "longest ago first", desc: "most recent first" })}
            <th scope="col">Forecast</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {loading && rows.length === 0 && <SkeletonRows />}
          {!loading && rows.length === 0 && (
            <tr>
              <td colSpan={columnCount} className="empty">
                <strong>{props.emptyText.title}</strong>
                <span>{props.emptyText.hint}</span>
              </td>
            </tr>
          )}
          {top > 0 && <tr aria-hidden="true" style={{ height: top }} className="spacer" />}
          {items.map((item) => {
            const row = rows[item.index]!;
            const isSelected = selected.has(row.userId);
            const actions: PlanAction[] = row.status === null || row.status === "canceled" ? ["subscribe"] : ["change", "deactivate"];
            return (
              <tr key={row.userId} ref={virtual.measureElement} data-index={item.index} aria-rowindex={item.index + 2} className={isSelected ? "selected" : undefined}>
                <td className="cell-select">
                  <input type="checkbox" aria-label={`Select ${row.displayName}`} checked={isSelected} onChange={(e) => onToggle(row, e.target.checked)} />
                </td>
                <th scope="row" className="cell-name">
                  <a
                    className="name"
                    href={`?${new URLSearchParams({ ...Object.fromEntries(new URLSearchParams(window.location.search)), page: "user", user: row.userId })}`}
                    onClick={(e) => {
                      if (e.metaKey || e.ctrlKey || e.shiftKey) return;
                      e.preventDefault();
                      props.onOpen(row);
                    }}
                  >
                    {row.displayName}
                  </a>
                  <span className="email">{row.email}</span>
                  {!row.directoryActive && <span className="flag">Inactive in directory</span>}
                </th>
                <td>
                  {row.tier ? tierName(row.tier) : <Blank label="No tier" />}
                  {row.source.groups.length > 0 && (
                    <span className="note" title={`via ${row.source.groups.map((g) => g.displayName).join(", ")}${row.source.direct ? " and direct" : ""}`}>
                      via {row.source.groups.map((g) => g.displayName).join(", ")}
                      {row.source.direct ? " and direct" : ""}
                    </span>
                  )}
                </td>
                <td className="cell-status">
                  <StatusBadge status={row.status} />
                  {row.status === "canceled" && row.accessEndsAt && <span className="note">access until {formatUtc(row.accessEndsAt)}</span>}
                  {row.status === null && row.ended && (
                    <span className="note">
                      {tierName(row.ended.tier)} ended {formatUtc(row.ended.at)}
                    </span>
                  )}
                </td>
                <td>
                  {row.scheduledTier && row.scheduledAt ? (
                    <span className="scheduled">
                      {tierName(row.scheduledTier)} on {formatDay(row.scheduledAt)}
                    </span>
                  ) : (
                    <Blank label="None" />
                  )}
                </td>
                <td className="cell-credits">
                  {row.usage ? (
                    <>
                      {formatCredits(row.usage.usedCc).replace(" credits", "")} / {formatCredits(row.usage.allowanceCc)}
                      {row.usage.overageCc > 0 && <span className="note overage">{formatCredits(row.usage.overageCc)} overage</span>}
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
                <td className="cell-forecast">
                  <Forecast forecast={row.forecast} />
                </td>
                <td className="cell-actions">{canEdit && <RowActions name={row.displayName} actions={actions} onAction={(a) => props.onAction(row, a)} />}</td>
              </tr>
            );
          })}
          {bottom > 0 && <tr aria-hidden="true" style={{ height: bottom }} className="spacer" />}
          {hasMore && rows.length > 0 && (
            <tr className="loading-row">
              <td colSpan={columnCount}>
                <button type="button" className="btn btn-link" onClick={loadMore} disabled={busy}>
                  {busy ? "Loading more…" : "Load more"}
                </button>
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A sortable column's header: the button says the order now and what a click does. The server decides the
 * order; users without a value (never active, no credits this month) come last either way.
 */
function SortHeader(p: { by: UsersSort; label: string; words: { asc: string; desc: string }; active: boolean; order: "asc" | "desc"; onSort: (by: UsersSort) => void }) {
  const next = p.active ? (p.order === "asc" ? "desc" : "asc") : p.by === "name" ? "asc" : "desc";
  return (
    <th scope="col" aria-sort={p.active ? (p.order === "asc" ? "ascending" : "descending") : undefined}>
      <button type="button" className={`sort-button${p.active ? " sorted" : ""}`} onClick={() => p.onSort(p.by)} data-sort={p.by}>
        {p.label} <span aria-hidden="true">{p.active ? (p.order === "asc" ? "↑" : "↓") : "↕"}</span>
        <span className="visually-hidden">
          {p.active ? `, sorted ${p.words[p.order]}; ` : ", "}sort {p.words[next]}
        </span>
      </button>
    </th>
  );
}

/**
 * This month's forecast as the server's forecast job wrote it: the day the allowance runs out and, when a
 * limit would block the user, that day and the limit. Only the server's days are shown; nothing is computed.
 */
function Forecast({ forecast }: { forecast: UsersTabRow["forecast"] }) {
  if (!forecast || (!forecast.allowanceRunsOutOn && !forecast.accessStopsOn)) return <Blank label="No run-out this month" />;
  const blocked = forecast.accessStopsOn && forecast.stopReason;
  // When the allowance itself is what blocks them (overage off), one line says both.
  if (blocked && forecast.stopReason === "allowance" && forecast.accessStopsOn === forecast.allowanceRunsOutOn) {
    return <span className="forecast forecast-blocked">blocked {formatDay(forecast.accessStopsOn!)} (allowance)</span>;
  }
  return (
    <>
      {forecast.allowanceRunsOutOn && <span className="forecast">runs out {formatDay(forecast.allowanceRunsOutOn)}</span>}
      {blocked && (
        <span className="note forecast-blocked">
          blocked {formatDay(forecast.accessStopsOn!)} ({forecast.stopReason})
        </span>
      )}
    </>
  );
}

/** A dash that a screen reader reads as a word. */
export function Blank({ label }: { label: string }) {
  return (
    <span className="blank">
      <span aria-hidden="true">—</span>
      <span className="visually-hidden">{label}</span>
    </span>
  );
}

export function SkeletonRows({ columns = columnCount }: { columns?: number }) {
  return (
    <>
      {Array.from({ length: 8 }, (_, i) => (
        <tr key={i} className="skeleton-row" aria-hidden="true">
          <td className="cell-select" />
          {Array.from({ length: columns - 1 }, (_, j) => (
            <td key={j}>
              <span className="skeleton" />
            </td>
          ))}
        </tr>
      ))}
    </>
  );
}
