import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { ApiKeysSection } from "./ApiKeysSection";
import { IdleSection } from "./IdleSection";
import { LimitsSection } from "./LimitsSection";
import { OverageSection } from "./OverageSection";
import { GroupOverridesSection, UserOverridesSection } from "./OverridesSection";
import { RulesSection } from "./RulesSection";
import { ScimSection } from "./ScimSection";

/**
 * Settings (issues 7, 8): overages and their limits, cancellations and the first month, API keys, the
 * identity provider (SCIM). Each control saves on its own and says so beside it; viewers see every
 * value and nothing that changes one.
 */
export function SettingsPage({ profile, me, canEdit }: ProfilePageProps) {
  const trpc = useTRPC();
  const settings = useQuery(trpc.settings.get.queryOptions({ profileId: profile.id }));
  const [notice, setNotice] = useState<string | null>(null);

  return (
    <div className="settings-page">
      <PageHeader section="Settings" description={`Profile: ${profile.name} (${profile.region}). Changes take effect at once for every user in this profile.`}>
        Settings
      </PageHeader>
      {!canEdit && (
        <p className="alert alert-info settings-readonly" role="note">
          You have read-only access (Viewer): you can see the settings but not change them.
        </p>
      )}
      <div role="status" className="flash-region">
        {notice && (
          <div className="flash flash-success">
            <span className="flash-icon" aria-hidden="true">
              ✓
            </span>
            <span className="flash-text">{notice}</span>
            <button type="button" className="icon-button icon-button-light" aria-label="Dismiss" onClick={() => setNotice(null)}>
              <span aria-hidden="true">×</span>
            </button>
          </div>
        )}
      </div>
      {settings.isPending && (
        <p className="muted" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the settings…
        </p>
      )}
      {settings.isError && (
        <div role="alert" className="alert alert-error">
          Could not load the settings: {errorMessage(settings.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void settings.refetch()}>
            Try again
          </button>
        </div>
      )}
      {settings.data && (
        <div className="settings-stack">
          <OverageSection settings={settings.data} canEdit={canEdit} />
          <LimitsSection settings={settings.data} canEdit={canEdit} />
          <GroupOverridesSection settings={settings.data} canEdit={canEdit} onNotice={setNotice} />
          <UserOverridesSection settings={settings.data} canEdit={canEdit} onNotice={setNotice} />
          <RulesSection settings={settings.data} canEdit={canEdit} />
          <IdleSection settings={settings.data} canEdit={canEdit} />
          <ApiKeysSection profileId={profile.id} canEdit={canEdit} onNotice={setNotice} />
          <ScimSection isOwner={me.role === "owner"} canEdit={canEdit} onNotice={setNotice} />
        </div>
      )}
    </div>
  );
}
