import type { ReactNode } from "react";
import { formatUtc } from "../../lib/format";

/** A credential as the console lists it: never the secret, only its public hint. */
export interface CredentialRow {
  id: string;
  name: string;
  hint: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/**
 * The list of API keys or SCIM tokens: name and hint, created, by whom, last used, Active/Revoked,
 * and a Revoke button for those who may revoke.
 */
export function CredentialsTable<T extends CredentialRow>(props: {
  label: string;
  rows: T[] | undefined;
  loading: boolean;
  fetching: boolean;
  canRevoke: boolean;
  empty: { title: string; hint: ReactNode };
  onRevoke: (row: T) => void;
}) {
  const { rows, canRevoke } = props;
  const columns = canRevoke ? 6 : 5;
  return (
    <div className="table-wrap">
      <table className="data-table settings-table keys-table" aria-label={props.label} aria-busy={props.fetching}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Created</th>
            <th scope="col">Created by</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            {canRevoke && (
              <th scope="col" className="col-actions">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {props.loading &&
            [0, 1].map((i) => (
              <tr key={i} aria-hidden="true">
                {Array.from({ length: columns }, (_, c) => (
                  <td key={c}>
                    <span className="skeleton" />
                  </td>
                ))}
              </tr>
            ))}
          {rows && rows.length === 0 && (
            <tr>
              <td colSpan={columns} className="empty">
                <strong>{props.empty.title}</strong>
                {props.empty.hint}
              </td>
            </tr>
          )}
          {rows?.map((k) => (
            <tr key={k.id} className={k.revokedAt ? "revoked" : undefined}>
              <th scope="row" className="cell-name">
                <span className="name">{k.name}</span>
                <code className="email">{k.hint}</code>
              </th>
              <td className="cell-date">{formatUtc(k.createdAt)}</td>
              <td className="cell-email">{withBreakAfterAt(k.createdBy)}</td>
              <td className="cell-date">{k.lastUsedAt ? formatUtc(k.lastUsedAt) : <span className="blank">Never</span>}</td>
              <td>
                {k.revokedAt ? (
                  <>
                    <span className="badge badge-canceled">Revoked</span>
                    <span className="note">{formatUtc(k.revokedAt)}</span>
                  </>
                ) : (
                  <span className="badge badge-active">Active</span>
                )}
              </td>
              {canRevoke && (
                <td className="cell-actions">
                  {!k.revokedAt && (
                    <button type="button" className="btn btn-normal btn-small" aria-label={`Revoke ${k.name}`} onClick={() => props.onRevoke(k)}>
                      Revoke
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "admin@<wbr>northwind.example": a narrow column breaks an address where a person would. */
export function withBreakAfterAt(email: string) {
  const at = email.indexOf("@");
  if (at < 0) return email;
  return (
    <>
      {email.slice(0, at + 1)}
      <wbr />
      {email.slice(at + 1)}
    </>
  );
}
