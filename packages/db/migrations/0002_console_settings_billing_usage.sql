CREATE TYPE "public"."first_month" AS ENUM('full', 'prorated');--> statement-breakpoint
CREATE TYPE "public"."overage_switch" AS ENUM('inherit', 'on', 'off');--> statement-breakpoint
CREATE TABLE "cap_overrides" (
	"account_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid,
	"group_id" uuid,
	"cap_cc" bigint,
	CONSTRAINT "cap_overrides_account_id_id_pk" PRIMARY KEY("account_id","id"),
	CONSTRAINT "cap_overrides_one_target" CHECK (("cap_overrides"."user_id" is null) <> ("cap_overrides"."group_id" is null)),
	CONSTRAINT "cap_overrides_cap_nonnegative" CHECK ("cap_overrides"."cap_cc" is null or "cap_overrides"."cap_cc" >= 0)
);
--> statement-breakpoint
CREATE TABLE "overage_switches" (
	"account_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"value" "overage_switch" NOT NULL,
	CONSTRAINT "overage_switches_account_id_profile_id_user_id_pk" PRIMARY KEY("account_id","profile_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "invoice_lines" (
	"account_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"period" text NOT NULL,
	"user_id" uuid NOT NULL,
	"user_display_name" text NOT NULL,
	"user_email" text NOT NULL,
	"fee_tier" "tier" NOT NULL,
	"fee_cents" bigint NOT NULL,
	"proration_days" integer,
	"proration_days_in_month" integer,
	"allowance_cc" bigint NOT NULL,
	"included_cc" bigint NOT NULL,
	"overage_cc" bigint NOT NULL,
	"overage_cents" bigint NOT NULL,
	"unbilled_cc" bigint NOT NULL,
	"total_cents" bigint NOT NULL,
	CONSTRAINT "invoice_lines_account_id_profile_id_period_user_id_pk" PRIMARY KEY("account_id","profile_id","period","user_id")
);
--> statement-breakpoint
CREATE TABLE "invoices" (
	"account_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"period" text NOT NULL,
	"fees_cents" bigint NOT NULL,
	"overage_cents" bigint NOT NULL,
	"total_cents" bigint NOT NULL,
	"line_count" integer NOT NULL,
	"finalized_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invoices_account_id_profile_id_period_pk" PRIMARY KEY("account_id","profile_id","period"),
	CONSTRAINT "invoices_period_format" CHECK ("invoices"."period" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')
);
--> statement-breakpoint
CREATE TABLE "profile_months" (
	"account_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"period" text NOT NULL,
	"overage_cc" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "profile_months_account_id_profile_id_period_pk" PRIMARY KEY("account_id","profile_id","period"),
	CONSTRAINT "profile_months_period_format" CHECK ("profile_months"."period" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')
);
--> statement-breakpoint
CREATE TABLE "subscription_months" (
	"account_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"period" text NOT NULL,
	"user_id" uuid NOT NULL,
	"fee_tier" "tier",
	"active_at_start" boolean NOT NULL,
	"first_activated_at" timestamp with time zone,
	"included_cc" bigint DEFAULT 0 NOT NULL,
	"overage_cc" bigint DEFAULT 0 NOT NULL,
	"unbilled_cc" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscription_months_account_id_profile_id_period_user_id_pk" PRIMARY KEY("account_id","profile_id","period","user_id"),
	CONSTRAINT "subscription_months_period_format" CHECK ("subscription_months"."period" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"account_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"period" text NOT NULL,
	"user_id" uuid NOT NULL,
	"idempotency_key" text NOT NULL,
	"client" text NOT NULL,
	"credits_cc" bigint NOT NULL,
	"included_cc" bigint NOT NULL,
	"overage_cc" bigint NOT NULL,
	"unbilled_cc" bigint NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "usage_events_account_id_profile_id_id_pk" PRIMARY KEY("account_id","profile_id","id")
);
--> statement-breakpoint
ALTER TABLE "profiles" ADD COLUMN "first_month" "first_month" DEFAULT 'full' NOT NULL;--> statement-breakpoint
ALTER TABLE "profiles" ADD COLUMN "default_cap_cc" bigint;--> statement-breakpoint
ALTER TABLE "profiles" ADD COLUMN "budget_cents" bigint;--> statement-breakpoint
ALTER TABLE "cap_overrides" ADD CONSTRAINT "cap_overrides_account_id_profile_id_profiles_account_id_id_fk" FOREIGN KEY ("account_id","profile_id") REFERENCES "public"."profiles"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cap_overrides" ADD CONSTRAINT "cap_overrides_account_id_user_id_directory_users_account_id_id_fk" FOREIGN KEY ("account_id","user_id") REFERENCES "public"."directory_users"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cap_overrides" ADD CONSTRAINT "cap_overrides_account_id_group_id_directory_groups_account_id_id_fk" FOREIGN KEY ("account_id","group_id") REFERENCES "public"."directory_groups"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overage_switches" ADD CONSTRAINT "overage_switches_account_id_profile_id_profiles_account_id_id_fk" FOREIGN KEY ("account_id","profile_id") REFERENCES "public"."profiles"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overage_switches" ADD CONSTRAINT "overage_switches_account_id_user_id_directory_users_account_id_id_fk" FOREIGN KEY ("account_id","user_id") REFERENCES "public"."directory_users"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_account_id_profile_id_period_invoices_account_id_profile_id_period_fk" FOREIGN KEY ("account_id","profile_id","period") REFERENCES "public"."invoices"("account_id","profile_id","period") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_account_id_profile_id_profiles_account_id_id_fk" FOREIGN KEY ("account_id","profile_id") REFERENCES "public"."profiles"("account_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "profile_months" ADD CONSTRAINT "profile_months_account_id_profile_id_profiles_account_id_id_fk" FOREIGN KEY ("account_id","profile_id") REFERENCES "public"."profiles"("account_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscription_months" ADD CONSTRAINT "subscription_months_account_id_profile_id_profiles_account_id_id_fk" FOREIGN KEY ("account_id","profile_id") REFERENCES "public"."profiles"("account_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscription_months" ADD CONSTRAINT "subscription_months_account_id_user_id_directory_users_account_id_id_fk" FOREIGN KEY ("account_id","user_id") REFERENCES "public"."directory_users"("account_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_account_id_profile_id_profiles_account_id_id_fk" FOREIGN KEY ("account_id","profile_id") REFERENCES "public"."profiles"("account_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_account_id_user_id_directory_users_account_id_id_fk" FOREIGN KEY ("account_id","user_id") REFERENCES "public"."directory_users"("account_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "cap_overrides_user_uq" ON "cap_overrides" USING btree ("account_id","profile_id","user_id") WHERE "cap_overrides"."user_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "cap_overrides_group_uq" ON "cap_overrides" USING btree ("account_id","profile_id","group_id") WHERE "cap_overrides"."group_id" is not null;--> statement-breakpoint
CREATE INDEX "invoice_lines_user_idx" ON "invoice_lines" USING btree ("account_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "usage_events_key_uq" ON "usage_events" USING btree ("account_id","profile_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "usage_events_period_idx" ON "usage_events" USING btree ("account_id","profile_id","period","client");--> statement-breakpoint
ALTER TABLE "profiles" ADD CONSTRAINT "profiles_limits_nonnegative" CHECK (coalesce("profiles"."default_cap_cc", 0) >= 0 and coalesce("profiles"."budget_cents", 0) >= 0);