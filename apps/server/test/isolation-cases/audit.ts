import type { IsolationCase } from "./types";

/** audit.list reads the signed-in account only; given another account's profile id it answers NOT_FOUND. */
export const auditCases: IsolationCase[] = [{ path: "audit.list", call: (api, t) => api.audit.list({ profileId: t.profileId }), expectCode: "NOT_FOUND" }];
