-- Substring search on names and e-mails (the Users tab, the directory) uses trigram indexes.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
