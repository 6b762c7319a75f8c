-- 0015_webhooks (issue 15, "Webhooks"): endpoints, the outbox of events and the deliveries; triggers that
-- write the outbox in the same transaction as the change (only while the account has an enabled endpoint
-- that wants the event's type, so an account without webhooks pays one index probe per notice).
CREATE TABLE "webhook_endpoints" (
	"account_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"url" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"event_types" text[] DEFAULT '{}'::text[] NOT NULL,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" timestamp with time zone,
	"enabled" boolean DEFAULT true NOT NULL,
	"disabled_reason" text,
	"disabled_at" timestamp with time zone,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"failing_since" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_endpoints_account_id_id_pk" PRIMARY KEY("account_id","id")
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"account_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"type" text NOT NULL,
	"profile_id" uuid,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_events_account_id_id_pk" PRIMARY KEY("account_id","id")
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"account_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"endpoint_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"first_attempt_at" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"last_response_code" integer,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"claim_token" uuid,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_account_id_id_pk" PRIMARY KEY("account_id","id"),
	CONSTRAINT "webhook_deliveries_status" CHECK ("webhook_deliveries"."status" in ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_account_id_endpoint_id_webhook_endpoints_account_id_id_fk" FOREIGN KEY ("account_id","endpoint_id") REFERENCES "public"."webhook_endpoints"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_account_id_event_id_webhook_events_account_id_id_fk" FOREIGN KEY ("account_id","event_id") REFERENCES "public"."webhook_events"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_endpoints_enabled_idx" ON "webhook_endpoints" USING btree ("account_id") WHERE "webhook_endpoints"."enabled";--> statement-breakpoint
CREATE INDEX "webhook_events_created_idx" ON "webhook_events" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_once_uq" ON "webhook_deliveries" USING btree ("account_id","endpoint_id","event_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_log_idx" ON "webhook_deliveries" USING btree ("account_id","endpoint_id","created_at" DESC,"id" DESC);--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
-- An ISO 8601 instant in UTC with milliseconds, as the API writes them.
CREATE FUNCTION webhook_iso(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
--> statement-breakpoint
-- The enabled endpoints of the account that want an event of this type (the domain's endpointWants:
-- no types listed means every event; notice.* is every notice). Null when there is none.
CREATE FUNCTION webhook_targets(p_account uuid, p_type text) RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT array_agg(e.id ORDER BY e.id) FROM webhook_endpoints e
  WHERE e.account_id = p_account AND e.enabled
    AND (cardinality(e.event_types) = 0 OR p_type = ANY (e.event_types) OR (p_type LIKE 'notice.%' AND 'notice.*' = ANY (e.event_types)))
$$;
--> statement-breakpoint
-- One event in the outbox and one pending delivery per target, in the caller's transaction.
CREATE FUNCTION webhook_emit(p_account uuid, p_type text, p_profile uuid, p_data jsonb, p_at timestamptz, p_targets uuid[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  ev uuid := gen_random_uuid();
BEGIN
  INSERT INTO webhook_events (account_id, id, type, profile_id, payload, created_at)
  VALUES (p_account, ev, p_type, p_profile, jsonb_build_object('type', p_type, 'timestamp', webhook_iso(p_at), 'data', p_data), p_at);
  INSERT INTO webhook_deliveries (account_id, endpoint_id, event_id, next_attempt_at, created_at)
  SELECT p_account, t, ev, p_at, p_at FROM unnest(p_targets) AS t;
END
$$;
--> statement-breakpoint
-- A text id (audit targets are text) as a uuid, or null: a malformed one must never fail the change it reports.
CREATE FUNCTION webhook_uuid(p text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN p::uuid END
$$;
--> statement-breakpoint
CREATE FUNCTION webhook_user_json(p_account uuid, p_user uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_user IS NULL THEN NULL ELSE coalesce(
    (SELECT jsonb_build_object('id', u.id, 'userName', u.user_name, 'displayName', u.display_name, 'email', u.email, 'active', u.active AND u.deleted_at IS NULL)
     FROM directory_users u WHERE u.account_id = p_account AND u.id = p_user),
    jsonb_build_object('id', p_user)) END
$$;
--> statement-breakpoint
CREATE FUNCTION webhook_profile_json(p_account uuid, p_profile uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_profile IS NULL THEN NULL ELSE coalesce(
    (SELECT jsonb_build_object('id', p.id, 'region', p.region, 'name', p.name) FROM profiles p WHERE p.account_id = p_account AND p.id = p_profile),
    jsonb_build_object('id', p_profile)) END
$$;
--> statement-breakpoint
-- A subscription as the audit stored it, reduced to the fields the payload promises.
CREATE FUNCTION webhook_subscription_json(s jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(s) = 'object' THEN jsonb_build_object(
    'tier', s->'tier', 'status', s->'status', 'scheduledTier', coalesce(s->'scheduledTier', 'null'::jsonb), 'scheduledAt', coalesce(s->'scheduledAt', 'null'::jsonb),
    'accessEndsAt', coalesce(s->'accessEndsAt', 'null'::jsonb)) ELSE NULL END
$$;
--> statement-breakpoint
-- notice.<kind>: every notice the console shows (usage thresholds, allowance reset, identity changes, …).
CREATE FUNCTION webhook_on_notice() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kind text := 'notice.' || NEW.kind;
  targets uuid[] := webhook_targets(NEW.account_id, kind);
BEGIN
  IF targets IS NULL THEN RETURN NULL; END IF;
  PERFORM webhook_emit(NEW.account_id, kind, NEW.profile_id, jsonb_build_object(
    'accountId', NEW.account_id, 'noticeId', NEW.id, 'kind', NEW.kind, 'profile', webhook_profile_json(NEW.account_id, NEW.profile_id),
    'period', NEW.period, 'user', webhook_user_json(NEW.account_id, NEW.user_id), 'detail', NEW.detail, 'createdAt', webhook_iso(NEW.created_at)), NEW.created_at, targets);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER webhook_notice AFTER INSERT ON notices FOR EACH ROW EXECUTE FUNCTION webhook_on_notice();
--> statement-breakpoint
-- subscription.changed, identity.user.changed, identity.group.changed: from the audit entries those changes
-- already write in their transaction (the trigger's WHEN keeps every other action free).
CREATE FUNCTION webhook_on_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kind text;
  targets uuid[];
  actor jsonb := jsonb_build_object('type', NEW.actor_type, 'label', NEW.actor_label);
  data jsonb;
BEGIN
  kind := CASE
    WHEN NEW.action IN ('subscription.changed', 'subscription.group-membership') THEN 'subscription.changed'
    WHEN NEW.action LIKE 'scim.user.%' THEN 'identity.user.changed'
    ELSE 'identity.group.changed' END;
  targets := webhook_targets(NEW.account_id, kind);
  IF targets IS NULL THEN RETURN NULL; END IF;
  IF kind = 'subscription.changed' THEN
    data := jsonb_build_object('accountId', NEW.account_id, 'profile', webhook_profile_json(NEW.account_id, NEW.profile_id),
      'user', webhook_user_json(NEW.account_id, webhook_uuid(NEW.target_id)),
      'cause', CASE WHEN NEW.action = 'subscription.group-membership' THEN 'group-membership' WHEN NEW.actor_type = 'scim' THEN 'identity-provider' ELSE 'plan-change' END,
      'groupId', CASE WHEN NEW.action = 'subscription.group-membership' THEN NEW.after->'groupId' ELSE 'null'::jsonb END,
      'before', webhook_subscription_json(CASE WHEN NEW.action = 'subscription.group-membership' THEN NEW.before->'subscription' ELSE NEW.before END),
      'after', webhook_subscription_json(CASE WHEN NEW.action = 'subscription.group-membership' THEN NEW.after->'subscription' ELSE NEW.after END),
      'actor', actor, 'at', webhook_iso(NEW.at));
  ELSIF kind = 'identity.user.changed' THEN
    data := jsonb_build_object('accountId', NEW.account_id,
      'change', CASE split_part(NEW.action, '.', 3) WHEN 'create' THEN 'created' WHEN 'update' THEN 'updated' WHEN 'deactivate' THEN 'deactivated'
        WHEN 'reactivate' THEN 'reactivated' WHEN 'delete' THEN 'deleted' ELSE split_part(NEW.action, '.', 3) END,
      'user', webhook_user_json(NEW.account_id, webhook_uuid(NEW.target_id)), 'actor', actor, 'at', webhook_iso(NEW.at));
  ELSE
    data := jsonb_build_object('accountId', NEW.account_id,
      'change', CASE substr(NEW.action, length('scim.group.') + 1) WHEN 'create' THEN 'created' WHEN 'update' THEN 'updated' WHEN 'delete' THEN 'deleted'
        WHEN 'members.add' THEN 'members-added' WHEN 'members.remove' THEN 'members-removed' ELSE substr(NEW.action, length('scim.group.') + 1) END,
      'group', jsonb_build_object('id', webhook_uuid(NEW.target_id), 'displayName', coalesce(
        (SELECT g.display_name FROM directory_groups g WHERE g.account_id = NEW.account_id AND g.id = webhook_uuid(NEW.target_id)),
        NEW.after->>'displayName', NEW.before->>'displayName')),
      'added', coalesce(NEW.after->'added', '[]'::jsonb), 'removed', coalesce(NEW.before->'removed', '[]'::jsonb), 'actor', actor, 'at', webhook_iso(NEW.at));
  END IF;
  PERFORM webhook_emit(NEW.account_id, kind, NEW.profile_id, data, NEW.at, targets);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER webhook_audit AFTER INSERT ON audit_log FOR EACH ROW
WHEN (NEW.action IN ('subscription.changed', 'subscription.group-membership') OR NEW.action LIKE 'scim.user.%' OR NEW.action LIKE 'scim.group.%')
EXECUTE FUNCTION webhook_on_audit();
--> statement-breakpoint
-- invoice.finalized: the month close writes each invoice once.
CREATE FUNCTION webhook_on_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  targets uuid[] := webhook_targets(NEW.account_id, 'invoice.finalized');
BEGIN
  IF targets IS NULL THEN RETURN NULL; END IF;
  PERFORM webhook_emit(NEW.account_id, 'invoice.finalized', NEW.profile_id, jsonb_build_object(
    'accountId', NEW.account_id, 'profile', webhook_profile_json(NEW.account_id, NEW.profile_id), 'period', NEW.period, 'currency', 'USD',
    'feesCents', NEW.fees_cents, 'overageCents', NEW.overage_cents, 'totalCents', NEW.total_cents, 'lineCount', NEW.line_count,
    'finalizedAt', webhook_iso(NEW.finalized_at)), NEW.finalized_at, targets);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER webhook_invoice AFTER INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION webhook_on_invoice();
--> statement-breakpoint
-- report.ready: one per daily activity report file written (and again when it is rewritten). Read through to_jsonb so a column the report adds
-- later never breaks its writes; created only where the report's table exists (migration 0012).
CREATE FUNCTION webhook_on_report_file() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jsonb := to_jsonb(NEW);
  account uuid := (r->>'account_id')::uuid;
  profile uuid := (r->>'profile_id')::uuid;
  at timestamptz := coalesce((r->>'written_at')::timestamptz, now());
  targets uuid[] := webhook_targets(account, 'report.ready');
BEGIN
  IF targets IS NULL THEN RETURN NULL; END IF;
  PERFORM webhook_emit(account, 'report.ready', profile, jsonb_build_object(
    'accountId', account, 'profile', webhook_profile_json(account, profile), 'day', r->'day', 'fileName', r->'file_name', 'rows', r->'rows',
    'sha256', r->'sha256', 'columnVersion', r->'column_version', 'final', coalesce(r->'final', 'false'::jsonb), 'rewritten', TG_OP = 'UPDATE',
    'writtenAt', webhook_iso(at)), at, targets);
  RETURN NULL;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  IF to_regclass('public.activity_report_files') IS NOT NULL THEN
    CREATE TRIGGER webhook_report_file AFTER INSERT ON activity_report_files FOR EACH ROW EXECUTE FUNCTION webhook_on_report_file();
    -- A day's file written again (late events): ready again, with its new checksum. Sealing it alone is no news.
    CREATE TRIGGER webhook_report_file_rewritten AFTER UPDATE ON activity_report_files FOR EACH ROW
    WHEN (OLD.sha256 IS DISTINCT FROM NEW.sha256 OR OLD.written_at IS DISTINCT FROM NEW.written_at)
    EXECUTE FUNCTION webhook_on_report_file();
  END IF;
END
$$;
