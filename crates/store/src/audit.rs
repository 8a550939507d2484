//! Writing and reading audit entries, and following a Responses API conversation through them.
//!
//! A conversation is a chain of requests linked by `previous_response_id`: entry B continues
//! entry A when `B.previous_response_id = A.response_id` (any answer's id, as in GoModel, which
//! threads chat completions too). On PostgreSQL both links are indexed, so walking a thread is
//! one indexed lookup per hop; on SQLite each hop scans the segments' link text
//! ([`crate::audit_sqlite`]).
//!
//! On SQLite the entries are stored in compressed segments, one per written batch
//! ([`crate::audit_segment`], migrations/sqlite/0008); PostgreSQL keeps a plain table. This
//! module holds the backend-neutral parts and PostgreSQL's statements.
//!
//! The log and the conversation attach each entry's token usage ([`RequestUsageSummary`]) from
//! the usage rows of the same request. Both rows of a request carry its start time as `ts_us`,
//! so the lookup is one `ts_us IN (...)` on the usage time index per page, not a scan by the
//! (unindexed) request id.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::audit_segment::{self, EncodedAudit};
use crate::error::{Result, StoreError};
use crate::exec::RowGet;
use crate::filter::{AuditFilter, Where};
use crate::records::{AuditRow, Page, RawJson, RequestUsageSummary};
use crate::sql::{Arg, Dialect, Sql};
use crate::store::{Backend, Store};
use crate::usage::count_from_row;

const AUDIT_COLUMNS: &str = "id, request_id, ts_us, duration_ms, requested_model, \
    resolved_model, provider_type, provider_name, status_code, method, path, user_path, stream, \
    client_ip, error_type, response_id, previous_response_id, auth_method, data";

/// The values of [`AUDIT_COLUMNS`], in order.
fn audit_values(r: &AuditRow) -> [Arg; 19] {
    [
        r.id.as_str().into(),
        r.request_id.as_str().into(),
        r.ts_us.into(),
        r.duration_ms.into(),
        (&r.requested_model).into(),
        (&r.resolved_model).into(),
        (&r.provider_type).into(),
        (&r.provider_name).into(),
        r.status_code.into(),
        r.method.as_str().into(),
        r.path.as_str().into(),
        r.user_path.as_str().into(),
        r.stream.into(),
        (&r.client_ip).into(),
        (&r.error_type).into(),
        (&r.response_id).into(),
        (&r.previous_response_id).into(),
        (&r.auth_method).into(),
        Arg::RawJson(Some(r.data.clone())),
    ]
}

/// The time at the start of one of our entry ids (16 hex digits of microseconds, then 16
/// random: `time_ordered` in the gateway), which is the entry's `ts_us`; `None` for any other
/// id.
fn time_of_id(id: &str) -> Option<i64> {
    if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    i64::from_str_radix(&id[..16], 16).ok()
}

pub(crate) fn audit_from_row(r: &dyn RowGet) -> sqlx::Result<AuditRow> {
    Ok(AuditRow {
        id: r.text("id")?,
        request_id: r.text("request_id")?,
        ts_us: r.int("ts_us")?,
        duration_ms: r.float("duration_ms")?,
        requested_model: r.opt_text("requested_model")?,
        resolved_model: r.opt_text("resolved_model")?,
        provider_type: r.opt_text("provider_type")?,
        provider_name: r.opt_text("provider_name")?,
        status_code: r.int32("status_code")?,
        method: r.text("method")?,
        path: r.text("path")?,
        user_path: r.text("user_path")?,
        stream: r.boolean("stream")?,
        client_ip: r.opt_text("client_ip")?,
        error_type: r.opt_text("error_type")?,
        response_id: r.opt_text("response_id")?,
        previous_response_id: r.opt_text("previous_response_id")?,
        auth_method: r.opt_text("auth_method")?,
        // The column is NOT NULL; `null` stands in should a driver ever hand back nothing.
        data: r
            .opt_raw_json("data")?
            .unwrap_or_else(|| RawJson::new(Box::default())),
        usage: None,
    })
}

/// The token counts of one usage row, keyed by its request.
struct UsageTokens {
    ts_us: i64,
    request_id: String,
    input: i64,
    output: i64,
    total: i64,
    cached: i64,
    cache_write: i64,
}

fn usage_tokens_from_row(r: &dyn RowGet) -> sqlx::Result<UsageTokens> {
    Ok(UsageTokens {
        ts_us: r.int("ts_us")?,
        request_id: r.text("request_id")?,
        input: r.int("input_tokens")?,
        output: r.int("output_tokens")?,
        total: r.int("total_tokens")?,
        cached: r.int("cached_input_tokens")?,
        cache_write: r.int("cache_write_tokens")?,
    })
}

impl RequestUsageSummary {
    fn add(&mut self, row: &UsageTokens) {
        self.entries += 1;
        self.input_tokens += row.input;
        self.output_tokens += row.output;
        self.total_tokens += row.total;
        self.cached_input_tokens += row.cached;
        self.cache_write_input_tokens += row.cache_write;
    }

    /// Fills in the derived fields once every row is added.
    fn finish(mut self) -> Self {
        self.uncached_input_tokens =
            (self.input_tokens - self.cached_input_tokens - self.cache_write_input_tokens).max(0);
        self.cached_input_ratio = if self.input_tokens > 0 {
            self.cached_input_tokens as f64 / self.input_tokens as f64
        } else {
            0.0
        };
        self.estimated_cached_characters = self.cached_input_tokens.saturating_mul(4);
        self
    }
}

impl Store {
    /// Stores audit entries. On PostgreSQL entries whose id is already stored are skipped; on
    /// SQLite a batch is written once or not at all, and an id stored twice reads once.
    pub async fn insert_audit(&self, rows: &[AuditRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        match self.backend {
            Backend::Sqlite { .. } => {
                self.sqlite_insert_segment(audit_segment::encode(rows))
                    .await
            }
            Backend::Postgres(_) => {
                self.insert_skipping_existing("audit_logs", AUDIT_COLUMNS, rows, audit_values)
                    .await
            }
        }
    }

    /// Stores entries encoded where they were made ([`EncodedAudit`]; the gateway's writer).
    /// SQLite writes them as they are; PostgreSQL stores rows, decoded from them.
    pub async fn insert_encoded_audit(&self, entries: &[EncodedAudit]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        match self.backend {
            Backend::Sqlite { .. } => {
                self.sqlite_insert_segment(audit_segment::encode_entries(entries))
                    .await
            }
            Backend::Postgres(_) => {
                let rows = entries
                    .iter()
                    .map(EncodedAudit::decode)
                    .collect::<Option<Vec<AuditRow>>>()
                    .ok_or_else(|| {
                        StoreError::Rejected("an encoded audit entry does not decode".into())
                    })?;
                self.insert_audit(&rows).await
            }
        }
    }

    /// Matching audit entries, newest first, with the total number of matches.
    pub async fn audit_log(
        &self,
        filter: &AuditFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Page<AuditRow>> {
        if let Dialect::Sqlite = self.dialect() {
            let mut page = self.sqlite_audit_log(filter, limit, offset).await?;
            self.attach_usage(&mut page.items).await?;
            return Ok(page);
        }
        let mut count = Sql::new(self.dialect(), "SELECT COUNT(*) AS n FROM audit_logs");
        Where::new(&mut count).audit(filter);
        let total = self.fetch_one(count, count_from_row).await?;

        let mut page = Sql::new(self.dialect(), "SELECT ");
        page.push(AUDIT_COLUMNS).push(" FROM audit_logs");
        Where::new(&mut page).audit(filter);
        page.push(" ORDER BY ts_us DESC, id DESC LIMIT ")
            .bind(i64::from(limit))
            .push(" OFFSET ")
            .bind(i64::from(offset));
        let mut items = self.fetch_all(page, audit_from_row).await?;
        self.attach_usage(&mut items).await?;
        Ok(Page { items, total })
    }

    /// Sets each entry's `usage` from the usage rows of its request (see the module docs).
    async fn attach_usage(&self, entries: &mut [AuditRow]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut times: Vec<i64> = entries.iter().map(|e| e.ts_us).collect();
        times.sort_unstable();
        times.dedup();
        let mut sql = Sql::new(
            self.dialect(),
            "SELECT ts_us, request_id, input_tokens, output_tokens, total_tokens, \
             cached_input_tokens, cache_write_tokens FROM usage WHERE ts_us IN (",
        );
        for (i, ts) in times.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(ts);
        }
        sql.push(")");
        // Its text varies with the page (up to 200 times): kept out of the statement cache,
        // where it would evict the prepared inserts.
        let sql = sql.one_off();
        let rows = self.fetch_all(sql, usage_tokens_from_row).await?;
        let mut sums: HashMap<(i64, &str), RequestUsageSummary> = HashMap::new();
        for row in &rows {
            sums.entry((row.ts_us, row.request_id.as_str()))
                .or_default()
                .add(row);
        }
        for entry in entries {
            entry.usage = sums
                .remove(&(entry.ts_us, entry.request_id.as_str()))
                .map(RequestUsageSummary::finish);
        }
        Ok(())
    }

    /// One audit entry by id. On SQLite one of our ids is looked up in the segments whose time
    /// range holds the time it starts with; any other id in every segment.
    pub async fn audit_entry(&self, id: &str) -> Result<Option<AuditRow>> {
        if let Dialect::Sqlite = self.dialect() {
            return self.sqlite_audit_entry(id, time_of_id(id)).await;
        }
        let mut sql = Sql::new(self.dialect(), "SELECT ");
        sql.push(AUDIT_COLUMNS)
            .push(" FROM audit_logs WHERE id = ")
            .bind(id);
        self.fetch_optional(sql, audit_from_row).await
    }

    /// The conversation around entry `id`, oldest first, at most `limit` entries: its ancestors
    /// (following `previous_response_id` back to the entry that produced that response id),
    /// itself, then its continuations (entries whose `previous_response_id` is a response id in
    /// the thread, branches included). Ancestors take precedence when the limit cuts. Empty when
    /// the entry does not exist.
    pub async fn audit_conversation(&self, id: &str, limit: u32) -> Result<Vec<AuditRow>> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let Some(entry) = self.audit_entry(id).await? else {
            return Ok(Vec::new());
        };
        // `seen` guards against cycles, which corrupt or hand-edited data could contain.
        let mut seen = HashSet::from([entry.id.clone()]);
        let mut thread = vec![entry.clone()];

        let mut cursor = entry.previous_response_id.clone();
        while thread.len() < limit {
            let Some(previous) = cursor else { break };
            let Some(parent) = self.audit_by_response_id(&previous).await? else {
                break;
            };
            if !seen.insert(parent.id.clone()) {
                break;
            }
            cursor = parent.previous_response_id.clone();
            thread.push(parent);
        }

        let mut frontier = VecDeque::from([entry]);
        while let Some(node) = frontier.pop_front() {
            let room = limit.saturating_sub(thread.len());
            if room == 0 {
                break;
            }
            let Some(response_id) = node.response_id else {
                continue;
            };
            for child in self.audit_continuations(&response_id, room).await? {
                if seen.insert(child.id.clone()) {
                    thread.push(child.clone());
                    frontier.push_back(child);
                }
            }
        }

        thread.truncate(limit);
        thread.sort_by(|a, b| a.ts_us.cmp(&b.ts_us).then_with(|| a.id.cmp(&b.id)));
        self.attach_usage(&mut thread).await?;
        Ok(thread)
    }

    /// The entry that produced `response_id` (the earliest, should several mention it).
    async fn audit_by_response_id(&self, response_id: &str) -> Result<Option<AuditRow>> {
        if let Dialect::Sqlite = self.dialect() {
            let rows = self.sqlite_audit_links(response_id, true).await?;
            return Ok(rows.into_iter().next());
        }
        let mut sql = Sql::new(self.dialect(), "SELECT ");
        sql.push(AUDIT_COLUMNS)
            .push(" FROM audit_logs WHERE response_id = ")
            .bind(response_id)
            .push(" ORDER BY ts_us, id LIMIT 1");
        self.fetch_optional(sql, audit_from_row).await
    }

    /// Entries that continued from `response_id`, oldest first.
    async fn audit_continuations(&self, response_id: &str, limit: usize) -> Result<Vec<AuditRow>> {
        if let Dialect::Sqlite = self.dialect() {
            let mut rows = self.sqlite_audit_links(response_id, false).await?;
            rows.truncate(limit);
            return Ok(rows);
        }
        let mut sql = Sql::new(self.dialect(), "SELECT ");
        sql.push(AUDIT_COLUMNS)
            .push(" FROM audit_logs WHERE previous_response_id = ")
            .bind(response_id)
            .push(" ORDER BY ts_us, id LIMIT ")
            .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        self.fetch_all(sql, audit_from_row).await
    }

    /// Deletes audit entries older than `ts_us`; returns how many were deleted.
    pub async fn delete_audit_before(&self, ts_us: i64) -> Result<u64> {
        match self.dialect() {
            Dialect::Sqlite => self.sqlite_delete_audit_before(ts_us).await,
            Dialect::Postgres => self.delete_in_batches("audit_logs", "id", ts_us).await,
        }
    }
}
