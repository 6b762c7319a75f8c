import { useId } from "react";
import { roleOptions, roleOrder, type AdminRole } from "./admins-types";

interface Props {
  legend: string;
  value: AdminRole;
  onChange: (role: AdminRole) => void;
  disabled: boolean;
  /** The server's message about the role, shown under the choices. */
  error?: string | null;
  /** Marks the role held now ("· current"), when changing one. */
  current?: AdminRole;
}

/** Owner, Admin or Viewer, each with what it may do. */
export function RoleChoice({ legend, value, onChange, disabled, error, current }: Props) {
  const name = useId();
  const errorId = useId();
  return (
    <fieldset disabled={disabled} aria-describedby={error ? errorId : undefined}>
      <legend>{legend}</legend>
      {roleOrder.map((role) => (
        <label key={role} className={`choice${role === value ? " checked" : ""}`}>
          <input type="radio" name={name} value={role} checked={role === value} onChange={() => onChange(role)} />
          <span>
            <span className="choice-title">
              {roleOptions[role].label}
              {role === current && <span className="muted"> · current</span>}
            </span>
            <span className="choice-help">{roleOptions[role].help}</span>
          </span>
        </label>
      ))}
      {error && (
        <p id={errorId} role="alert" className="field-error">
          {error}
        </p>
      )}
    </fieldset>
  );
}
