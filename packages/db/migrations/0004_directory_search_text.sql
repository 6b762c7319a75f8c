DROP INDEX "directory_users_search_idx";--> statement-breakpoint
ALTER TABLE "directory_users" ADD COLUMN "search_text" text GENERATED ALWAYS AS (lower(display_name || ' ' || email)) STORED;--> statement-breakpoint
CREATE INDEX "directory_users_search_idx" ON "directory_users" USING gin ("search_text" gin_trgm_ops);