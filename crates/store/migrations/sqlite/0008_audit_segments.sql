-- The audit log is stored in segments: one row per written batch, its entries compressed
-- together (src/audit_segment.rs, docs/decisions/0007). A row per entry cost SQLite a B-tree
-- insert per index per entry and, with bodies and headers, ~1.5 KB per entry written twice
-- through the kernel (WAL, then checkpoint): at 30,000 req/s the audit log took 40% of the
-- gateway's throughput. A batch of similar entries compresses ~20x into one insert.
--   * `min_ts_us`/`max_ts_us`: the range of the entries' start times, indexed, so a time
--     range or one of our ids (which start with the entry's time) reads only the segments
--     that can hold it;
--   * `links`: the entries' response ids and previous response ids as text, scanned with
--     instr() to find a conversation's segments: no index on random ids to keep up at all;
--   * `codec` 1: LZ4 of the length-prefixed entries.
-- Entries already stored in `audit_records` are moved into segments by the store when it
-- opens the file (src/audit_segment.rs: SQL cannot compress), then the old tables are
-- dropped; until then they stay as they are.
CREATE TABLE audit_segments (
    id        INTEGER PRIMARY KEY,
    min_ts_us INTEGER NOT NULL,
    max_ts_us INTEGER NOT NULL,
    entries   INTEGER NOT NULL,
    links     TEXT    NOT NULL,
    codec     INTEGER NOT NULL,
    body      BLOB    NOT NULL
);
CREATE INDEX audit_segments_time ON audit_segments (max_ts_us, min_ts_us);
