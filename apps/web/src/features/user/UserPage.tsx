import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";

/** User (issue 7). */
export function UserPage({ profile }: ProfilePageProps) {
  return (
    <>
      <PageHeader section="User">User</PageHeader>
      <p className="muted">{profile.name}</p>
    </>
  );
}
