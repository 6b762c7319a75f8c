-- 0013_idle_seats: the profile's idle-seat automation (issue 15); each threshold in days, null: off.
ALTER TABLE "profiles" ADD COLUMN "idle_warn_days" integer;--> statement-breakpoint
ALTER TABLE "profiles" ADD COLUMN "idle_deactivate_days" integer;--> statement-breakpoint
ALTER TABLE "profiles" ADD COLUMN "idle_expire_days" integer;--> statement-breakpoint
ALTER TABLE "profiles" ADD CONSTRAINT "profiles_idle_days_range" CHECK (coalesce("profiles"."idle_warn_days", 1) between 1 and 365 and coalesce("profiles"."idle_deactivate_days", 1) between 1 and 365 and coalesce("profiles"."idle_expire_days", 1) between 1 and 365 and ("profiles"."idle_deactivate_days" is null or "profiles"."idle_warn_days" is not null));
