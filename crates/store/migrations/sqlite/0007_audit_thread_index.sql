-- Conversation threading finds the entry that produced a response id. Migration 6 indexed
-- every entry's (random) response id as it was written, so each new entry landed on a random
-- page of that index: with batches of hundreds of entries, nearly every page of the index was
-- rewritten to the WAL (and checkpointed) on every commit, about half of the SQLite thread's
-- time per audit entry (bench/findings.md). The ids are now indexed in bulk, as a log-structured
-- index does it: each batch appends its entries' response ids to `audit_thread_tail` (an append
-- at the end of a small rowid table), and once the tail holds enough of them (src/thread_index.rs)
-- they move into the sorted `audit_thread_index` in one ordered pass, which rewrites each index
-- page once for thousands of entries. A lookup reads both; the tail is small enough to scan.
CREATE TABLE audit_thread_index (
    response_id TEXT    NOT NULL,
    ts_us       INTEGER NOT NULL,
    PRIMARY KEY (response_id, ts_us)
) WITHOUT ROWID;

CREATE TABLE audit_thread_tail (
    response_id TEXT    NOT NULL,
    ts_us       INTEGER NOT NULL
);

INSERT OR IGNORE INTO audit_thread_index (response_id, ts_us)
SELECT thread_response_id, ts_us
FROM audit_records
WHERE thread_response_id IS NOT NULL
ORDER BY 1, 2;

DROP INDEX audit_records_thread_response_id;
