-- How the request authenticated (`master_key`, `no_key`), reference §4.13; NULL when it did not
-- (a 401) and on rows written before this column existed. Not indexed: no filter reads it.
ALTER TABLE audit_logs ADD COLUMN auth_method TEXT;
