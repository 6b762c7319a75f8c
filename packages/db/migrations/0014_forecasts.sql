-- 0014_forecasts: one row per subscribed user and profile, written by the daily forecast job (issue 15, Forecasts).
CREATE TABLE "seat_forecasts" (
	"account_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"period" text NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	"burn_cc_per_day" bigint NOT NULL,
	"allowance_runs_out_on" date,
	"access_stops_on" date,
	"stop_reason" text,
	CONSTRAINT "seat_forecasts_account_id_profile_id_user_id_pk" PRIMARY KEY("account_id","profile_id","user_id"),
	CONSTRAINT "seat_forecasts_period_format" CHECK ("seat_forecasts"."period" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
	CONSTRAINT "seat_forecasts_stop_reason" CHECK ("seat_forecasts"."stop_reason" is null or "seat_forecasts"."stop_reason" in ('allowance', 'cap', 'budget')),
	CONSTRAINT "seat_forecasts_stop_pair" CHECK (("seat_forecasts"."access_stops_on" is null) = ("seat_forecasts"."stop_reason" is null))
);
--> statement-breakpoint
ALTER TABLE "seat_forecasts" ADD CONSTRAINT "seat_forecasts_account_id_profile_id_profiles_account_id_id_fk" FOREIGN KEY ("account_id","profile_id") REFERENCES "public"."profiles"("account_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seat_forecasts" ADD CONSTRAINT "seat_forecasts_account_id_user_id_directory_users_account_id_id_fk" FOREIGN KEY ("account_id","user_id") REFERENCES "public"."directory_users"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "seat_forecasts_runs_out_idx" ON "seat_forecasts" USING btree ("account_id","profile_id","allowance_runs_out_on");
--> statement-breakpoint
CREATE TABLE "profile_forecasts" (
	"account_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"period" text NOT NULL,
	"computed_on" date NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	"burn_cc_per_day" bigint NOT NULL,
	"projected_overage_cc" bigint NOT NULL,
	"projected_overage_cents" bigint NOT NULL,
	"budget_runs_out_at" timestamp with time zone,
	"budget_runs_out_on" date,
	"seats" integer NOT NULL,
	CONSTRAINT "profile_forecasts_account_id_profile_id_pk" PRIMARY KEY("account_id","profile_id"),
	CONSTRAINT "profile_forecasts_period_format" CHECK ("profile_forecasts"."period" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')
);
--> statement-breakpoint
ALTER TABLE "profile_forecasts" ADD CONSTRAINT "profile_forecasts_account_id_profile_id_profiles_account_id_id_fk" FOREIGN KEY ("account_id","profile_id") REFERENCES "public"."profiles"("account_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE TABLE "seat_right_sizing" (
	"account_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"from_tier" "tier" NOT NULL,
	"to_tier" "tier" NOT NULL,
	"saving_cents_per_month" bigint NOT NULL,
	"basis_period" text NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "seat_right_sizing_account_id_profile_id_user_id_pk" PRIMARY KEY("account_id","profile_id","user_id"),
	CONSTRAINT "seat_right_sizing_kind" CHECK ("seat_right_sizing"."kind" in ('upgrade', 'downgrade')),
	CONSTRAINT "seat_right_sizing_saving_positive" CHECK ("seat_right_sizing"."saving_cents_per_month" > 0)
);
--> statement-breakpoint
ALTER TABLE "seat_right_sizing" ADD CONSTRAINT "seat_right_sizing_account_id_profile_id_profiles_account_id_id_fk" FOREIGN KEY ("account_id","profile_id") REFERENCES "public"."profiles"("account_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seat_right_sizing" ADD CONSTRAINT "seat_right_sizing_account_id_user_id_directory_users_account_id_id_fk" FOREIGN KEY ("account_id","user_id") REFERENCES "public"."directory_users"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "seat_right_sizing_list_idx" ON "seat_right_sizing" USING btree ("account_id","profile_id","kind","saving_cents_per_month","user_id");
