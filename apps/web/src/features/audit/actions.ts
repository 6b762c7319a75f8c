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
  { code: "coverage.repair", label: "Group coverage repaired" },
  { code: "idle.warn", label: "Warned as idle" },
  { code: "scim-token.create", label: "SCIM token created" },
  { code: "scim-token.revoke", label: "SCIM token revoked" },
  { code: "scim.user.create", label: "User added by the identity provider" },
  { code: "scim.user.update", label: "User changed by the identity provider" },
  { code: "scim.user.deactivate", label: "User deactivated by the identity provider" },
  { code: "scim.user.reactivate", label: "User reactivated by the identity provider" },
  { code: "scim.user.delete", label: "User deleted by the identity provider" },
  { code: "scim.group.create", label: "Group added by the identity provider" },
  { code: "scim.group.update", label: "Group changed by the identity provider" },
  { code: "scim.group.delete", label: "Group deleted by the identity provider" },
  { code: "scim.group.members.add", label: "Group members added by the identity provider" },
  { code: "scim.group.members.remove", label: "Group members removed by the identity provider" },
  { code: "webhook.endpoint.create", label: "Webhook endpoint added" },
  { code: "webhook.endpoint.update", label: "Webhook endpoint changed" },
  { code: "webhook.endpoint.delete", label: "Webhook endpoint deleted" },
  { code: "webhook.endpoint.rotateSecret", label: "Webhook secret rotated" },
  { code: "webhook.endpoint.sendTest", label: "Webhook test event sent" },
  { code: "webhook.endpoint.disabled", label: "Webhook endpoint disabled after failures" },
  { code: "webhook.delivery.resend", label: "Webhook delivery sent again" },
];

const labels = new Map(knownActions.map((a) => [a.code, a.label]));

export function actionLabel(code: string): string | undefined {
  return labels.get(code);
}
