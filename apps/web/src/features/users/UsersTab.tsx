import type { TierId } from "@seatdesk/domain";
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useCallback, useId, useState } from "react";
import { useTRPC, type UsersTabRow } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { plural } from "../../lib/format";
import { useDebouncedValue } from "../../lib/use-debounced-value";
import { ChangeDialog } from "./ChangeDialog";
import type { PlanAction } from "./RowActions";
import { SubscribeDialog } from "./SubscribeDialog";
import { useCatalog, useTierName } from "../catalog/useCatalog";
import { describeResults } from "./tiers";
import { UsersTable, type UsersSort } from "./UsersTable";

/** Rows asked for at a time; the table shows only those in view. */
const pageSize = 100;

const statusOptions = [
  { value: "", label: "Any status" },
  { value: "active", label: "Active" },
  { value: "pending", label: "Pending" },
  { value: "canceled", label: "Canceled" },
  { value: "unsubscribed", label: "Not subscribed" },
] as const;
type StatusFilter = (typeof statusOptions)[number]["value"];

/** The activity filter (issue 15, idle seats): the value is the API's `lastActive` input. */
const activityOptions = [
  { value: "", label: "Any activity", filter: undefined },
  { value: "idle:7", label: "Idle 7+ days", filter: { kind: "idle", days: 7 } },
  { value: "idle:30", label: "Idle 30+ days", filter: { kind: "idle", days: 30 } },
  { value: "idle:90", label: "Idle 90+ days", filter: { kind: "idle", days: 90 } },
  { value: "within:7", label: "Active in the last 7 days", filter: { kind: "within", days: 7 } },
  { value: "within:30", label: "Active in the last 30 days", filter: { kind: "within", days: 30 } },
  { value: "never", label: "Never active", filter: { kind: "never" } },
] as const;
type ActivityFilter = (typeof activityOptions)[number]["value"];

type Dialog = { action: PlanAction; users: UsersTabRow[] } | null;

export function UsersTab({ profileId, canEdit, onNotice, onOpen }: { profileId: string; canEdit: boolean; onNotice: (text: string | null) => void; onOpen: (userId: string) => void }) {
  const trpc = useTRPC();
  const catalog = useCatalog();
  const tierName = useTierName();
  const headingId = useId();
  const searchId = useId();
  const [searchText, setSearchText] = useState("");
  const search = useDebouncedValue(searchText.trim(), 250);
  const [status, setStatus] = useState<StatusFilter>("");
  const [tier, setTier] = useState<TierId | "">("");
  const [overage, setOverage] = useState(false);
  const [scheduled, setScheduled] = useState(false);
  const [activity, setActivity] = useState<ActivityFilter>("");
  const [runsOut, setRunsOut] = useState(false);
  const [{ sort, order }, setSorting] = useState<{ sort: UsersSort; order: "asc" | "desc" }>({ sort: "name", order: "asc" });
  // The same column again turns the order around; another column starts with its usual order (names A to Z,
  // the most recent or the most credits first).
  const onSort = (by: UsersSort) =>
    setSorting((now) => (now.sort === by ? { sort: by, order: now.order === "asc" ? "desc" : "asc" } : { sort: by, order: by === "name" ? "asc" : "desc" }));
  const lastActive = activityOptions.find((o) => o.value === activity)?.filter;

  const filters = {
    profileId,
    ...(search ? { search } : {}),
    ...(status ? { status } : {}),
    ...(tier ? { tier } : {}),
    ...(overage ? { overage } : {}),
    ...(scheduled ? { scheduled } : {}),
    ...(lastActive ? { lastActive } : {}),
    ...(runsOut ? { runsOutThisMonth: true } : {}),
  };
  const input = { ...filters, limit: pageSize, ...(sort !== "name" ? { sort } : {}), ...(order === "desc" ? { order } : {}) };
  const list = useInfiniteQuery(
    trpc.subscriptions.list.infiniteQueryOptions(input, { getNextPageParam: (last) => last.nextCursor ?? undefined, placeholderData: keepPreviousData }),
  );
  // The total is asked once per filter and search (not per page or order); no placeholder, so an earlier
  // filter's total is never shown beside this filter's rows.
  const total = useQuery(trpc.subscriptions.count.queryOptions(filters)).data?.count;
  const rows = list.data?.pages.flatMap((p) => p.rows) ?? [];
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const [selected, setSelected] = useState<ReadonlyMap<string, UsersTabRow>>(new Map());
  const [dialog, setDialog] = useState<Dialog>(null);

  const toggle = (row: UsersTabRow, on: boolean) =>
    setSelected((prev) => {
      const next = new Map(prev);
      if (on) next.set(row.userId, row);
      else next.delete(row.userId);
      return next;
    });
  const toggleLoaded = (on: boolean) =>
    setSelected((prev) => {
      const next = new Map(prev);
      for (const row of rows) {
        if (on) next.set(row.userId, row);
        else next.delete(row.userId);
      }
      return next;
    });
  const open = (action: PlanAction, users: UsersTabRow[]) => {
    onNotice(null);
    setDialog({ action, users });
  };
  const finish = (message: string) => {
    setDialog(null);
    setSelected(new Map());
    onNotice(message);
  };

  const chosen = [...selected.values()];
  const subscribed = chosen.filter((u) => u.status === "active" || u.status === "pending");
  const filtered = Boolean(search || status || tier || overage || scheduled || activity || runsOut);

  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>Users</h2>
          <p className="panel-description">Everyone in your directory, with their subscription in this region.</p>
        </div>
        {canEdit && (
          <div className="panel-actions" role="group" aria-label="Actions on selected users">
            {selected.size > 0 && (
              <span className="selection">
                {plural(selected.size, "user")} selected
                <button type="button" className="btn btn-link" onClick={() => setSelected(new Map())}>
                  Clear selection
                </button>
              </span>
            )}
            <button type="button" className="btn btn-normal" disabled={subscribed.length === 0} onClick={() => open("deactivate", subscribed)}>
              Deactivate plan
            </button>
            <button type="button" className="btn btn-normal" disabled={subscribed.length === 0} onClick={() => open("change", subscribed)}>
              Change plan
            </button>
            <button type="button" className="btn btn-primary" disabled={selected.size === 0} onClick={() => open("subscribe", chosen)}>
              Subscribe
            </button>
          </div>
        )}
      </div>
      <div className="panel-toolbar filters">
        <div className="search">
          <label htmlFor={searchId} className="visually-hidden">
            Search users
          </label>
          <svg className="search-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
            <circle cx="7" cy="7" r="5" fill="none" stroke="currentColor" strokeWidth="2" />
            <path d="M11 11l4 4" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
          </svg>
          <input
            id={searchId}
            type="search"
            placeholder="Find users by name or e-mail"
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        </div>
        <label className="filter">
          <span className="visually-hidden">Tier</span>
          <select aria-label="Tier" value={tier} onChange={(e) => setTier(e.target.value as TierId | "")}>
            <option value="">Any tier</option>
            {catalog.tiers.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label className="filter">
          <span className="visually-hidden">Status</span>
          <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value as StatusFilter)}>
            {statusOptions.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <label className="filter filter-check">
          <input type="checkbox" checked={overage} onChange={(e) => setOverage(e.target.checked)} /> With overage
        </label>
        <label className="filter filter-check">
          <input type="checkbox" checked={scheduled} onChange={(e) => setScheduled(e.target.checked)} /> Scheduled change
        </label>
        <label className="filter">
          <span className="visually-hidden">Last active</span>
          <select aria-label="Last active" value={activity} onChange={(e) => setActivity(e.target.value as ActivityFilter)}>
            {activityOptions.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <label className="filter filter-check">
          <input type="checkbox" checked={runsOut} onChange={(e) => setRunsOut(e.target.checked)} /> Runs out this month
        </label>
        {/* "Showing 100 of 240 users" while more can be loaded by scrolling, "240 users" once all are. */}
        <span className="loaded-count muted" aria-live="polite">
          {total !== undefined && list.data && hasNextPage && <span className="shown-count">Showing {rows.length.toLocaleString("en-US")} of </span>}
          {total !== undefined && <span className="total-count">{plural(total, "user")}</span>}
        </span>
      </div>
      {list.isError && (
        <div role="alert" className="alert alert-error panel-alert">
          Could not load users: {errorMessage(list.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void list.refetch()}>
            Try again
          </button>
        </div>
      )}
      <UsersTable
        rows={rows}
        loading={list.isPending}
        busy={list.isFetching}
        hasMore={Boolean(hasNextPage)}
        loadMore={loadMore}
        emptyText={
          search
            ? { title: `No users match “${search}”.`, hint: "Search looks at names and e-mail addresses." }
            : filtered
              ? { title: "No users match these filters.", hint: "Clear a filter to see more people." }
              : { title: "No users yet.", hint: "People appear here when your identity provider syncs them." }
        }
        selected={selected}
        onToggle={toggle}
        onToggleLoaded={toggleLoaded}
        sort={sort}
        order={order}
        onSort={onSort}
        canEdit={canEdit}
        onAction={(row, action) => open(action, [row])}
        onOpen={(row) => onOpen(row.userId)}
        resetKey={JSON.stringify(input)}
      />
      {dialog?.action === "subscribe" && (
        <SubscribeDialog
          profileId={profileId}
          targets={{ kind: "users", users: dialog.users }}
          onClose={() => setDialog(null)}
          onSubscribed={(result, t) => finish(describeResults(result.results, t, tierName))}
        />
      )}
      {(dialog?.action === "change" || dialog?.action === "deactivate") && (
        <ChangeDialog profileId={profileId} targets={{ kind: "users", users: dialog.users }} mode={dialog.action} onClose={() => setDialog(null)} onDone={finish} />
      )}
    </section>
  );
}
