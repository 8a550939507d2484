//! `GET /admin/api/v1/storage/status`: the record writers' counters, so a dropped or failing
//! write is visible (queue depth, rows written, rows dropped because the queue was full,
//! failed write attempts) along with the count of unpriced requests.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::observe::writer::WriterStats;

pub async fn status(State(state): State<AppState>) -> Json<Value> {
    let counters = |stats: &WriterStats, depth: usize| {
        json!({
            "queue_depth": depth,
            "written": stats.written.load(Ordering::Relaxed),
            "dropped": stats.dropped.load(Ordering::Relaxed),
            "failed_attempts": stats.failed_attempts.load(Ordering::Relaxed),
        })
    };
    let usage = state
        .usage_recorder()
        .map(|u| counters(u.writer().stats(), u.writer().depth()));
    let audit = state
        .audit_recorder()
        .map(|a| counters(a.writer().stats(), a.writer().depth()));
    Json(json!({
        "backend": state.store().map(|s| s.backend()),
        "reachable": match state.store() {
            Some(store) => store.ping().await.is_ok(),
            None => false,
        },
        "usage": usage,
        "audit": audit,
        "unpriced_requests": state.usage_recorder().map(|u| u.unpriced_requests()),
    }))
}
