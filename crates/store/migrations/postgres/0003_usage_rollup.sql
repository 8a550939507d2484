-- Reports read per-quarter-hour rollups instead of the per-request table (src/rollup.rs).
-- The per-request table keeps its primary key and its time index (the log page walks it newest
-- first); the filter indexes go, since every one of them was updated by every usage insert.

CREATE TABLE usage_rollup (
    bucket_us           BIGINT           NOT NULL,
    provider_name       TEXT             NOT NULL,
    provider_type       TEXT             NOT NULL,
    model               TEXT             NOT NULL,
    requested_model     TEXT             NOT NULL,
    user_path           TEXT COLLATE "C" NOT NULL,
    requests            BIGINT           NOT NULL,
    errors              BIGINT           NOT NULL,
    unpriced            BIGINT           NOT NULL,
    priced              BIGINT           NOT NULL,
    input_tokens        BIGINT           NOT NULL,
    output_tokens       BIGINT           NOT NULL,
    total_tokens        BIGINT           NOT NULL,
    cached_input_tokens BIGINT           NOT NULL,
    input_cost          DOUBLE PRECISION NOT NULL,
    output_cost         DOUBLE PRECISION NOT NULL,
    total_cost          DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (bucket_us, provider_name, provider_type, model, requested_model, user_path)
);

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

DROP INDEX IF EXISTS usage_model_ts;
DROP INDEX IF EXISTS usage_requested_model_ts;
DROP INDEX IF EXISTS usage_provider_name_ts;
DROP INDEX IF EXISTS usage_provider_type_ts;
DROP INDEX IF EXISTS usage_user_path_ts;
-- Keyset pages in (ts_us, id) order (re-pricing, retention) walk this one index.
DROP INDEX IF EXISTS usage_ts;
CREATE INDEX usage_ts_id ON usage (ts_us, id);
