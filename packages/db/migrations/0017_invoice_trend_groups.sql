ALTER TABLE "invoices" ADD COLUMN "trend_groups" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
-- The months closed before this migration: their users grouped as the domain's trendGroupsOf groups them (fee
-- tier, first activation, credits used), from the invoice's lines and the month's stored ledgers. A charged user
-- with no stored ledger was billed from one opened at the month's start: Active, no usage, the line's fee tier.
UPDATE "invoices" i SET "trend_groups" = g.groups
FROM (
  SELECT account_id, profile_id, period,
    jsonb_agg(jsonb_build_object('feeTier', fee_tier, 'activatedInMonth', activated_in_month, 'usedCredits', used_credits, 'users', users,
      'includedCc', included_cc, 'overageCc', overage_cc, 'unbilledCc', unbilled_cc)) AS groups
  FROM (
    SELECT coalesce(l.account_id, m.account_id) AS account_id, coalesce(l.profile_id, m.profile_id) AS profile_id, coalesce(l.period, m.period) AS period,
      coalesce(l.fee_tier, m.fee_tier) AS fee_tier, coalesce(m.first_activated_at IS NOT NULL, false) AS activated_in_month,
      coalesce(m.included_cc + m.overage_cc + m.unbilled_cc > 0, false) AS used_credits, count(*) AS users,
      coalesce(sum(m.included_cc), 0) AS included_cc, coalesce(sum(m.overage_cc), 0) AS overage_cc, coalesce(sum(m.unbilled_cc), 0) AS unbilled_cc
    FROM "invoice_lines" l
    FULL JOIN (
      SELECT m.* FROM "subscription_months" m JOIN "invoices" c ON c.account_id = m.account_id AND c.profile_id = m.profile_id AND c.period = m.period
    ) m ON m.account_id = l.account_id AND m.profile_id = l.profile_id AND m.period = l.period AND m.user_id = l.user_id
    GROUP BY 1, 2, 3, 4, 5, 6
  ) x
  GROUP BY account_id, profile_id, period
) g
WHERE i.account_id = g.account_id AND i.profile_id = g.profile_id AND i.period = g.period;
