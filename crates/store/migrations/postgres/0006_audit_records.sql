-- SQLite rebuilds its audit table into `audit_records` behind an `audit_logs` view (see
-- migrations/sqlite/0006). PostgreSQL keeps its plain table: its inserts run in the server
-- process, not the gateway's. The version exists so both sets keep the same numbers.
SELECT 1;
