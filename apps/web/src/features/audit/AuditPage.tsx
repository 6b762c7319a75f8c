import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";

/** Audit log (issue 7). */
export function AuditPage({ profile }: ProfilePageProps) {
  return (
    <>
      <PageHeader section="Audit log">Audit log</PageHeader>
      <p className="muted">{profile.name}</p>
    </>
  );
}
