import { useInfiniteQuery } from "@tanstack/react-query";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatUtc } from "../../lib/format";
import type { Catalog } from "@seatdesk/domain";
import { useCatalog } from "../catalog/useCatalog";
import { actionLabel } from "../audit/actions";
import { diffValues } from "../audit/diff";
import { formatValue } from "../audit/format";
import type { AuditEntry } from "../audit/types";
import { describeAudit } from "./user-format";

const pageSize = 20;

/**
 * One entry in the page's words. Entries the user page knows are described by describeAudit; any other is named
 * by the Audit log's action label, and its change listed field by field with the Audit log's formatting, never as
 * raw JSON. A group the entry names (a membership change) is shown by its name, as the Audit log shows targets.
 */
function describeEntry(catalog: Catalog, entry: AuditEntry): { what: string; group: string | null; before: string | null; after: string | null } {
  const group = entry.group ? (entry.group.name ?? "a deleted group") : null;
  const d = describeAudit(catalog, entry.action, entry.before, entry.after);
  if (d.what !== entry.action) return { ...d, group };
  const changes = diffValues(entry.before, entry.after).filter((c) => c.path !== "groupId");
  const side = (pick: "before" | "after") => {
    const shown = changes.filter((c) => c[pick] !== undefined).map((c) => `${c.path}: ${formatValue(catalog, c.path, c[pick])}`);
    return shown.length > 0 ? shown.join(" · ") : null;
  };
  return { what: actionLabel(entry.action) ?? entry.action, group, before: side("before"), after: side("after") };
}

/**
 * Every audited change to this user in this profile, newest first: their assignment, the subscription
 * it produced, their overage limits. Older entries load a page at a time.
 */
export function AuditHistory({ profileId, userId }: { profileId: string; userId: string }) {
  const trpc = useTRPC();
  const catalog = useCatalog();
  const history = useInfiniteQuery({
    ...trpc.audit.list.infiniteQueryOptions({ profileId, targetId: userId, limit: pageSize }, { getNextPageParam: (page) => page.nextCursor ?? undefined }),
    // Opened after a change made elsewhere in the console, the page shows that change: always asked again on opening.
    staleTime: 0,
  });
  const entries = history.data?.pages.flatMap((p) => p.entries) ?? [];

  return (
    <section className="panel user-panel" aria-labelledby="user-audit-title">
      <div className="panel-header">
        <div>
          <h2 id="user-audit-title">Audit history</h2>
          <p className="panel-description">Changes to this user in this profile, newest first.</p>
        </div>
      </div>
      {history.isError && entries.length === 0 ? (
        <div role="alert" className="alert alert-error panel-alert">
          {errorMessage(history.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void history.refetch()}>
            Try again
          </button>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="data-table user-audit-table" aria-busy={history.isPending || history.isFetching}>
            <caption className="visually-hidden">Audit history</caption>
            <colgroup>
              <col className="user-audit-col-when" />
              <col className="user-audit-col-who" />
              <col className="user-audit-col-what" />
              <col />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {history.isPending &&
                Array.from({ length: 3 }, (_, i) => (
                  <tr key={i} aria-hidden="true">
                    {Array.from({ length: 4 }, (_, j) => (
                      <td key={j}>
                        <span className="skeleton" />
                      </td>
                    ))}
                  </tr>
                ))}
              {history.isSuccess && entries.length === 0 && (
                <tr>
                  <td colSpan={4} className="empty">
                    <strong>No changes recorded.</strong>
                    <span>Subscribing, changing the plan or the overage limits of this user is recorded here.</span>
                  </td>
                </tr>
              )}
              {entries.map((entry) => {
                const d = describeEntry(catalog, entry);
                return (
                  <tr key={entry.id}>
                    <td className="cell-date">
                      <time dateTime={entry.at}>{formatUtc(entry.at)}</time>
                    </td>
                    <td>
                      {entry.actor.label}
                      {entry.actor.type !== "admin" && <span className="note">{entry.actor.type === "system" ? "automatic" : entry.actor.type}</span>}
                    </td>
                    <td>
                      {d.what}
                      {d.group !== null && <span className="note user-audit-group">Group: {d.group}</span>}
                    </td>
                    <td>
                      {d.before === null && d.after === null ? (
                        <span className="blank">
                          <span aria-hidden="true">—</span>
                          <span className="visually-hidden">No details</span>
                        </span>
                      ) : (
                        <span className="user-audit-change">
                          <span className="user-audit-before">{d.before ?? "—"}</span>
                          <span className="visually-hidden"> changed to </span>
                          <span className="user-audit-after">
                            <span className="user-audit-arrow" aria-hidden="true">
                              →
                            </span>{" "}
                            {d.after ?? "—"}
                          </span>
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {(history.hasNextPage || (history.isError && entries.length > 0)) && (
        <div className="user-panel-footer">
          {history.isError && entries.length > 0 && (
            <span role="alert" className="user-inline-error">
              {errorMessage(history.error)}
            </span>
          )}
          <button type="button" className="btn btn-normal btn-small" onClick={() => void history.fetchNextPage()} disabled={history.isFetchingNextPage}>
            {history.isFetchingNextPage && <span className="spinner" aria-hidden="true" />}
            {history.isFetchingNextPage ? "Loading older changes…" : "Show older changes"}
          </button>
        </div>
      )}
    </section>
  );
}
