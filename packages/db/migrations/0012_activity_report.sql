-- 0012_activity_report (issue 15, "User activity report"): the daily files written, and the index that reads one day's events.
CREATE TABLE "activity_report_files" (
	"account_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"day" date NOT NULL,
	"file_name" text NOT NULL,
	"rows" integer NOT NULL,
	"sha256" text NOT NULL,
	"column_version" integer NOT NULL,
	"written_at" timestamp with time zone NOT NULL,
	"events" integer DEFAULT 0 NOT NULL,
	"final" boolean DEFAULT false NOT NULL,
	CONSTRAINT "activity_report_files_account_id_profile_id_day_pk" PRIMARY KEY("account_id","profile_id","day"),
	CONSTRAINT "activity_report_files_counts" CHECK ("activity_report_files"."rows" >= 0 and "activity_report_files"."events" >= 0)
);
--> statement-breakpoint
ALTER TABLE "activity_report_files" ADD CONSTRAINT "activity_report_files_account_id_profile_id_profiles_account_id_id_fk" FOREIGN KEY ("account_id","profile_id") REFERENCES "public"."profiles"("account_id","id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
-- A profile's events of one day, in time order: the report reads a day through it (a range on its last column).
-- Events are appended in time order, so each insert lands at the right edge of its profile's range.
-- It replaces usage_events_period_idx (a period is a range of occurred_at), so the usage path still maintains one
-- secondary index beside the idempotency key.
CREATE INDEX "usage_events_occurred_idx" ON "usage_events" USING btree ("account_id","profile_id","occurred_at");--> statement-breakpoint
DROP INDEX "usage_events_period_idx";
