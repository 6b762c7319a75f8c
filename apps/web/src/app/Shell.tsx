import { useQuery } from "@tanstack/react-query";
import type { MouseEvent } from "react";
import { Logo } from "../features/session/SignInPage";
import { useSignOut } from "../features/session/use-session";
import { UsersPage } from "../features/users/UsersPage";
import { errorMessage } from "../lib/errors";
import { PageHeader } from "./PageHeader";
import { useSearchParam } from "../lib/use-search-param";
import { useTRPC, type Me } from "./trpc";

/** DESIGN.md §1: the console always works inside one region; this one unless the address says otherwise. */
export const defaultRegion = "us-east-1";

const roleLabels: Record<Me["role"], string> = { owner: "Owner", admin: "Admin", viewer: "Viewer" };

export function Shell({ me }: { me: Me }) {
  const [regionParam, setRegion] = useSearchParam("region");
  const region = regionParam || defaultRegion;
  const signOut = useSignOut();

  const focusMain = (event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault();
    document.getElementById("main")?.focus();
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
          <RegionSelect region={region} onChange={setRegion} />
          <div className="who">
            <span className="who-email">{me.email}</span>
            <span className="who-role">{roleLabels[me.role] ?? me.role}</span>
          </div>
          <button type="button" className="btn btn-topbar" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            {signOut.isPending ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </header>
      <div className="layout">
        <nav className="sidenav" aria-label="Console">
          <p className="sidenav-title">Subscriptions</p>
          <ul>
            <li>
              <a href={`?region=${encodeURIComponent(region)}`} aria-current="page" onClick={focusMain}>
                Users &amp; Groups
              </a>
            </li>
          </ul>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <ProfileArea region={region} onSwitchRegion={setRegion} canEdit={me.role !== "viewer"} />
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
function ProfileArea({ region, onSwitchRegion, canEdit }: { region: string; onSwitchRegion: (r: string) => void; canEdit: boolean }) {
  const trpc = useTRPC();
  const byRegion = useQuery(trpc.profiles.byRegion.queryOptions({ region }));

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
        </div>
      </>
    );
  }
  return <UsersPage key={profile.id} profile={profile} canEdit={canEdit} />;
}
