-- Audit entries are rebuilt to be cheap to append, as usage rows were in 0003: a 20-column row
-- in a table with four indexes cost ~27,000 instructions of the gateway's SQLite thread per
-- audited request (binding ~7,000 of it), a third of the request itself (bench/findings.md).
-- An entry is now six stored values in `audit_records`:
--   * its key `(ts_us, id)`: one small unique index, the idempotency key of a retried batch and
--     the log's newest-first order. Our ids start with the entry's time in hex, so a lookup by
--     id alone reads the time from the id and seeks the key (src/audit.rs);
--   * `thread_response_id`: the entry's response id (the answer's id, chat completions' too:
--     GoModel threads any entry whose answer id a later `previous_response_id` names), indexed
--     where set, for walking a conversation backwards;
--   * `previous_response_id`, indexed where set, for walking a conversation forward;
--   * `details`: one JSON array of the other columns (positions below, `Details` in
--     src/audit.rs);
--   * `data`: the entry's document (headers, bodies, ...), as before.
-- `audit_logs` becomes a view with the familiar columns, so every query (and anyone reading the
-- file with sqlite3) still selects `path`, `status_code`, ... from `audit_logs`. The rowid table
-- is appended to in time order (SQLite's quick-balance path); three B-trees per insert.
-- The filters on model, provider, status, path and user path scan newest first, as the model,
-- provider, path and user-path filters already did (0005).
-- PostgreSQL keeps its plain table: its inserts run in the server process, not the gateway's.
CREATE TABLE audit_records (
    id                   TEXT    NOT NULL,
    ts_us                INTEGER NOT NULL,
    thread_response_id   TEXT,
    previous_response_id TEXT,
    details              TEXT    NOT NULL,
    data                 TEXT    NOT NULL
);

INSERT INTO audit_records (id, ts_us, thread_response_id, previous_response_id, details, data)
SELECT id, ts_us,
       response_id,
       previous_response_id,
       json_array(
           request_id,
           duration_ms,
           requested_model,
           resolved_model,
           provider_type,
           provider_name,
           status_code,
           method,
           path,
           user_path,
           CASE WHEN stream THEN json('true') ELSE json('false') END,
           client_ip,
           error_type,
           response_id,
           auth_method
       ),
       data
FROM audit_logs
ORDER BY ts_us, id;

DROP TABLE audit_logs;
CREATE UNIQUE INDEX audit_records_ts_id ON audit_records (ts_us, id);
CREATE INDEX audit_records_thread_response_id ON audit_records (thread_response_id)
    WHERE thread_response_id IS NOT NULL;
CREATE INDEX audit_records_previous_response_id ON audit_records (previous_response_id)
    WHERE previous_response_id IS NOT NULL;

CREATE VIEW audit_logs AS
SELECT id, ts_us,
       details ->> 0 AS request_id,
       details ->> 1 AS duration_ms,
       details ->> 2 AS requested_model,
       details ->> 3 AS resolved_model,
       details ->> 4 AS provider_type,
       details ->> 5 AS provider_name,
       details ->> 6 AS status_code,
       details ->> 7 AS method,
       details ->> 8 AS path,
       details ->> 9 AS user_path,
       details ->> 10 AS stream,
       details ->> 11 AS client_ip,
       details ->> 12 AS error_type,
       details ->> 13 AS response_id,
       thread_response_id,
       previous_response_id,
       details ->> 14 AS auth_method,
       data
FROM audit_records;
