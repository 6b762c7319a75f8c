import { useCallback, useSyncExternalStore } from "react";

const changed = "seatdesk:urlchange";

function subscribe(onChange: () => void) {
  window.addEventListener("popstate", onChange);
  window.addEventListener(changed, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(changed, onChange);
  };
}

/**
 * One query parameter of the address bar as state, so a choice survives a reload and can be
 * shared as a link; each change is a history entry, so Back undoes it.
 */
export function useSearchParam(name: string): [string | null, (value: string | null) => void] {
  const value = useSyncExternalStore(subscribe, () => new URLSearchParams(window.location.search).get(name));
  const set = useCallback(
    (next: string | null) => {
      const url = new URL(window.location.href);
      if (next === null) url.searchParams.delete(name);
      else url.searchParams.set(name, next);
      if (url.href === window.location.href) return;
      window.history.pushState(null, "", url);
      window.dispatchEvent(new Event(changed));
    },
    [name],
  );
  return [value, set];
}
