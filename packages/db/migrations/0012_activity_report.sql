-- 0012_activity_report: placeholder, filled in by issue 15's part
SELECT 1;
