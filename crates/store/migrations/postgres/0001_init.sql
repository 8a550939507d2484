-- GoModel store, PostgreSQL schema v1.
-- Timestamps are unix microseconds (ts_us); JSON is JSONB.
-- The column set matches migrations/sqlite/0001_init.sql one for one.
--
-- user_path is COLLATE "C" so that ordering is bytewise, as in SQLite: the user-path subtree
-- filter is the range [p || '/', p || '0') ('0' is the byte after '/'), which a btree on a
-- linguistic collation would neither order correctly nor serve.

CREATE TABLE usage (
    id                   TEXT             PRIMARY KEY,
    request_id           TEXT             NOT NULL,
    provider_response_id TEXT,
    ts_us                BIGINT           NOT NULL,
    provider_name        TEXT             NOT NULL,
    provider_type        TEXT             NOT NULL,
    requested_model      TEXT             NOT NULL,
    model                TEXT             NOT NULL,
    endpoint             TEXT             NOT NULL,
    user_path            TEXT COLLATE "C" NOT NULL DEFAULT '/',
    stream               BOOLEAN          NOT NULL,
    status_code          INTEGER          NOT NULL,
    latency_ms           DOUBLE PRECISION NOT NULL,
    ttfb_ms              DOUBLE PRECISION,
    input_tokens         BIGINT           NOT NULL DEFAULT 0,
    output_tokens        BIGINT           NOT NULL DEFAULT 0,
    total_tokens         BIGINT           NOT NULL DEFAULT 0,
    cached_input_tokens  BIGINT           NOT NULL DEFAULT 0,
    cache_write_tokens   BIGINT           NOT NULL DEFAULT 0,
    reasoning_tokens     BIGINT           NOT NULL DEFAULT 0,
    raw_usage            JSONB,
    input_cost           DOUBLE PRECISION,
    output_cost          DOUBLE PRECISION,
    total_cost           DOUBLE PRECISION,
    cost_source          TEXT             NOT NULL,
    cost_caveat          TEXT,
    error_code           TEXT
);

-- Narrow indexes: PostgreSQL aggregates with hash tables and parallel scans, so the covering
-- report indexes SQLite needs (see the SQLite migration) would cost writes for little gain here.
-- model/provider filters are ORs over two columns; each side gets an index for a BitmapOr.
CREATE INDEX usage_ts ON usage (ts_us);
CREATE INDEX usage_model_ts ON usage (model, ts_us);
CREATE INDEX usage_requested_model_ts ON usage (requested_model, ts_us);
CREATE INDEX usage_provider_name_ts ON usage (provider_name, ts_us);
CREATE INDEX usage_provider_type_ts ON usage (provider_type, ts_us);
CREATE INDEX usage_user_path_ts ON usage (user_path, ts_us);
CREATE INDEX usage_request_id ON usage (request_id);

CREATE TABLE audit_logs (
    id                   TEXT             PRIMARY KEY,
    request_id           TEXT             NOT NULL,
    ts_us                BIGINT           NOT NULL,
    duration_ms          DOUBLE PRECISION NOT NULL,
    requested_model      TEXT,
    resolved_model       TEXT,
    provider_type        TEXT,
    provider_name        TEXT,
    status_code          INTEGER          NOT NULL,
    method               TEXT             NOT NULL,
    path                 TEXT             NOT NULL,
    user_path            TEXT COLLATE "C" NOT NULL DEFAULT '/',
    stream               BOOLEAN          NOT NULL,
    client_ip            TEXT,
    error_type           TEXT,
    response_id          TEXT,
    previous_response_id TEXT,
    data                 JSONB            NOT NULL
);

CREATE INDEX audit_logs_ts ON audit_logs (ts_us);
CREATE INDEX audit_logs_request_id ON audit_logs (request_id);
CREATE INDEX audit_logs_requested_model ON audit_logs (requested_model);
CREATE INDEX audit_logs_provider_name ON audit_logs (provider_name);
CREATE INDEX audit_logs_path ON audit_logs (path);
CREATE INDEX audit_logs_user_path ON audit_logs (user_path);
CREATE INDEX audit_logs_status_code ON audit_logs (status_code);
CREATE INDEX audit_logs_response_id ON audit_logs (response_id);
CREATE INDEX audit_logs_previous_response_id ON audit_logs (previous_response_id);

CREATE TABLE model_pricing_overrides (
    selector      TEXT   PRIMARY KEY,
    pricing       JSONB  NOT NULL,
    updated_at_us BIGINT NOT NULL
);
