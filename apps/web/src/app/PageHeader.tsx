import type { ReactNode } from "react";

/** A page's title, with where it sits in the console ("Seatdesk › Billing") and what it is for. */
export function PageHeader({ children, description, section = "Users & Groups" }: { children: ReactNode; description?: ReactNode; section?: string }) {
  return (
    <div className="page-header">
      <p className="breadcrumbs" aria-hidden="true">
        Seatdesk <span>›</span> {section}
      </p>
      <h1>{children}</h1>
      {description && <p className="page-description">{description}</p>}
    </div>
  );
}
