import { testPassword } from "../harness";
import type { IsolationCase } from "./types";

export const coreCases: IsolationCase[] = [
  { path: "session.signIn", call: (api, t) => api.session.signIn({ email: t.admins.owner.email, password: `${testPassword}!` }), expectCode: "UNAUTHORIZED", viewerMay: "anyone may sign in", auditsTarget: "admin.signInFailed" },
  { path: "session.signOut", call: (api) => api.session.signOut(), sessionScoped: true, viewerMay: "a viewer ends their own session" },
  { path: "session.me", call: (api) => api.session.me(), sessionScoped: true },
  { path: "profiles.list", call: (api) => api.profiles.list(), sessionScoped: true },
  { path: "profiles.byRegion", call: (api) => api.profiles.byRegion({ region: "us-east-1" }), sessionScoped: true },
  { path: "subscriptions.list", call: (api, t) => api.subscriptions.list({ profileId: t.profileId }) },
  { path: "subscriptions.count", call: (api, t) => api.subscriptions.count({ profileId: t.profileId, search: "user" }) },
  { path: "subscriptions.subscribe", call: (api, t) => api.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds.slice(0, 2), tier: "pro" }) },
  { path: "subscriptions.listGroups", call: (api, t) => api.subscriptions.listGroups({ profileId: t.profileId }) },
  { path: "subscriptions.changePlan", call: (api, t) => api.subscriptions.changePlan({ profileId: t.profileId, userIds: t.userIds.slice(3, 5), tier: "power" }) },
  { path: "subscriptions.unsubscribe", call: (api, t) => api.subscriptions.unsubscribe({ profileId: t.profileId, userIds: t.userIds.slice(3, 5) }) },
  { path: "subscriptions.previewChange", call: (api, t) => api.subscriptions.previewChange({ profileId: t.profileId, groupIds: t.groupIds.slice(0, 1), tier: "pro" }) },
  { path: "subscriptions.user", call: (api, t) => api.subscriptions.user({ profileId: t.profileId, userId: t.userIds[3]! }) },
];
