import { callerWithKey, makeKey } from "../usage-helpers";
import type { IsolationCase, World } from "./types";

const when = "2026-01-08T12:00:00.000Z";
/** The calling account's own profile key, aimed at the target account's users. */
const ownKey = async (w: World) => callerWithKey(w.h, (await makeKey(w.h, w.mine, "isolation")).key);
const notConsole = "a profile API key opens the usage API, not a console role; console sessions get 401";

export const usageCases: IsolationCase[] = [
  { path: "keys.list", call: (api, t) => api.keys.list({ profileId: t.profileId }) },
  { path: "keys.create", call: (api, t) => api.keys.create({ profileId: t.profileId, name: "x" }) },
  { path: "keys.revoke", call: (api, t) => api.keys.revoke({ profileId: t.profileId, keyId: t.userIds[0]! }) },
  { path: "usage.check", call: async (_api, t, w) => (await ownKey(w)).usage.check({ userId: t.userIds[3]! }) },
  { path: "usage.activate", call: async (_api, t, w) => (await ownKey(w)).usage.activate({ userId: t.userIds[3]! }), viewerMay: notConsole },
  {
    path: "usage.record",
    call: async (_api, t, w) => (await ownKey(w)).usage.record({ userId: t.userIds[3]!, credits: 1, client: "ide", occurredAt: when, idempotencyKey: `iso-${t.accountId}` }),
    viewerMay: notConsole,
  },
  {
    path: "usage.recordBatch",
    call: async (_api, t, w) =>
      (await ownKey(w)).usage.recordBatch({ events: [{ userId: t.userIds[4]!, credits: 1, client: "cli", occurredAt: when, idempotencyKey: `isob-${t.accountId}` }] }),
    viewerMay: notConsole,
  },
];
