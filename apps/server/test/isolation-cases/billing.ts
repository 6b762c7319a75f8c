import type { IsolationCase } from "./types";

export const billingCases: IsolationCase[] = [
  { path: "billing.estimate", call: (api, t) => api.billing.estimate({ profileId: t.profileId }) },
  { path: "billing.invoices", call: (api, t) => api.billing.invoices({ profileId: t.profileId }) },
  { path: "billing.invoice", call: (api, t) => api.billing.invoice({ profileId: t.profileId, period: "2025-12" }) },
];
