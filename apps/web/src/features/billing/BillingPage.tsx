import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";

/** Billing (issue 7). */
export function BillingPage({ profile }: ProfilePageProps) {
  return (
    <>
      <PageHeader section="Billing">Billing</PageHeader>
      <p className="muted">{profile.name}</p>
    </>
  );
}
