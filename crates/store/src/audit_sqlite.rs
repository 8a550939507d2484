//! The audit log on SQLite, stored in segments ([`crate::audit_segment`]): writing a batch,
//! the log's pages and filters, one entry, conversation links, retention, and moving entries
//! stored by earlier versions (`audit_records`) into segments.
//!
//! Reads decode only the segments they need: a page of the unfiltered log decodes the newest
//! segments until the page is full and counts the rest from their headers; a filter decodes
//! every segment in its time range; an id of ours reads the segments whose time range holds
//! the time it starts with; a conversation hop scans the segments' `links` text.
//!
//! An id stored twice (which the writer never does here: a batch commits once or not at all)
//! is shown once: an entry or conversation lookup returns the copy written first, as
//! `ON CONFLICT DO NOTHING` kept it before; a page of the log counts it once among the
//! segments it decodes.

use std::collections::HashSet;

use sqlx::Row;
use sqlx::sqlite::SqlitePool;

use crate::audit_segment::{self, CODEC_LZ4, Segment};
use crate::error::{Result, StoreError};
use crate::filter::{AuditFilter, contains_ascii_case_insensitive, in_subtree};
use crate::records::{AuditRow, Page, RawJson};
use crate::store::{Backend, Store};

/// The columns of the legacy `audit_logs` view, its document read as text (`data_text`).
const LEGACY_COLUMNS: &str = "id, request_id, ts_us, duration_ms, requested_model, \
    resolved_model, provider_type, provider_name, status_code, method, path, user_path, stream, \
    client_ip, error_type, response_id, previous_response_id, auth_method, 'null' AS data, \
    data AS data_text";

/// Segments deleted per statement by retention.
const DELETE_SEGMENTS: i64 = 64;

/// Entries per segment when moving old rows (the writer's batches are up to 500 too).
const CONVERT_SEGMENT_ROWS: i64 = 500;

/// A segment's row without its body.
#[derive(Debug, Clone, Copy)]
struct Header {
    id: i64,
    min_ts_us: i64,
    max_ts_us: i64,
    entries: i64,
}

/// A header as queried: `id, min_ts_us, max_ts_us, entries`.
type HeaderRow = (i64, i64, i64, i64);

fn header((id, min_ts_us, max_ts_us, entries): HeaderRow) -> Header {
    Header {
        id,
        min_ts_us,
        max_ts_us,
        entries,
    }
}

fn pools(store: &Store) -> Result<(&SqlitePool, &SqlitePool)> {
    match &store.backend {
        Backend::Sqlite { writer, reader, .. } => Ok((writer, reader)),
        Backend::Postgres(_) => Err(StoreError::Unsupported(
            "audit segments are SQLite's format".into(),
        )),
    }
}

/// Whether `row` passes every condition of `f` (the same conditions as `Where::audit` on
/// PostgreSQL).
fn matches(f: &AuditFilter, row: &AuditRow) -> bool {
    let either = |value: &Option<String>, a: &Option<String>, b: &Option<String>| {
        value
            .as_deref()
            .is_none_or(|v| a.as_deref() == Some(v) || b.as_deref() == Some(v))
    };
    f.from_us.is_none_or(|from| row.ts_us >= from)
        && f.to_us.is_none_or(|to| row.ts_us < to)
        && either(&f.model, &row.requested_model, &row.resolved_model)
        && either(&f.provider, &row.provider_name, &row.provider_type)
        && f.method
            .as_deref()
            .is_none_or(|m| m.to_ascii_uppercase() == row.method)
        && f.path.as_deref().is_none_or(|p| p == row.path)
        && f.user_path
            .as_deref()
            .is_none_or(|root| in_subtree(&row.user_path, root))
        && f.error_type
            .as_deref()
            .is_none_or(|e| row.error_type.as_deref() == Some(e))
        && f.status_code.is_none_or(|s| s == row.status_code)
        && f.stream.is_none_or(|s| s == row.stream)
        && f.search
            .as_deref()
            .filter(|n| !n.is_empty())
            .is_none_or(|needle| {
                [
                    Some(row.request_id.as_str()),
                    Some(row.path.as_str()),
                    row.requested_model.as_deref(),
                    row.resolved_model.as_deref(),
                    row.response_id.as_deref(),
                ]
                .into_iter()
                .flatten()
                .any(|text| contains_ascii_case_insensitive(text, needle))
            })
}

/// Whether the filter has conditions beyond the time range (then every segment in the range
/// must be decoded to count the matches).
fn beyond_time(f: &AuditFilter) -> bool {
    let AuditFilter {
        from_us: _,
        to_us: _,
        model,
        provider,
        method,
        path,
        user_path,
        error_type,
        status_code,
        stream,
        search,
    } = f;
    model.is_some()
        || provider.is_some()
        || method.is_some()
        || path.is_some()
        || user_path
            .as_deref()
            .is_some_and(|p| !p.trim_end_matches('/').is_empty())
        || error_type.is_some()
        || status_code.is_some()
        || stream.is_some()
        || search.as_deref().is_some_and(|s| !s.is_empty())
}

fn id_hash(id: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id)
}

/// Appends `segment` to `audit_segments` (on the writer, or inside a write transaction).
async fn insert_segment<'e, E>(executor: E, segment: Segment) -> sqlx::Result<()>
where
    E: sqlx::SqliteExecutor<'e>,
{
    sqlx::query(
        "INSERT INTO audit_segments (min_ts_us, max_ts_us, entries, links, codec, body) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(segment.min_ts_us)
    .bind(segment.max_ts_us)
    .bind(segment.entries)
    .bind(segment.links)
    .bind(CODEC_LZ4)
    .bind(segment.body)
    .execute(executor)
    .await?;
    Ok(())
}

/// Newest first, as the log is shown.
fn newest_first(a: &AuditRow, b: &AuditRow) -> std::cmp::Ordering {
    b.ts_us.cmp(&a.ts_us).then_with(|| b.id.cmp(&a.id))
}

impl Store {
    /// Writes one segment.
    pub(crate) async fn sqlite_insert_segment(&self, segment: Segment) -> Result<()> {
        let (writer, _) = pools(self)?;
        insert_segment(writer, segment).await?;
        self.note_rows_written(1).await;
        Ok(())
    }

    /// The entries of segment `id` (none if it was deleted meanwhile).
    async fn segment_entries(&self, id: i64) -> Result<Vec<AuditRow>> {
        let (_, reader) = pools(self)?;
        let row: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT codec, body FROM audit_segments WHERE id = ?")
                .bind(id)
                .fetch_optional(reader)
                .await?;
        let Some((codec, body)) = row else {
            return Ok(Vec::new());
        };
        audit_segment::decode(codec, &body).ok_or_else(|| {
            StoreError::Query(format!(
                "audit segment {id} cannot be read (codec {codec}, {} bytes)",
                body.len()
            ))
        })
    }

    /// Headers of the segments that can hold entries started in `[from, to)`, newest first.
    async fn segment_headers(&self, from: Option<i64>, to: Option<i64>) -> Result<Vec<Header>> {
        let (_, reader) = pools(self)?;
        let rows: Vec<HeaderRow> = sqlx::query_as(
            "SELECT id, min_ts_us, max_ts_us, entries FROM audit_segments \
             WHERE max_ts_us >= ? AND min_ts_us < ? ORDER BY max_ts_us DESC, id DESC",
        )
        .bind(from.unwrap_or(i64::MIN))
        .bind(to.unwrap_or(i64::MAX))
        .fetch_all(reader)
        .await?;
        Ok(rows.into_iter().map(header).collect())
    }

    /// The entries of the segments `segments` (ids) that pass `keep`, each entry id once (the
    /// copy in the earliest segment).
    async fn decoded(
        &self,
        segments: impl IntoIterator<Item = i64>,
        keep: impl Fn(&AuditRow) -> bool,
    ) -> Result<Vec<AuditRow>> {
        let mut ids: Vec<i64> = segments.into_iter().collect();
        ids.sort_unstable();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for id in ids {
            for row in self.segment_entries(id).await? {
                if seen.insert(row.id.clone()) && keep(&row) {
                    out.push(row);
                }
            }
        }
        Ok(out)
    }

    /// Matching entries, newest first, with the total number of matches.
    ///
    /// Segments are read newest first (by the newest entry they hold). Without conditions
    /// beyond time, decoding stops once the page is full and no further segment can hold an
    /// entry newer than its last: the rest, wholly inside the range, are counted from their
    /// headers. With conditions every segment in the range is decoded. Only the best
    /// `offset + limit` entries are kept in memory either way.
    pub(crate) async fn sqlite_audit_log(
        &self,
        filter: &AuditFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Page<AuditRow>> {
        let headers = self.segment_headers(filter.from_us, filter.to_us).await?;
        let wanted = usize::try_from(u64::from(limit) + u64::from(offset)).unwrap_or(usize::MAX);
        let decode_all = beyond_time(filter);
        let inside = |h: &Header| {
            filter.from_us.is_none_or(|from| h.min_ts_us >= from)
                && filter.to_us.is_none_or(|to| h.max_ts_us < to)
        };
        let mut best: Vec<AuditRow> = Vec::new();
        let mut seen = HashSet::new();
        let mut total = 0i64;
        for h in &headers {
            if !decode_all && inside(h) && best.len() >= wanted {
                best.sort_by(newest_first);
                best.truncate(wanted);
                if best.last().is_none_or(|last| h.max_ts_us < last.ts_us) {
                    total += h.entries;
                    continue;
                }
            }
            for row in self.segment_entries(h.id).await? {
                // An id stored twice counts once (8-byte hashes keep the set small on a scan
                // of millions of entries).
                if seen.insert(id_hash(&row.id)) && matches(filter, &row) {
                    total += 1;
                    best.push(row);
                }
            }
            if best.len() > wanted.saturating_mul(2).max(1024) {
                best.sort_by(newest_first);
                best.truncate(wanted);
            }
        }
        best.sort_by(newest_first);
        let items = best
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Ok(Page { items, total })
    }

    /// One entry by id: one of our ids reads the segments whose range holds its time, any
    /// other id every segment.
    pub(crate) async fn sqlite_audit_entry(
        &self,
        id: &str,
        time: Option<i64>,
    ) -> Result<Option<AuditRow>> {
        let headers = match time {
            Some(ts) => {
                let (_, reader) = pools(self)?;
                let rows: Vec<HeaderRow> = sqlx::query_as(
                    "SELECT id, min_ts_us, max_ts_us, entries FROM audit_segments \
                     WHERE max_ts_us >= ? AND min_ts_us <= ?",
                )
                .bind(ts)
                .bind(ts)
                .fetch_all(reader)
                .await?;
                rows.into_iter().map(header).collect()
            }
            None => self.segment_headers(None, None).await?,
        };
        let rows = self
            .decoded(headers.iter().map(|h| h.id), |row| row.id == id)
            .await?;
        if rows.is_empty() && time.is_some() {
            // An id that only looks like ours (32 hex digits from elsewhere, or an entry
            // whose time the id could not hold): every segment.
            return Box::pin(self.sqlite_audit_entry(id, None)).await;
        }
        Ok(rows.into_iter().next())
    }

    /// Entries linked to `response_id`: those that produced it (`produced`) or continued from
    /// it, oldest first.
    pub(crate) async fn sqlite_audit_links(
        &self,
        response_id: &str,
        produced: bool,
    ) -> Result<Vec<AuditRow>> {
        let (_, reader) = pools(self)?;
        let segments: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM audit_segments WHERE instr(links, ?) > 0")
                .bind(audit_segment::link_needle(response_id, produced))
                .fetch_all(reader)
                .await?;
        let mut rows = self
            .decoded(segments.into_iter().map(|(id,)| id), |row| {
                let link = if produced {
                    &row.response_id
                } else {
                    &row.previous_response_id
                };
                link.as_deref() == Some(response_id)
            })
            .await?;
        rows.sort_by(|a, b| a.ts_us.cmp(&b.ts_us).then_with(|| a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// Deletes entries started before `ts_us`: whole segments, and the older entries of a
    /// segment that straddles the cutoff (rewritten without them). Returns how many.
    pub(crate) async fn sqlite_delete_audit_before(&self, ts_us: i64) -> Result<u64> {
        let (writer, reader) = pools(self)?;
        let straddling: Vec<HeaderRow> = sqlx::query_as(
            "SELECT id, min_ts_us, max_ts_us, entries FROM audit_segments \
             WHERE min_ts_us < ? AND max_ts_us >= ?",
        )
        .bind(ts_us)
        .bind(ts_us)
        .fetch_all(reader)
        .await?;
        let mut deleted = 0u64;
        for (id, ..) in straddling {
            // Read and rewritten under one write lock: another process trimming the same
            // segment meanwhile cannot have its work undone.
            let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
            let stored: Option<(i64, i64, Vec<u8>)> =
                sqlx::query_as("SELECT min_ts_us, codec, body FROM audit_segments WHERE id = ?")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((min_ts_us, codec, body)) = stored.filter(|(min, ..)| *min < ts_us) else {
                tx.rollback().await?;
                continue;
            };
            let rows = audit_segment::decode(codec, &body).ok_or_else(|| {
                StoreError::Query(format!(
                    "audit segment {id} cannot be read (from {min_ts_us})"
                ))
            })?;
            let kept: Vec<AuditRow> = rows.iter().filter(|r| r.ts_us >= ts_us).cloned().collect();
            if kept.is_empty() {
                // Every entry is older after all (the range said otherwise only if another
                // process rewrote the segment): the whole-segment pass below deletes it.
                tx.rollback().await?;
                continue;
            }
            deleted += u64::try_from(rows.len() - kept.len()).unwrap_or(0);
            let segment = audit_segment::encode(&kept);
            sqlx::query(
                "UPDATE audit_segments SET min_ts_us = ?, max_ts_us = ?, entries = ?, links = ?, \
                 codec = ?, body = ? WHERE id = ?",
            )
            .bind(segment.min_ts_us)
            .bind(segment.max_ts_us)
            .bind(segment.entries)
            .bind(segment.links)
            .bind(CODEC_LZ4)
            .bind(segment.body)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        // Whole segments a few at a time: each statement holds the write lock, which the
        // usage and audit writers wait for (a day of busy traffic is thousands of segments).
        loop {
            // The count and the delete read the same rows: one transaction.
            let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
            let (count, entries): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), SUM(entries) FROM (SELECT entries FROM audit_segments \
                 WHERE max_ts_us < ? ORDER BY max_ts_us LIMIT ?)",
            )
            .bind(ts_us)
            .bind(DELETE_SEGMENTS)
            .fetch_one(&mut *tx)
            .await?;
            if count == 0 {
                tx.rollback().await?;
                break;
            }
            sqlx::query(
                "DELETE FROM audit_segments WHERE id IN (SELECT id FROM audit_segments \
                 WHERE max_ts_us < ? ORDER BY max_ts_us LIMIT ?)",
            )
            .bind(ts_us)
            .bind(DELETE_SEGMENTS)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            deleted += u64::try_from(entries.unwrap_or(0)).unwrap_or(0);
        }
        if deleted > 0 {
            self.refresh_statistics().await;
        }
        Ok(deleted)
    }

    /// Moves entries stored by versions before migration 8 (`audit_records`, read through its
    /// `audit_logs` view) into segments and drops the old tables, in one transaction. A second
    /// process opening the file at the same time waits for the write lock and then finds
    /// nothing left to move.
    pub(crate) async fn sqlite_move_legacy_audit(&self) -> Result<()> {
        let (writer, _) = pools(self)?;
        let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
        let (legacy,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_records'",
        )
        .fetch_one(&mut *tx)
        .await?;
        if legacy == 0 {
            tx.rollback().await?;
            return Ok(());
        }
        let mut after: Option<(i64, String)> = None;
        loop {
            // The document is read as text and kept as it is (`RawJson::written`): SQLite never
            // checked what the old table holds, and one document a reader refuses must not
            // stop the gateway from starting.
            let mut sql = crate::sql::Sql::new(crate::sql::Dialect::Sqlite, "SELECT ");
            sql.push(LEGACY_COLUMNS).push(" FROM audit_logs");
            if let Some((ts, id)) = &after {
                sql.push(" WHERE (ts_us, id) > (")
                    .bind(*ts)
                    .push(", ")
                    .bind(id.as_str())
                    .push(")");
            }
            sql.push(" ORDER BY ts_us, id LIMIT ")
                .bind(CONVERT_SEGMENT_ROWS);
            let rows = crate::exec::sqlite_query(sql)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| {
                    let mut entry = crate::audit::audit_from_row(row)?;
                    let text: String = row.try_get("data_text")?;
                    entry.data = RawJson::written(text);
                    Ok(entry)
                })
                .collect::<sqlx::Result<Vec<AuditRow>>>()?;
            let Some(last) = rows.last() else { break };
            after = Some((last.ts_us, last.id.clone()));
            insert_segment(&mut *tx, audit_segment::encode(&rows)).await?;
        }
        for statement in [
            "DROP VIEW audit_logs",
            "DROP TABLE audit_records",
            "DROP TABLE audit_thread_index",
            "DROP TABLE audit_thread_tail",
        ] {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
