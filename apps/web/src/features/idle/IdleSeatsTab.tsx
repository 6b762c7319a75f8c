import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "../../app/trpc";
import { useCatalog } from "../catalog/useCatalog";
import { errorMessage } from "../../lib/errors";
import { formatMoney, plural, statusLabels } from "../../lib/format";
import { tierName } from "../catalog/catalog";

const dayChoices = [7, 14, 30, 60, 90] as const;

/**
 * "Idle for N days" (issue 15, "Idle seats"): seats not used (Active) or never activated (Pending) for N days
 * or more, longest idle first, with what each costs a month and the total the server counted over every page.
 */
export function IdleSeatsTab({ profileId, onOpen }: { profileId: string; onOpen: (userId: string) => void }) {
  const trpc = useTRPC();
  const catalog = useCatalog();
  const daysId = useId();
  const [days, setDays] = useState(30);
  const list = useInfiniteQuery(
    trpc.idle.list.infiniteQueryOptions({ profileId, days, limit: 50 }, { getNextPageParam: (last) => last.nextCursor ?? undefined, placeholderData: keepPreviousData }),
  );
  const rows = list.data?.pages.flatMap((p) => p.rows) ?? [];
  const total = list.data?.pages[0]?.total;

  return (
    <section className="idle-seats" aria-label="Idle seats">
      <div className="toolbar">
        <label htmlFor={daysId}>Idle for at least</label>{" "}
        <select id={daysId} value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {dayChoices.map((d) => (
            <option key={d} value={d}>
              {d} days
            </option>
          ))}
        </select>
        {total && (
          <p className="idle-total" role="status">
            <strong>{plural(total.count, "idle seat")}</strong>, costing <strong>{formatMoney(total.monthlyCostCents)}</strong> a month
          </p>
        )}
      </div>
      {list.isError && (
        <div role="alert" className="alert alert-error">
          Could not load idle seats: {errorMessage(list.error)}
        </div>
      )}
      {list.isPending && (
        <p className="muted" role="status">
          <span className="spinner" aria-hidden="true" /> Loading idle seats…
        </p>
      )}
      {list.data && rows.length === 0 && <p className="muted">No seat has been idle for {days} days or more.</p>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="data-table idle-table" aria-busy={list.isFetching}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Tier</th>
                <th scope="col">Status</th>
                <th scope="col">Last active</th>
                <th scope="col" className="num">
                  Idle days
                </th>
                <th scope="col" className="num">
                  Cost per month
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.userId}>
                  <td>
                    <button type="button" className="btn btn-link" onClick={() => onOpen(r.userId)}>
                      {r.displayName}
                    </button>
                    <div className="muted">{r.email}</div>
                  </td>
                  <td>{tierName(catalog, r.tier)}</td>
                  <td>
                    {statusLabels[r.status]}
                    {r.warnedAt && <div className="muted">Warned {r.warnedAt.slice(0, 10)}</div>}
                  </td>
                  <td>{r.lastActiveAt ? `${r.lastActiveAt.slice(0, 10)}` : "never"}</td>
                  <td className="num">{r.idleDays}</td>
                  <td className="num">{formatMoney(r.monthlyCostCents)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.hasNextPage && (
            <button type="button" className="btn btn-secondary" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
              {list.isFetchingNextPage ? "Loading more…" : "Load more"}
            </button>
          )}
        </div>
      )}
    </section>
  );
}
