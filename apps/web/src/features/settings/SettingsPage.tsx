import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";

/** Settings (issue 7). */
export function SettingsPage({ profile }: ProfilePageProps) {
  return (
    <>
      <PageHeader section="Settings">Settings</PageHeader>
      <p className="muted">{profile.name}</p>
    </>
  );
}
