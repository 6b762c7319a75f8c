-- The usage path's statements run as generic plans (apps/server services/usage/load.ts, write.ts), which
-- estimate `account_id = $1 AND profile_id = $2` from each column alone, as if independent: among many
-- tenants that is a fraction of a row, every index starting with the two looks as cheap as the primary key,
-- and a probe for one user could scan a large profile's rows through another index. A profile belongs to one
-- account: with this dependency known, the estimate is the average profile's rows, and the probe's own
-- index wins.
CREATE STATISTICS IF NOT EXISTS subscriptions_tenant (dependencies) ON account_id, profile_id FROM subscriptions;--> statement-breakpoint
CREATE STATISTICS IF NOT EXISTS subscription_months_tenant (dependencies) ON account_id, profile_id FROM subscription_months;--> statement-breakpoint
CREATE STATISTICS IF NOT EXISTS usage_keys_tenant (dependencies) ON account_id, profile_id FROM usage_keys;--> statement-breakpoint
CREATE STATISTICS IF NOT EXISTS cap_overrides_tenant (dependencies) ON account_id, profile_id FROM cap_overrides;--> statement-breakpoint
CREATE STATISTICS IF NOT EXISTS overage_switches_tenant (dependencies) ON account_id, profile_id FROM overage_switches;
