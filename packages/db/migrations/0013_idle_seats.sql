-- 0013_idle_seats: placeholder, filled in by issue 15's part
SELECT 1;
