import type { IsolationCase } from "./types";

/** SCIM tokens: listed per account; revoking another account's token is NOT_FOUND. */
export const scimCases: IsolationCase[] = [
  { path: "scimTokens.list", call: (api) => api.scimTokens.list(), sessionScoped: true },
  { path: "scimTokens.create", call: (api) => api.scimTokens.create({ name: "isolation" }), sessionScoped: true },
  { path: "scimTokens.revoke", call: (api, t) => api.scimTokens.revoke({ tokenId: t.accountId }) },
];
