-- SQLite stores audit entries in compressed segments (see migrations/sqlite/0008).
-- PostgreSQL keeps its plain table: its inserts run in the server process, not the gateway's,
-- and several replicas query it with SQL. The version exists so both sets keep the same numbers.
SELECT 1;
