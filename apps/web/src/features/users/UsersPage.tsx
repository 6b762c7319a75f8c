import { useId, useState, type KeyboardEvent } from "react";
import { PageHeader } from "../../app/PageHeader";
import { useSearchParam } from "../../lib/use-search-param";
import { IdleSeatsTab } from "../idle/IdleSeatsTab";
import { GroupsTab } from "./GroupsTab";
import { UsersTab } from "./UsersTab";

interface Props {
  profile: { id: string; region: string; name: string };
  /** Viewers read only (DESIGN.md §1, "console admin"). */
  canEdit: boolean;
  /** Opens another page of the console (a user's page). */
  go: (page: string, params?: Record<string, string>) => void;
}

const tabs = [
  { id: "users", label: "Users" },
  { id: "groups", label: "Groups" },
  { id: "idle", label: "Idle seats" },
] as const;

/** "Users & Groups": the directory's people and groups with their subscriptions in this profile. */
export function UsersPage({ profile, canEdit, go }: Props) {
  const base = useId();
  const [tabParam, setTab] = useSearchParam("tab");
  const tab = tabs.find((t) => t.id === tabParam)?.id ?? "users";
  const [notice, setNotice] = useState<string | null>(null);

  // Arrow keys move between tabs (WAI-ARIA tabs pattern).
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    e.preventDefault();
    const at = tabs.findIndex((t) => t.id === tab);
    const next = tabs[(at + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length]!.id;
    setTab(next === "users" ? null : next);
    document.getElementById(`${base}-tab-${next}`)?.focus();
  };

  return (
    <>
      <PageHeader section="Users & Groups" description={`Subscribe people in your directory to a tier, one by one or a group at a time. Profile: ${profile.name} (${profile.region}).`}>
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
      <div role="tablist" aria-label="Users & Groups" className="tabs" onKeyDown={onKey}>
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`${base}-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`${base}-panel`}
            tabIndex={tab === t.id ? 0 : -1}
            className="tab"
            onClick={() => setTab(t.id === "users" ? null : t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${base}-panel`} aria-labelledby={`${base}-tab-${tab}`}>
        {tab === "users" ? (
          <UsersTab profileId={profile.id} canEdit={canEdit} onNotice={setNotice} onOpen={(userId) => go("user", { user: userId })} />
        ) : tab === "idle" ? (
          <IdleSeatsTab profileId={profile.id} onOpen={(userId) => go("user", { user: userId })} />
        ) : (
          <GroupsTab profileId={profile.id} canEdit={canEdit} onNotice={setNotice} />
        )}
      </div>
    </>
  );
}
