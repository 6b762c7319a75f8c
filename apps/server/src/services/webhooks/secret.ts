import { randomBytes } from "node:crypto";

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64 (the form `new Webhook(secret)` takes). */
export const generateWebhookSecret = (): string => `whsec_${randomBytes(24).toString("base64")}`;

/** What the console shows of a secret it no longer reveals. */
export const secretHint = (secret: string): string => `${secret.slice(0, 10)}…`;
