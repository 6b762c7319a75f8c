import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { plural } from "../../lib/format";
import { useDebouncedValue } from "../../lib/use-debounced-value";
import { ChangeDialog } from "./ChangeDialog";
import { RowActions, type PlanAction } from "./RowActions";
import { SubscribeDialog } from "./SubscribeDialog";
import { useTierName } from "../catalog/useCatalog";
import { describeResults } from "./tiers";
import "./users.css";
import { Blank, SkeletonRows } from "./UsersTable";

interface GroupRow {
  groupId: string;
  displayName: string;
  tier: string | null;
  members: number;
  subscribedMembers: number;
}

type Dialog = { action: PlanAction; groups: GroupRow[] } | null;

/** The Groups tab: each group, the tier assigned to it here, its members and how many are subscribed. */
export function GroupsTab({ profileId, canEdit, onNotice }: { profileId: string; canEdit: boolean; onNotice: (text: string | null) => void }) {
  const trpc = useTRPC();
  const tierName = useTierName();
  const headingId = useId();
  const searchId = useId();
  const [searchText, setSearchText] = useState("");
  const search = useDebouncedValue(searchText.trim(), 250);
  const [assignedOnly, setAssignedOnly] = useState(false);
  const list = useInfiniteQuery(
    trpc.subscriptions.listGroups.infiniteQueryOptions(
      { profileId, limit: 100, ...(search ? { search } : {}), ...(assignedOnly ? { assignedOnly } : {}) },
      { getNextPageParam: (last) => last.nextCursor ?? undefined, placeholderData: keepPreviousData },
    ),
  );
  const rows: GroupRow[] = list.data?.pages.flatMap((p) => p.rows) ?? [];
  const [selected, setSelected] = useState<ReadonlyMap<string, GroupRow>>(new Map());
  const [dialog, setDialog] = useState<Dialog>(null);
  const chosen = [...selected.values()];
  const assigned = chosen.filter((g) => g.tier !== null);

  const toggle = (row: GroupRow, on: boolean) =>
    setSelected((prev) => {
      const next = new Map(prev);
      if (on) next.set(row.groupId, row);
      else next.delete(row.groupId);
      return next;
    });
  const open = (action: PlanAction, groups: GroupRow[]) => {
    onNotice(null);
    setDialog({ action, groups });
  };
  const finish = (message: string) => {
    setDialog(null);
    setSelected(new Map());
    onNotice(message);
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>Groups</h2>
          <p className="panel-description">A tier assigned to a group subscribes every member; each person keeps the highest tier assigned to them.</p>
        </div>
        {canEdit && (
          <div className="panel-actions" role="group" aria-label="Actions on selected groups">
            {selected.size > 0 && (
              <span className="selection">
                {plural(selected.size, "group")} selected
                <button type="button" className="btn btn-link" onClick={() => setSelected(new Map())}>
                  Clear selection
                </button>
              </span>
            )}
            <button type="button" className="btn btn-normal" disabled={assigned.length === 0} onClick={() => open("deactivate", assigned)}>
              Deactivate plan
            </button>
            <button type="button" className="btn btn-normal" disabled={assigned.length === 0} onClick={() => open("change", assigned)}>
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
            Search groups
          </label>
          <input id={searchId} type="search" placeholder="Find groups by name" value={searchText} onChange={(e) => setSearchText(e.target.value)} autoComplete="off" />
        </div>
        <label className="filter filter-check">
          <input type="checkbox" checked={assignedOnly} onChange={(e) => setAssignedOnly(e.target.checked)} /> With a plan only
        </label>
      </div>
      {list.isError && (
        <div role="alert" className="alert alert-error panel-alert">
          Could not load groups: {errorMessage(list.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void list.refetch()}>
            Try again
          </button>
        </div>
      )}
      <div className="table-wrap groups-table-wrap">
        <table className="data-table" aria-busy={list.isFetching}>
          <caption className="visually-hidden">Groups</caption>
          <thead>
            <tr>
              <th scope="col" className="cell-select">
                <span className="visually-hidden">Select</span>
              </th>
              <th scope="col">Group</th>
              <th scope="col">Tier assigned</th>
              <th scope="col">Members</th>
              <th scope="col">Subscribed members</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.isPending && <SkeletonRows columns={6} />}
            {!list.isPending && rows.length === 0 && (
              <tr>
                <td colSpan={6} className="empty">
                  <strong>{search ? `No groups match “${search}”.` : "No groups."}</strong>
                  <span>Groups come from your identity provider.</span>
                </td>
              </tr>
            )}
            {rows.map((g) => (
              <tr key={g.groupId} className={selected.has(g.groupId) ? "selected" : undefined}>
                <td className="cell-select">
                  <input type="checkbox" aria-label={`Select ${g.displayName}`} checked={selected.has(g.groupId)} onChange={(e) => toggle(g, e.target.checked)} />
                </td>
                <th scope="row" className="cell-name">
                  <span className="name">{g.displayName}</span>
                </th>
                <td>{g.tier ? tierName(g.tier) : <Blank label="No plan" />}</td>
                <td>{g.members.toLocaleString("en-US")}</td>
                <td>{g.subscribedMembers.toLocaleString("en-US")}</td>
                <td className="cell-actions">
                  {canEdit && <RowActions name={g.displayName} actions={g.tier ? ["change", "deactivate"] : ["subscribe"]} onAction={(a) => open(a, [g])} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.hasNextPage && (
          <p className="load-more">
            <button type="button" className="btn btn-normal" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
              {list.isFetchingNextPage ? "Loading more…" : "Load more groups"}
            </button>
          </p>
        )}
      </div>
      {dialog?.action === "subscribe" && (
        <SubscribeDialog
          profileId={profileId}
          targets={{ kind: "groups", groups: dialog.groups }}
          onClose={() => setDialog(null)}
          onSubscribed={(result, t) => finish(describeResults(result.results, t, tierName, "member"))}
        />
      )}
      {(dialog?.action === "change" || dialog?.action === "deactivate") && (
        <ChangeDialog profileId={profileId} targets={{ kind: "groups", groups: dialog.groups }} mode={dialog.action} onClose={() => setDialog(null)} onDone={finish} />
      )}
    </section>
  );
}
