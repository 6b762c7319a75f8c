import type { IsolationCase } from "./types";

/** The catalog has no ids and no tenant: every signed-in admin reads the one the server runs with. */
export const catalogCases: IsolationCase[] = [{ path: "catalog.get", call: (api) => api.catalog.get(), sessionScoped: true }];
