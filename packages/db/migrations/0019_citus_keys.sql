-- Every tenant table keys by account_id, so the schema can be distributed by account on Citus (DESIGN.md §3;
-- packages/db/src/distribution.ts reads the catalog and holds every table to it). Citus enforces a key only
-- within one shard, so no unique key may leave account_id out. Four did:
--
-- 1. Sign-in e-mails must stay unique across accounts: the key moves to console_sign_ins, a reference table
--    (replicated to every node) of e-mail -> account and admin, claimed by a trigger before an admin row is
--    written. A taken e-mail skips the admin row, as ON CONFLICT DO NOTHING on the old unique index did, so
--    every writer (which reads the row back) answers "already a console admin's sign-in" as before.
CREATE TABLE "console_sign_ins" (
	"email_fold" text PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"admin_id" uuid NOT NULL
);
--> statement-breakpoint
INSERT INTO "console_sign_ins" ("email_fold", "account_id", "admin_id") SELECT lower("email"), "account_id", "id" FROM "console_admins";--> statement-breakpoint
CREATE FUNCTION seatdesk_sign_in_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO console_sign_ins (email_fold, account_id, admin_id) VALUES (lower(NEW.email), NEW.account_id, NEW.id) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END
$$;--> statement-breakpoint
-- An e-mail changed in place moves its claim; one taken by another admin fails the update (23505), never shares it.
CREATE FUNCTION seatdesk_sign_in_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM console_sign_ins WHERE email_fold = lower(OLD.email) AND admin_id = OLD.id;
  INSERT INTO console_sign_ins (email_fold, account_id, admin_id) VALUES (lower(NEW.email), NEW.account_id, NEW.id);
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE FUNCTION seatdesk_sign_in_free() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM console_sign_ins WHERE email_fold = lower(OLD.email) AND admin_id = OLD.id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER console_admins_sign_in_claim BEFORE INSERT ON "console_admins" FOR EACH ROW EXECUTE FUNCTION seatdesk_sign_in_claim();--> statement-breakpoint
CREATE TRIGGER console_admins_sign_in_move BEFORE UPDATE OF "email", "account_id", "id" ON "console_admins" FOR EACH ROW
  WHEN (lower(OLD.email) IS DISTINCT FROM lower(NEW.email) OR OLD.account_id IS DISTINCT FROM NEW.account_id OR OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION seatdesk_sign_in_move();--> statement-breakpoint
CREATE TRIGGER console_admins_sign_in_free AFTER DELETE ON "console_admins" FOR EACH ROW EXECUTE FUNCTION seatdesk_sign_in_free();--> statement-breakpoint
DROP INDEX "console_admins_email_uq";--> statement-breakpoint
-- Sign-in still reads the admin by e-mail, now through a plain index.
CREATE INDEX "console_admins_email_idx" ON "console_admins" USING btree (lower("email"));--> statement-breakpoint
-- 2, 3. API keys' and SCIM tokens' public lookups are 72 random bits, unique in practice and not a rule of the
--    product (the secret decides): plain indexes serve the lookup a request makes.
DROP INDEX "api_keys_lookup_uq";--> statement-breakpoint
CREATE INDEX "api_keys_lookup_idx" ON "api_keys" USING btree ("lookup");--> statement-breakpoint
DROP INDEX "scim_tokens_lookup_uq";--> statement-breakpoint
CREATE INDEX "scim_tokens_lookup_idx" ON "scim_tokens" USING btree ("lookup");--> statement-breakpoint
-- 4. A session is found by the hash of its cookie's 256 random bits (unique by construction) before its
--    account is known: the key becomes (account_id, token_hash), the lookup a plain index.
ALTER TABLE "console_sessions" DROP CONSTRAINT "console_sessions_pkey";--> statement-breakpoint
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_account_id_token_hash_pk" PRIMARY KEY("account_id","token_hash");--> statement-breakpoint
CREATE INDEX "console_sessions_token_idx" ON "console_sessions" USING btree ("token_hash");
