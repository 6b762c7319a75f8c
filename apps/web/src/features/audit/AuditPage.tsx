import { useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";
import { useTRPC } from "../../app/trpc";
import { collectAllPages, toCsv } from "../../lib/csv";
import { errorMessage } from "../../lib/errors";
import { formatUtc, plural } from "../../lib/format";
import { useDebouncedValue } from "../../lib/use-debounced-value";
import { ExportCsvButton } from "../billing/ExportCsvButton";
import { useCatalog } from "../catalog/useCatalog";
import { breakableEmail } from "../billing/format";
import { actionLabel, knownActions } from "./actions";
import { diffValues, type FieldChange } from "./diff";
import { breakableCode, formatLocal, formatValue, shortId, targetName, targetTypeLabel } from "./format";
import type { AuditEntry, AuditFilterInput } from "./types";

const pageSize = 50;
const exportPageSize = 200;
/** Changes shown in a row before "more" (the rest, and the raw before and after, are a click away). */
const inlineChanges = 2;

/** A day picked in a date field ("2026-06-08"), as the instant its local midnight is, `days` later. */
function localMidnightIso(day: string, days = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days).toISOString();
}

interface Filters {
  action: string;
  actorId: string;
  scope: "account" | "profile";
  from: string;
  to: string;
  targetId: string;
}

const noFilters: Filters = { action: "", actorId: "", scope: "account", from: "", to: "", targetId: "" };

/** Filters a link may open the page with (`?page=audit&action=…&target=…`), e.g. a user's history. */
function filtersFromAddress(): Filters {
  const params = new URLSearchParams(window.location.search);
  return { ...noFilters, action: params.get("action") ?? "", targetId: params.get("target") ?? "" };
}

/** Audit log (DESIGN.md §4 "audit"): who changed what, when, in the whole account; filterable, with a CSV of what the filters select. */
export function AuditPage({ profile, me }: ProfilePageProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const headingId = useId();
  const ids = { action: useId(), actions: useId(), who: useId(), scope: useId(), from: useId(), to: useId(), range: useId() };
  const [filters, setFilters] = useState<Filters>(filtersFromAddress);
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => setFilters((f) => ({ ...f, [key]: value }));
  const action = useDebouncedValue(filters.action.trim(), 300);

  const admins = useQuery(trpc.admins.list.queryOptions());

  const fromIso = filters.from ? localMidnightIso(filters.from) : undefined;
  // "To" is a day and includes it: the range ends at the next local midnight (the API's `to` is exclusive).
  const toIso = filters.to ? localMidnightIso(filters.to, 1) : undefined;
  const rangeError = fromIso && toIso && Date.parse(fromIso) >= Date.parse(toIso) ? "“To” must be on or after “From”." : null;

  const input: AuditFilterInput = {
    ...(action ? { action } : {}),
    ...(filters.actorId ? { actorId: filters.actorId } : {}),
    ...(filters.scope === "profile" ? { profileId: profile.id } : {}),
    ...(fromIso ? { from: fromIso } : {}),
    ...(toIso ? { to: toIso } : {}),
    ...(filters.targetId ? { targetId: filters.targetId } : {}),
  };
  const filtered = Object.keys(input).length > 0 || filters.action.trim() !== "";

  const list = useInfiniteQuery({
    ...trpc.audit.list.infiniteQueryOptions({ ...input, limit: pageSize }, { getNextPageParam: (last) => last.nextCursor ?? undefined }),
    enabled: !rangeError,
  });
  const entries: AuditEntry[] = list.data?.pages.flatMap((p) => p.entries) ?? [];
  const loading = list.isPending && !rangeError;

  const exportJob = async (progress: (count: number) => void) => {
    const { items } = await collectAllPages(
      (cursor) => queryClient.fetchQuery({ ...trpc.audit.list.queryOptions({ ...input, limit: exportPageSize, ...(cursor ? { cursor } : {}) }), staleTime: 0 }),
      (page) => page.entries,
      (page) => page.nextCursor,
      progress,
    );
    const stamp = new Date().toISOString().slice(0, 10);
    return { filename: `seatdesk-audit-${stamp}.csv`, csv: auditCsv(items), message: `Downloaded ${plural(items.length, "entry", "entries")}.` };
  };

  const adminOptions = admins.data?.admins ?? [];
  const actorKnown = !filters.actorId || adminOptions.some((a) => a.id === filters.actorId);

  return (
    <>
      <PageHeader section="Audit log" description={`Who changed what, and when, in ${me.account.name}. Times are in your time zone; point at one to see it in UTC.`}>
        Audit log
      </PageHeader>
      <section className="panel" aria-labelledby={headingId}>
        <div className="panel-header">
          <div>
            <h2 id={headingId}>Entries</h2>
            <p className="panel-description">Newest first: changes made in the console, by the identity provider and by the month close.</p>
          </div>
          <div className="panel-actions">
            <ExportCsvButton
              what={filtered ? "the entries these filters select" : "every entry"}
              unit={["entry", "entries"]}
              disabled={!!rangeError || list.isError || (list.isSuccess && entries.length === 0)}
              job={exportJob}
            />
          </div>
        </div>
        <form className="audit-filters" role="search" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
          <div className="filter-field filter-grow">
            <label htmlFor={ids.action}>Action</label>
            <input
              id={ids.action}
              type="text"
              list={ids.actions}
              placeholder="Any action"
              value={filters.action}
              onChange={(e) => set("action", e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
            <datalist id={ids.actions}>
              {knownActions.map((a) => (
                <option key={a.code} value={a.code}>
                  {a.label}
                </option>
              ))}
            </datalist>
          </div>
          <div className="filter-field">
            <label htmlFor={ids.who}>Who</label>
            <select id={ids.who} value={filters.actorId} onChange={(e) => set("actorId", e.target.value)}>
              <option value="">Anyone</option>
              {!actorKnown && <option value={filters.actorId}>{filters.actorId}</option>}
              {adminOptions.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.email}
                  {a.you ? " (you)" : ""}
                </option>
              ))}
            </select>
          </div>
          <div className="filter-field">
            <label htmlFor={ids.scope}>Where</label>
            <select id={ids.scope} value={filters.scope} onChange={(e) => set("scope", e.target.value === "profile" ? "profile" : "account")}>
              <option value="account">Whole account</option>
              <option value="profile">This profile ({profile.region})</option>
            </select>
          </div>
          <div className="filter-field">
            <label htmlFor={ids.from}>From</label>
            <input id={ids.from} type="date" value={filters.from} max={filters.to || undefined} onChange={(e) => set("from", e.target.value)} aria-describedby={rangeError ? ids.range : undefined} />
          </div>
          <div className="filter-field">
            <label htmlFor={ids.to}>To</label>
            <input
              id={ids.to}
              type="date"
              value={filters.to}
              min={filters.from || undefined}
              onChange={(e) => set("to", e.target.value)}
              aria-invalid={rangeError ? true : undefined}
              aria-describedby={rangeError ? ids.range : undefined}
            />
          </div>
          {filtered && (
            <button type="button" className="btn btn-link filter-clear" onClick={() => setFilters(noFilters)}>
              Clear filters
            </button>
          )}
        </form>
        {filters.targetId && (
          <p className="audit-chips">
            <span className="audit-chip">
              Target: <code title={filters.targetId}>{shortId(filters.targetId)}</code>
              <button type="button" className="audit-chip-remove" aria-label="Show every target" onClick={() => set("targetId", "")}>
                <span aria-hidden="true">×</span>
              </button>
            </span>
          </p>
        )}
        {rangeError && (
          <p id={ids.range} role="alert" className="alert alert-error panel-alert">
            {rangeError}
          </p>
        )}
        {list.isError && (
          <div role="alert" className="alert alert-error panel-alert">
            Could not load the audit log: {errorMessage(list.error)}{" "}
            <button type="button" className="btn btn-link" onClick={() => void list.refetch()}>
              Try again
            </button>
          </div>
        )}
        <div className="table-wrap">
          <table className="data-table audit-table" aria-busy={list.isFetching && !list.isFetchingNextPage}>
            <caption className="visually-hidden">Audit log entries</caption>
            <colgroup>
              <col className="audit-col-when" />
              <col className="audit-col-who" />
              <col className="audit-col-action" />
              <col className="audit-col-target" />
              <col className="audit-col-change" />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Before → after</th>
              </tr>
            </thead>
            <tbody>
              {loading &&
                Array.from({ length: 6 }, (_, i) => (
                  <tr key={i} aria-hidden="true">
                    {Array.from({ length: 5 }, (_, j) => (
                      <td key={j}>
                        <span className="skeleton" />
                      </td>
                    ))}
                  </tr>
                ))}
              {list.isSuccess && entries.length === 0 && (
                <tr>
                  <td colSpan={5} className="empty">
                    {filtered ? (
                      <>
                        <strong>No entries match these filters.</strong>
                        <span>
                          Actions match exactly (for example <code>period.close</code>).{" "}
                          <button type="button" className="btn btn-link" onClick={() => setFilters(noFilters)}>
                            Clear filters
                          </button>
                        </span>
                      </>
                    ) : (
                      <>
                        <strong>No entries yet.</strong>
                        <span>Changes to subscriptions, settings, keys and the directory appear here as they happen.</span>
                      </>
                    )}
                  </td>
                </tr>
              )}
              {entries.map((entry) => (
                <AuditRow key={entry.id} entry={entry} onTarget={(id) => set("targetId", id)} />
              ))}
            </tbody>
          </table>
        </div>
        {entries.length > 0 && (
          <div className="list-more">
            <span className="muted" aria-live="polite">
              {list.hasNextPage ? `Showing the newest ${plural(entries.length, "entry", "entries")}` : `All ${plural(entries.length, "entry", "entries")} shown`}
            </span>
            {list.hasNextPage && (
              <button type="button" className="btn btn-normal btn-small" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                {list.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            )}
          </div>
        )}
      </section>
    </>
  );
}

function AuditRow({ entry, onTarget }: { entry: AuditEntry; onTarget: (targetId: string) => void }) {
  const label = actionLabel(entry.action);
  const changes = diffValues(entry.before, entry.after);
  const name = targetName(entry.target);
  return (
    <tr>
      <td className="cell-date">
        <time dateTime={entry.at} title={formatUtc(entry.at)}>
          {formatLocal(entry.at)}
        </time>
      </td>
      <td>
        <span className="audit-who">{breakableEmail(entry.actor.label)}</span>
        {entry.actor.type !== "admin" && <span className="note">{entry.actor.type === "system" ? "Seatdesk (automatic)" : entry.actor.type === "scim" ? "Identity provider (SCIM)" : entry.actor.type === "operator" ? "Operator (command line)" : entry.actor.type}</span>}
      </td>
      <td>
        <span className="audit-action">{label ?? entry.action}</span>
        {label && <code className="note audit-code">{breakableCode(entry.action)}</code>}
      </td>
      <td>
        <span className="audit-target-type">{targetTypeLabel(entry.targetType)}</span>
        {entry.targetId && (
          <>
            <button
              type="button"
              className={name === null ? "btn btn-link audit-target" : "btn btn-link audit-target named"}
              title={`${[entry.target.detail, entry.targetId].filter(Boolean).join(" · ")}: show only this target's entries`}
              aria-label={`Show only entries for ${targetTypeLabel(entry.targetType).toLowerCase()} ${name ?? entry.targetId}`}
              onClick={() => onTarget(entry.targetId!)}
            >
              {name ?? shortId(entry.targetId)}
            </button>
            {name !== null && name !== entry.targetId && (
              <code className="note audit-target-id" title={entry.targetId}>
                {shortId(entry.targetId)}
              </code>
            )}
          </>
        )}
      </td>
      <td>
        <ChangeCell changes={changes} before={entry.before} after={entry.after} />
      </td>
    </tr>
  );
}

function ChangeLine({ change }: { change: FieldChange }) {
  const catalog = useCatalog();
  const created = change.before === undefined;
  const removed = change.after === undefined;
  return (
    <li>
      {change.path && <span className="change-key">{change.path}: </span>}
      {created ? (
        <span className="change-after">{formatValue(catalog, change.path, change.after)}</span>
      ) : removed ? (
        <del className="change-before">{formatValue(catalog, change.path, change.before)}</del>
      ) : (
        <>
          <span className="change-before">{formatValue(catalog, change.path, change.before)}</span>
          <span className="change-arrow" aria-label="to">
            {" → "}
          </span>
          <span className="change-after">{formatValue(catalog, change.path, change.after)}</span>
        </>
      )}
    </li>
  );
}

/** The change in a line or two; the rest and the raw before and after behind a disclosure. */
function ChangeCell({ changes, before, after }: { changes: FieldChange[]; before: unknown; after: unknown }) {
  if (before == null && after == null) return <span className="blank">No details</span>;
  const shown = changes.slice(0, inlineChanges);
  const more = changes.length - shown.length;
  return (
    <div className="change">
      {changes.length === 0 ? (
        <span className="muted">No field changed</span>
      ) : (
        <ul className="change-list">
          {shown.map((c) => (
            <ChangeLine key={c.path} change={c} />
          ))}
        </ul>
      )}
      <details className="change-details">
        <summary>{more > 0 ? `${more} more ${more === 1 ? "change" : "changes"}` : "Before and after"}</summary>
        {more > 0 && (
          <ul className="change-list">
            {changes.slice(inlineChanges).map((c) => (
              <ChangeLine key={c.path} change={c} />
            ))}
          </ul>
        )}
        <div className="change-json">
          <div>
            <p className="change-json-title">Before</p>
            <pre>{before == null ? "—" : JSON.stringify(before, null, 2)}</pre>
          </div>
          <div>
            <p className="change-json-title">After</p>
            <pre>{after == null ? "—" : JSON.stringify(after, null, 2)}</pre>
          </div>
        </div>
      </details>
    </div>
  );
}

const auditCsvHeader = ["Time (UTC)", "Who", "Actor type", "Actor ID", "Action", "Target type", "Target ID", "Target name", "Profile ID", "Before", "After"];

/** The entries as CSV, a row each; before and after as JSON text (what the log stores). */
function auditCsv(entries: readonly AuditEntry[]): string {
  return toCsv(
    auditCsvHeader,
    entries.map((e) => [
      e.at,
      e.actor.label,
      e.actor.type,
      e.actor.id ?? "",
      e.action,
      e.targetType,
      e.targetId ?? "",
      targetName(e.target) ?? "",
      e.profileId ?? "",
      e.before == null ? "" : JSON.stringify(e.before),
      e.after == null ? "" : JSON.stringify(e.after),
    ]),
  );
}
