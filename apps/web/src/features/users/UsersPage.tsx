import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { PageHeader } from "../../app/PageHeader";
import { useTRPC, type UsersTabRow } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { plural } from "../../lib/format";
import { useDebouncedValue } from "../../lib/use-debounced-value";
import { SubscribeDialog } from "./SubscribeDialog";
import { describeResults } from "./tiers";
import { UsersTable } from "./UsersTable";

interface Props {
  profile: { id: string; region: string; name: string };
  /** Viewers read only (DESIGN.md §1, "console admin"). */
  canEdit: boolean;
  /** Opens another page of the console (a user's page). */
  go: (page: string, params?: Record<string, string>) => void;
}

/** "Users & Groups", tab Users: the directory with each person's subscription in this profile. */
export function UsersPage({ profile, canEdit, go: _go }: Props) {
  const tabId = useId();
  const panelId = useId();
  const [notice, setNotice] = useState<string | null>(null);

  return (
    <>
      <PageHeader description={`Subscribe people in your directory to a tier. Profile: ${profile.name} (${profile.region}).`}>
        Users &amp; Groups
      </PageHeader>
      <div role="status" className="flash-region">
        {notice && (
          <div className="flash flash-success">
            <span className="flash-icon" aria-hidden="true">✓</span>
            <span className="flash-text">{notice}</span>
            <button type="button" className="icon-button icon-button-light" aria-label="Dismiss" onClick={() => setNotice(null)}>
              <span aria-hidden="true">×</span>
            </button>
          </div>
        )}
      </div>
      <div role="tablist" aria-label="Users & Groups" className="tabs">
        <button type="button" role="tab" id={tabId} aria-selected="true" aria-controls={panelId} className="tab" tabIndex={0}>
          Users
        </button>
      </div>
      <div role="tabpanel" id={panelId} aria-labelledby={tabId}>
        <UsersTab profileId={profile.id} canEdit={canEdit} onNotice={setNotice} />
      </div>
    </>
  );
}

function UsersTab({ profileId, canEdit, onNotice }: { profileId: string; canEdit: boolean; onNotice: (text: string | null) => void }) {
  const trpc = useTRPC();
  const headingId = useId();
  const searchId = useId();
  const [searchText, setSearchText] = useState("");
  const search = useDebouncedValue(searchText.trim(), 250);

  // Keyset paging: the cursor of every page visited, so Previous goes back without offsets.
  // A new search starts again at page 1 (adjusted while rendering, so no request goes out with a stale cursor).
  const [paging, setPaging] = useState<{ search: string; cursors: (string | null)[] }>({ search, cursors: [null] });
  let cursors = paging.cursors;
  if (paging.search !== search) {
    cursors = [null];
    setPaging({ search, cursors });
  }
  const cursor = cursors.at(-1) ?? null;
  const page = cursors.length;

  const list = useQuery(
    trpc.subscriptions.list.queryOptions(
      { profileId, ...(search ? { search } : {}), ...(cursor ? { cursor } : {}) },
      { placeholderData: keepPreviousData },
    ),
  );
  const rows = list.data?.rows;
  const nextCursor = list.isPlaceholderData ? null : (list.data?.nextCursor ?? null);

  const [selected, setSelected] = useState<ReadonlyMap<string, UsersTabRow>>(new Map());
  const [dialogOpen, setDialogOpen] = useState(false);

  const toggle = (row: UsersTabRow, on: boolean) =>
    setSelected((prev) => {
      const next = new Map(prev);
      if (on) next.set(row.userId, row);
      else next.delete(row.userId);
      return next;
    });
  const togglePage = (on: boolean) =>
    setSelected((prev) => {
      const next = new Map(prev);
      for (const row of rows ?? []) {
        if (on) next.set(row.userId, row);
        else next.delete(row.userId);
      }
      return next;
    });

  const openDialog = () => {
    onNotice(null);
    setDialogOpen(true);
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>Users</h2>
          <p className="panel-description">Everyone in your directory, with their subscription in this region.</p>
        </div>
        <div className="panel-actions">
          {selected.size > 0 && (
            <span className="selection">
              {plural(selected.size, "user")} selected
              <button type="button" className="btn btn-link" onClick={() => setSelected(new Map())}>
                Clear selection
              </button>
            </span>
          )}
          <button
            type="button"
            className="btn btn-primary"
            disabled={!canEdit || selected.size === 0}
            title={canEdit ? undefined : "Viewers cannot change subscriptions"}
            onClick={openDialog}
          >
            Subscribe
          </button>
        </div>
      </div>
      <div className="panel-toolbar">
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
        <nav className="pager" aria-label="Pages of users">
          <button
            type="button"
            className="btn btn-normal btn-small"
            disabled={page === 1}
            onClick={() => setPaging({ search, cursors: cursors.slice(0, -1) })}
          >
            ‹ Previous
          </button>
          <span className="pager-page" aria-live="polite">
            Page {page}
          </span>
          <button
            type="button"
            className="btn btn-normal btn-small"
            disabled={!nextCursor}
            onClick={() => nextCursor && setPaging({ search, cursors: [...cursors, nextCursor] })}
          >
            Next ›
          </button>
        </nav>
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
        search={search}
        selected={selected}
        onToggle={toggle}
        onTogglePage={togglePage}
      />
      {dialogOpen && (
        <SubscribeDialog
          profileId={profileId}
          users={[...selected.values()]}
          onClose={() => setDialogOpen(false)}
          onSubscribed={(result, tier) => {
            setDialogOpen(false);
            setSelected(new Map());
            onNotice(describeResults(result.results, tier));
          }}
        />
      )}
    </section>
  );
}
