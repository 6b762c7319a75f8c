import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Suspense, useCallback, type MouseEvent } from "react";
import { ClockControl } from "../components/ClockControl";
import { roleLabel } from "../features/admins/admins-types";
import { CatalogProvider } from "../features/catalog/useCatalog";
import { Logo } from "../features/session/SignInPage";
import { useSignOut } from "../features/session/use-session";
import { UsersPage } from "../features/users/UsersPage";
import { WebhooksNotice } from "../features/webhooks/WebhooksNotice";
import { errorMessage } from "../lib/errors";
import { PageHeader } from "./PageHeader";
import { useSearchParam } from "../lib/use-search-param";
import type { ProfilePageProps } from "./page-props";
import { AdminsPage, AuditPage, BillingPage, CoveragePage, OverviewPage, pageIdOf, ReportsPage, pages, RightSizingPage, SettingsPage, UserPage, WebhooksPage, type PageId } from "./pages";
import { useTRPC, type Me } from "./trpc";

/** An address within the console: this page, keeping the region (and only the parameters the page needs). */
function hrefOf(region: string, page: string, params: Record<string, string> = {}) {
  const search = new URLSearchParams({ region, ...(page === "users" ? {} : { page }), ...params });
  return `?${search.toString()}`;
}

/** Moves within the console without a reload; each move is a history entry, so Back works. */
function navigate(href: string) {
  window.history.pushState(null, "", href);
  window.dispatchEvent(new Event("seatdesk:urlchange"));
}

/** DESIGN.md §1: the console always works inside one region; this one unless the address says otherwise. */
export const defaultRegion = "us-east-1";

export function Shell({ me }: { me: Me }) {
  const [regionParam] = useSearchParam("region");
  const [pageParam] = useSearchParam("page");
  const region = regionParam || defaultRegion;
  const page = pageIdOf(pageParam);
  const signOut = useSignOut();
  const setRegion = useCallback((next: string) => navigate(hrefOf(next, page === "user" ? "users" : page)), [page]);
  const go = useCallback((next: string, params?: Record<string, string>) => {
    navigate(hrefOf(region, next, params));
    document.getElementById("main")?.focus();
  }, [region]);

  const open = (event: MouseEvent<HTMLAnchorElement>, id: string) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    go(id);
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="topbar">
        <div className="topbar-start">
          <span className="brand">
            <Logo />
            Seatdesk
          </span>
          <span className="topbar-sep" aria-hidden="true" />
          <span className="account" title="Account">
            {me.account.name}
          </span>
        </div>
        <div className="topbar-end">
          <ClockControl canAdvance={me.role !== "viewer"} />
          <RegionSelect region={region} onChange={setRegion} />
          <div className="who" title={me.email}>
            <span className="who-email">{me.email}</span>
            <span className="who-role">{roleLabel(me.role)}</span>
          </div>
          <button type="button" className="btn btn-topbar" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            {signOut.isPending ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </header>
      <div className="layout">
        <nav className="sidenav" aria-label="Console">
          {(["Subscriptions", "Account"] as const).map((section) => (
            <div key={section}>
              <p className="sidenav-title">{section}</p>
              <ul>
                {pages
                  .filter((p) => p.section === section)
                  .map((p) => (
                    <li key={p.id}>
                      <a href={hrefOf(region, p.id)} aria-current={p.id === page || (page === "user" && p.id === "users") ? "page" : undefined} onClick={(e) => open(e, p.id)}>
                        {p.label}
                      </a>
                    </li>
                  ))}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          {page !== "webhooks" && <WebhooksNotice onOpen={() => go("webhooks")} />}
          {page === "admins" || page === "webhooks" ? (
            <Suspense fallback={<PageLoading />}>
              {page === "admins" ? <AdminsPage me={me} /> : <WebhooksPage me={me} />}
            </Suspense>
          ) : (
            <ProfileArea region={region} page={page} me={me} go={go} onSwitchRegion={setRegion} />
          )}
        </main>
      </div>
    </div>
  );
}

function RegionSelect({ region, onChange }: { region: string; onChange: (region: string) => void }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.profiles.list.queryOptions());
  const regions = list.data?.regions ?? [];
  const known = regions.some((r) => r.id === region);
  return (
    <div className="region">
      <label htmlFor="region-select">Region</label>
      <select id="region-select" value={region} onChange={(e) => onChange(e.target.value)} disabled={!list.data}>
        {!known && <option value={region}>{region}</option>}
        {regions.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name} · {r.id}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The region's profile, or the notice that there is none here ("you might be in the wrong region"). */
function ProfileArea({ region, page, me, go, onSwitchRegion }: { region: string; page: PageId; me: Me; go: ProfilePageProps["go"]; onSwitchRegion: (r: string) => void }) {
  const trpc = useTRPC();
  const byRegion = useQuery(trpc.profiles.byRegion.queryOptions({ region }));
  const canEdit = me.role !== "viewer";

  if (byRegion.isPending) {
    return (
      <>
        <PageHeader>Users &amp; Groups</PageHeader>
        <p className="muted" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the profile for {region}…
        </p>
      </>
    );
  }
  if (byRegion.isError) {
    return (
      <>
        <PageHeader>Users &amp; Groups</PageHeader>
        <div role="alert" className="alert alert-error">
          {errorMessage(byRegion.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void byRegion.refetch()}>
            Try again
          </button>
        </div>
      </>
    );
  }
  const { profile, otherRegions } = byRegion.data;
  if (!profile) {
    return (
      <>
        <PageHeader>Users &amp; Groups</PageHeader>
        <div className="alert alert-info" role="status">
          <p className="alert-title">No profile in this region.</p>
          {otherRegions.length > 0 ? (
            <>
              <p>
                You have profiles in: {otherRegions.join(", ")}. You might be in the wrong region.
              </p>
              <p className="alert-actions">
                {otherRegions.map((r) => (
                  <button key={r} type="button" className="btn btn-normal" onClick={() => onSwitchRegion(r)}>
                    Switch to {r}
                  </button>
                ))}
              </p>
            </>
          ) : (
            <p>Your account has no profile in any region yet.</p>
          )}
          {me.role === "owner" && <CreateProfile region={region} />}
        </div>
      </>
    );
  }
  const props: ProfilePageProps = { profile, me, canEdit, go };
  return (
    <CatalogProvider>
      <Suspense fallback={<PageLoading />}>
        {page === "users" && <UsersPage key={profile.id} profile={profile} canEdit={canEdit} go={go} />}
        {page === "user" && <UserPage key={profile.id} {...props} />}
        {page === "overview" && <OverviewPage key={profile.id} {...props} />}
        {page === "coverage" && <CoveragePage key={profile.id} {...props} />}
        {page === "reports" && <ReportsPage key={profile.id} {...props} />}
        {page === "rightsizing" && <RightSizingPage key={profile.id} {...props} />}
        {page === "billing" && <BillingPage key={profile.id} {...props} />}
        {page === "settings" && <SettingsPage key={profile.id} {...props} />}
        {page === "audit" && <AuditPage key={profile.id} {...props} />}
      </Suspense>
    </CatalogProvider>
  );
}

function PageLoading() {
  return (
    <p className="muted" role="status">
      <span className="spinner" aria-hidden="true" /> Loading the page…
    </p>
  );
}

/** Owners open the account in this region (DESIGN.md §1: one profile per account and region). */
function CreateProfile({ region }: { region: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.profiles.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.profiles.pathFilter()),
    }),
  );
  return (
    <p className="alert-actions">
      <button type="button" className="btn btn-primary" disabled={create.isPending} onClick={() => create.mutate({ region })}>
        {create.isPending ? "Creating the profile…" : "Create a profile here"}
      </button>
      {create.isError && (
        <span role="alert" className="field-error">
          {errorMessage(create.error)}
        </span>
      )}
    </p>
  );
}
