//! Writing and reading audit entries, and following a Responses API conversation through them.
//!
//! A conversation is a chain of requests linked by `previous_response_id`: entry B continues
//! entry A when `B.previous_response_id = A.response_id`. Both columns are indexed, so walking a
//! thread is one indexed lookup per hop.

use std::collections::{HashSet, VecDeque};

use crate::error::Result;
use crate::exec::RowGet;
use crate::filter::{AuditFilter, Where};
use crate::records::{AuditRow, Page};
use crate::sql::{Arg, Sql};
use crate::store::Store;
use crate::usage::count_from_row;

const AUDIT_COLUMNS: &str = "id, request_id, ts_us, duration_ms, requested_model, \
    resolved_model, provider_type, provider_name, status_code, method, path, user_path, stream, \
    client_ip, error_type, response_id, previous_response_id, data";

/// The values of [`AUDIT_COLUMNS`], in order.
fn audit_values(r: &AuditRow) -> [Arg; 18] {
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
        (&r.data).into(),
    ]
}

fn audit_from_row(r: &dyn RowGet) -> sqlx::Result<AuditRow> {
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
        data: r.json("data")?,
    })
}

impl Store {
    /// Stores audit entries; entries whose id is already stored are skipped.
    pub async fn insert_audit(&self, rows: &[AuditRow]) -> Result<()> {
        self.insert_skipping_existing("audit_logs", AUDIT_COLUMNS, rows, audit_values)
            .await
    }

    /// Matching audit entries, newest first, with the total number of matches.
    pub async fn audit_log(
        &self,
        filter: &AuditFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Page<AuditRow>> {
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
        let items = self.fetch_all(page, audit_from_row).await?;
        Ok(Page { items, total })
    }

    /// One audit entry by id.
    pub async fn audit_entry(&self, id: &str) -> Result<Option<AuditRow>> {
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
        Ok(thread)
    }

    /// The entry that produced `response_id` (the earliest, should several mention it).
    async fn audit_by_response_id(&self, response_id: &str) -> Result<Option<AuditRow>> {
        let mut sql = Sql::new(self.dialect(), "SELECT ");
        sql.push(AUDIT_COLUMNS)
            .push(" FROM audit_logs WHERE response_id = ")
            .bind(response_id)
            .push(" ORDER BY ts_us, id LIMIT 1");
        self.fetch_optional(sql, audit_from_row).await
    }

    /// Entries that continued from `response_id`, oldest first.
    async fn audit_continuations(&self, response_id: &str, limit: usize) -> Result<Vec<AuditRow>> {
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
        self.delete_in_batches("audit_logs", "id", ts_us).await
    }
}
