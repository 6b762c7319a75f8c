ALTER TABLE "subscription_months" ADD COLUMN "first_month_prorated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Months already begun keep the price they were shown with: a first paid month takes the profile's setting as it is now.
UPDATE "subscription_months" m SET "first_month_prorated" = true FROM "profiles" p
WHERE p."account_id" = m."account_id" AND p."id" = m."profile_id" AND m."first_activated_at" IS NOT NULL AND p."first_month" = 'prorated';
