import type { Catalog, TierId } from "@seatdesk/domain";
import { useQuery } from "@tanstack/react-query";
import { createContext, useCallback, useContext, type ReactNode } from "react";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { tierName } from "./catalog";

const CatalogContext = createContext<Catalog | null>(null);

/**
 * Loads the server's catalog once (it changes only when the server restarts with another one) and gives it
 * to every page below; until it has arrived the pages wait, so no page ever shows a price of its own.
 */
export function CatalogProvider({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const catalog = useQuery({ ...trpc.catalog.get.queryOptions(), staleTime: Number.POSITIVE_INFINITY, gcTime: Number.POSITIVE_INFINITY });
  if (catalog.data) return <CatalogContext.Provider value={catalog.data}>{children}</CatalogContext.Provider>;
  if (catalog.isError) {
    return (
      <div role="alert" className="alert alert-error">
        The plans and prices could not be loaded: {errorMessage(catalog.error)}{" "}
        <button type="button" className="btn btn-link" onClick={() => void catalog.refetch()}>
          Try again
        </button>
      </div>
    );
  }
  return (
    <p className="muted" role="status">
      <span className="spinner" aria-hidden="true" /> Loading plans and prices…
    </p>
  );
}

/** The catalog the server runs with; only inside CatalogProvider. */
export function useCatalog(): Catalog {
  const catalog = useContext(CatalogContext);
  if (!catalog) throw new Error("useCatalog is used outside CatalogProvider");
  return catalog;
}

/** `tierName` bound to the server's catalog, for components that show tier names. */
export function useTierName(): (id: TierId | string) => string {
  const catalog = useCatalog();
  return useCallback((id: TierId | string) => tierName(catalog, id), [catalog]);
}
