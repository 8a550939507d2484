-- Reports read per-quarter-hour rollups instead of the per-request table (src/rollup.rs).
-- The per-request table keeps its primary key and one time index (the log page walks it
-- newest first); the covering report indexes and the filter indexes go: each one made every
-- usage insert update another B-tree, which was most of the cost of usage rows at saturation.

CREATE TABLE usage_rollup (
    bucket_us           INTEGER NOT NULL,
    provider_name       TEXT    NOT NULL,
    provider_type       TEXT    NOT NULL,
    model               TEXT    NOT NULL,
    requested_model     TEXT    NOT NULL,
    user_path           TEXT    NOT NULL,
    requests            INTEGER NOT NULL,
    errors              INTEGER NOT NULL,
    unpriced            INTEGER NOT NULL,
    priced              INTEGER NOT NULL,
    input_tokens        INTEGER NOT NULL,
    output_tokens       INTEGER NOT NULL,
    total_tokens        INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    input_cost          REAL    NOT NULL,
    output_cost         REAL    NOT NULL,
    total_cost          REAL    NOT NULL,
    PRIMARY KEY (bucket_us, provider_name, provider_type, model, requested_model, user_path)
) WITHOUT ROWID;

INSERT INTO usage_rollup
SELECT ts_us - ((ts_us % 900000000) + 900000000) % 900000000,
       provider_name, provider_type, model, requested_model, user_path,
       COUNT(*),
       COUNT(CASE WHEN status_code >= 400 THEN 1 END),
       COUNT(CASE WHEN cost_source = 'unpriced' OR total_cost IS NULL THEN 1 END),
       COUNT(total_cost),
       COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),
       COALESCE(SUM(total_tokens), 0), COALESCE(SUM(cached_input_tokens), 0),
       COALESCE(SUM(input_cost), 0), COALESCE(SUM(output_cost), 0), COALESCE(SUM(total_cost), 0)
FROM usage
GROUP BY 1, 2, 3, 4, 5, 6;

-- The per-request rows are rebuilt to be cheap to append: a row is three stored values, its key
-- (ts_us, id) and one JSON array `details` holding everything else, in a table of its own
-- (`usage_records`), and `usage` becomes a view that reads the familiar columns back out of the
-- array, so every query (and anyone reading the file with sqlite3) still selects `model`,
-- `total_cost`, ... from `usage`. Why: binding 27 values per row was most of the SQLite
-- thread's time per usage row (bench/findings.md). (Generated columns would read better, but
-- SQLite computes them on every INSERT, which cost more than the binding it saved.)
-- Two B-trees per insert: the rowid table (which SQLite appends to without splitting pages in
-- half, its quick-balance path for rowid tables) and one small unique index on (ts_us, id),
-- which is the idempotency key of a retried batch, the log's newest-first order and the range
-- read of re-pricing and retention. The report indexes go (the rollups serve the reports).
-- PostgreSQL keeps its plain table: its inserts run in the server process, not the gateway's.
-- The array's order is `Details` in src/usage.rs.
CREATE TABLE usage_records (
    id      TEXT    NOT NULL,
    ts_us   INTEGER NOT NULL,
    details TEXT    NOT NULL
);

INSERT INTO usage_records (id, ts_us, details)
SELECT id, ts_us, json_array(
           request_id,
           provider_response_id,
           provider_name,
           provider_type,
           requested_model,
           model,
           endpoint,
           user_path,
           stream,
           status_code,
           latency_ms,
           ttfb_ms,
           input_tokens,
           output_tokens,
           total_tokens,
           cached_input_tokens,
           cache_write_tokens,
           reasoning_tokens,
           json(raw_usage),
           input_cost,
           output_cost,
           total_cost,
           cost_source,
           cost_caveat,
           error_code
       )
FROM usage;

DROP TABLE usage;
CREATE UNIQUE INDEX usage_records_ts_id ON usage_records (ts_us, id);

CREATE VIEW usage AS
SELECT id, ts_us,
       details ->> 0 AS request_id,
       details ->> 1 AS provider_response_id,
       details ->> 2 AS provider_name,
       details ->> 3 AS provider_type,
       details ->> 4 AS requested_model,
       details ->> 5 AS model,
       details ->> 6 AS endpoint,
       details ->> 7 AS user_path,
       details ->> 8 AS stream,
       details ->> 9 AS status_code,
       details ->> 10 AS latency_ms,
       details ->> 11 AS ttfb_ms,
       details ->> 12 AS input_tokens,
       details ->> 13 AS output_tokens,
       details ->> 14 AS total_tokens,
       details ->> 15 AS cached_input_tokens,
       details ->> 16 AS cache_write_tokens,
       details ->> 17 AS reasoning_tokens,
       NULLIF(details -> 18, 'null') AS raw_usage,
       details ->> 19 AS input_cost,
       details ->> 20 AS output_cost,
       details ->> 21 AS total_cost,
       details ->> 22 AS cost_source,
       details ->> 23 AS cost_caveat,
       details ->> 24 AS error_code
FROM usage_records;
