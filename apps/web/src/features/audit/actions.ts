/**
 * The actions the server writes to the audit log, with what a person calls them. The log stores the code;
 * an action not listed here (a newer server) still shows, by its code.
 */
export const knownActions: readonly { code: string; label: string }[] = [
  { code: "assignment.subscribe", label: "Subscribed" },
  { code: "assignment.change-plan", label: "Plan changed" },
  { code: "assignment.unsubscribe", label: "Plan deactivated" },
  { code: "subscription.changed", label: "Subscription changed" },
  { code: "subscription.group-membership", label: "Subscription changed by a group" },
  { code: "settings.update", label: "Settings changed" },
  { code: "settings.setUserOverride", label: "User limits changed" },
  { code: "settings.setGroupOverride", label: "Group cap changed" },
  { code: "api-key.create", label: "API key created" },
  { code: "api-key.revoke", label: "API key revoked" },
  { code: "profile.create", label: "Profile created" },
  { code: "period.close", label: "Month closed" },
  { code: "clock.advance", label: "Clock moved forward" },
  { code: "admin.invite", label: "Admin invited" },
  { code: "admin.remove", label: "Admin removed" },
  { code: "admin.changeRole", label: "Admin role changed" },
  { code: "admin.changePassword", label: "Password changed" },
  { code: "admin.resetPassword", label: "Owner's password reset" },
  { code: "admin.signInFailed", label: "Sign-in failed" },
  { code: "account.create", label: "Account created" },
  { code: "directory.user.create", label: "Directory user added" },
  { code: "directory.group.create", label: "Directory group added" },
  { code: "directory.group.add-members", label: "Group members added" },
  { code: "directory.group.remove-members", label: "Group members removed" },
  { code: "directory.import", label: "Directory imported" },
];

const labels = new Map(knownActions.map((a) => [a.code, a.label]));

export function actionLabel(code: string): string | undefined {
  return labels.get(code);
}
