CREATE TABLE "directory_versions" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "directory_versions" ADD CONSTRAINT "directory_versions_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- One version step per committed transaction that changed an account's directory users (what a search
-- reads: names, e-mails, who is deleted). Deferred to commit, so the row lock on directory_versions is
-- taken last and held for an instant (no lock-order deadlock with the users' own rows), and a
-- transaction-local flag makes the other rows of the same transaction skip the update.
CREATE FUNCTION "seatdesk_directory_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  acct uuid := coalesce(NEW.account_id, OLD.account_id);
  flag text := 'seatdesk.directory_changed_' || replace(acct::text, '-', '_');
BEGIN
  IF coalesce(current_setting(flag, true), '') <> '1' THEN
    INSERT INTO directory_versions (account_id, version) VALUES (acct, 1)
      ON CONFLICT (account_id) DO UPDATE SET version = directory_versions.version + 1;
    PERFORM set_config(flag, '1', true);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "directory_users_changed" AFTER INSERT OR DELETE OR UPDATE OF display_name, email, deleted_at ON "directory_users"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "seatdesk_directory_changed"();
