import type { IsolationCase } from "./types";

/** The clock has no ids: reading it shows only the time; moving it closes the caller's account's months only. */
export const clockCases: IsolationCase[] = [
  { path: "clock.get", call: (api) => api.clock.get(), sessionScoped: true },
  { path: "clock.advance", call: (api, _t, w) => api.clock.advance({ to: new Date(w.h.clock.now().getTime() + 60_000).toISOString() }), sessionScoped: true },
];
