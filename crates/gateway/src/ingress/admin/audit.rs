//! `/admin/api/v1/audit/log` and `/admin/api/v1/audit/conversation`.

use axum::Json;
use axum::extract::State;
use gomodel_store::{AuditFilter, AuditRow};
use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::range::{DateRange, RangeQuery};
use super::usage::{page, store};
use super::{AdminQuery, bad_param, store_error};
use crate::app::AppState;
use crate::error::GatewayError;
use crate::pipeline::user_path;

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(flatten)]
    pub range: RangeQuery,
    pub requested_model: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub user_path: Option<String>,
    pub error_type: Option<String>,
    pub status_code: Option<String>,
    pub stream: Option<String>,
    pub search: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

pub async fn log(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminQuery(query): AdminQuery<AuditQuery>,
) -> Result<Json<AuditPage>, GatewayError> {
    let range = DateRange::resolve(&query.range, &headers)?;
    let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let status_code = match non_empty(&query.status_code) {
        Some(text) => Some(
            text.parse::<i32>()
                .map_err(|_| bad_param("status_code", "status_code must be a number"))?,
        ),
        None => None,
    };
    let stream = match non_empty(&query.stream).as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(bad_param("stream", "stream must be true or false")),
    };
    // Normalised as the header is (and as the usage routes do), so `team/` finds `/team`.
    let user_path = match non_empty(&query.user_path) {
        Some(path) => {
            Some(user_path::normalize(&path).map_err(|e| bad_param("user_path", e.message))?)
        }
        None => None,
    };
    let filter = AuditFilter {
        from_us: Some(range.from_us),
        to_us: Some(range.to_us),
        model: non_empty(&query.requested_model).or_else(|| non_empty(&query.model)),
        provider: non_empty(&query.provider),
        method: non_empty(&query.method).map(|m| m.to_ascii_uppercase()),
        path: non_empty(&query.path),
        user_path,
        error_type: non_empty(&query.error_type),
        status_code,
        stream,
        search: non_empty(&query.search),
    };
    let (limit, offset) = page(query.limit.as_deref(), query.offset.as_deref())?;
    let page = store(&state)?
        .audit_log(&filter, limit, offset)
        .await
        .map_err(store_error)?;
    // A typed answer, not `json!`: that would re-parse every entry's stored document (and panic
    // on one serde_json cannot hold as a `Value`); `Json` copies the raw text through.
    Ok(Json(AuditPage {
        entries: page.items,
        total: page.total,
        limit,
        offset,
    }))
}

#[derive(Serialize)]
pub struct AuditPage {
    entries: Vec<AuditRow>,
    total: i64,
    limit: u32,
    offset: u32,
}

#[derive(Serialize)]
pub struct Conversation {
    log_id: String,
    entries: Vec<AuditRow>,
}

#[derive(Debug, Deserialize)]
pub struct ConversationQuery {
    pub log_id: Option<String>,
    pub limit: Option<String>,
}

pub async fn conversation(
    State(state): State<AppState>,
    AdminQuery(query): AdminQuery<ConversationQuery>,
) -> Result<Json<Conversation>, GatewayError> {
    let Some(log_id) = query.log_id.filter(|s| !s.is_empty()) else {
        return Err(bad_param("log_id", "log_id is required"));
    };
    let limit = match query.limit.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=200).contains(l))
            .ok_or_else(|| bad_param("limit", "limit must be between 1 and 200"))?,
        None => 40,
    };
    let entries = store(&state)?
        .audit_conversation(&log_id, limit)
        .await
        .map_err(store_error)?;
    Ok(Json(Conversation { log_id, entries }))
}
