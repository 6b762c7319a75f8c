import { useEffect, useId, useRef, useState } from "react";

export type PlanAction = "subscribe" | "change" | "deactivate";

const labels: Record<PlanAction, string> = { subscribe: "Subscribe", change: "Change plan", deactivate: "Deactivate plan" };

/**
 * A row's actions as a small menu (button + role="menu"): arrow keys move, Escape closes and returns
 * focus to the button. Only the actions that make sense for the row are offered.
 */
export function RowActions({ name, actions, onAction }: { name: string; actions: PlanAction[]; onAction: (action: PlanAction) => void }) {
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLUListElement>(null);

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLButtonElement>("button")?.focus();
    const away = (e: MouseEvent) => {
      if (!menu.current?.contains(e.target as Node) && e.target !== button.current) setOpen(false);
    };
    document.addEventListener("mousedown", away);
    return () => document.removeEventListener("mousedown", away);
  }, [open]);

  const onKey = (e: React.KeyboardEvent<HTMLUListElement>) => {
    const items = [...(menu.current?.querySelectorAll<HTMLButtonElement>("button") ?? [])];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === "Escape") {
      e.preventDefault();
      setOpen(false);
      button.current?.focus();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      items[(at + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length]?.focus();
    }
  };

  return (
    <div className="row-actions">
      <button
        ref={button}
        type="button"
        className="icon-button"
        aria-label={`Actions for ${name}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      {open && (
        <ul ref={menu} id={menuId} role="menu" aria-label={`Actions for ${name}`} className="menu" onKeyDown={onKey}>
          {actions.map((a) => (
            <li key={a} role="none">
              <button
                type="button"
                role="menuitem"
                className={a === "deactivate" ? "menu-danger" : undefined}
                onClick={() => {
                  setOpen(false);
                  onAction(a);
                }}
              >
                {labels[a]}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
