import { formatUtc } from "../../lib/format";
import { withBreakAfterAt } from "../settings/CredentialsTable";
import { roleLabel, type AdminRow } from "./admins-types";

interface Props {
  rows: AdminRow[] | undefined;
  loading: boolean;
  fetching: boolean;
  /** Owners get Change role and Remove on each row (not Remove on their own: another owner removes them). */
  canManage: boolean;
  onChangeRole: (row: AdminRow) => void;
  onRemove: (row: AdminRow) => void;
}

/** The account's console admins: name and e-mail, role, when added, and an owner's actions. */
export function AdminsTable({ rows, loading, fetching, canManage, onChangeRole, onRemove }: Props) {
  const columns = canManage ? 4 : 3;
  return (
    <div className="table-wrap">
      <table className="data-table settings-table admins-table" aria-label="Console admins" aria-busy={fetching}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Added</th>
            {canManage && (
              <th scope="col" className="col-actions">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {loading &&
            [0, 1].map((i) => (
              <tr key={i} aria-hidden="true">
                {Array.from({ length: columns }, (_, c) => (
                  <td key={c}>
                    <span className="skeleton" />
                  </td>
                ))}
              </tr>
            ))}
          {rows?.map((a) => (
            <tr key={a.id}>
              <th scope="row" className="cell-name">
                <span className="name">
                  {a.name}
                  {a.you && <span className="muted"> (you)</span>}
                </span>
                <span className="email">{withBreakAfterAt(a.email)}</span>
              </th>
              <td className="cell-strong">{roleLabel(a.role)}</td>
              <td className="cell-date">{formatUtc(a.createdAt)}</td>
              {canManage && (
                <td className="cell-actions">
                  <button type="button" className="btn btn-link" aria-label={`Change the role of ${a.name}`} onClick={() => onChangeRole(a)}>
                    Change role
                  </button>
                  {!a.you && (
                    <button type="button" className="btn btn-link" aria-label={`Remove ${a.name}`} onClick={() => onRemove(a)}>
                      Remove
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
