-- 0015_webhooks: placeholder, filled in by issue 15's part
SELECT 1;
