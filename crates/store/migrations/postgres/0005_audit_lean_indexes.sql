-- The audit log's secondary indexes that no query uses, dropped: each cost every audited request
-- a B-tree insert (an audit row was twice the instructions of the request it recorded; see
-- bench/findings.md). What the queries read:
--   * the log pages by time (`ts_us`), and its error view filters on `status_code`: both kept;
--   * a conversation walks `previous_response_id = A.response_id` both ways: `response_id` kept,
--     `previous_response_id` kept only where it is set (most requests continue nothing);
--   * the model and provider filters match either of two columns (requested or resolved model,
--     provider name or type), which a one-column index cannot serve, and `path` and `user_path`
--     have a handful of values each, so a time-ordered scan with a filter beats them;
--   * nothing looks entries up by `request_id` (the search is a substring match).
DROP INDEX IF EXISTS audit_logs_request_id;
DROP INDEX IF EXISTS audit_logs_requested_model;
DROP INDEX IF EXISTS audit_logs_provider_name;
DROP INDEX IF EXISTS audit_logs_path;
DROP INDEX IF EXISTS audit_logs_user_path;
DROP INDEX IF EXISTS audit_logs_previous_response_id;
CREATE INDEX audit_logs_previous_response_id ON audit_logs (previous_response_id)
    WHERE previous_response_id IS NOT NULL;
