import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";

/** Subscriptions overview (issue 7). */
export function OverviewPage({ profile }: ProfilePageProps) {
  return (
    <>
      <PageHeader section="Subscriptions overview">Subscriptions overview</PageHeader>
      <p className="muted">{profile.name}</p>
    </>
  );
}
