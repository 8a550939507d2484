-- No usage query looks rows up by request_id (the log's search is a substring match, which no
-- B-tree serves), yet request ids are random UUIDs, so this index took every usage insert to a
-- random page. On SQLite it cut usage-on throughput by a quarter (bench/findings.md).
DROP INDEX IF EXISTS usage_request_id;
