import type { ReactNode } from "react";

export function PageHeader({ children, description }: { children: ReactNode; description?: ReactNode }) {
  return (
    <div className="page-header">
      <p className="breadcrumbs" aria-hidden="true">
        Seatdesk <span>›</span> Users &amp; Groups
      </p>
      <h1>{children}</h1>
      {description && <p className="page-description">{description}</p>}
    </div>
  );
}
