-- 0014_forecasts: placeholder, filled in by issue 15's part
SELECT 1;
