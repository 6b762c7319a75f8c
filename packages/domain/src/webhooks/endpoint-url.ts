import { DomainError } from "../errors/domain-error";

export const webhookUrlMaxLength = 2000;

/**
 * A webhook endpoint's URL (issue 15, "Webhooks"): http or https only, no user name or password in it (a
 * credential there would be shown in the console and the audit log), no fragment. Private and loopback
 * addresses are allowed on purpose: a self-hosted Seatdesk often posts to services on its own network.
 * Answers the URL normalized by the WHATWG parser.
 */
export function parseWebhookUrl(raw: string): string {
  const value = raw.trim();
  const refuse = (why: string) => new DomainError("INVALID_INPUT", `url: ${why}`, "url");
  if (value.length === 0) throw refuse("enter the endpoint's address");
  if (value.length > webhookUrlMaxLength) throw refuse(`at most ${webhookUrlMaxLength} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse("not a valid URL (https://example.com/webhooks)");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw refuse("only http and https addresses can receive webhooks");
  if (url.username !== "" || url.password !== "") throw refuse("remove the user name and password: the signature authenticates Seatdesk");
  if (url.hash !== "") throw refuse("remove the #fragment: it is never sent");
  return url.toString();
}
