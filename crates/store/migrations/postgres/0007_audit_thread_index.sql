-- SQLite moves its response-id index into a bulk-built table (see migrations/sqlite/0007).
-- PostgreSQL keeps its ordinary index: its inserts run in the server process, not the
-- gateway's. The version exists so both sets keep the same numbers.
SELECT 1;
