//! `/admin/api/v1/usage/*`: summary, daily (any interval, any time zone), by model, by user
//! path, and the paginated log.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use gomodel_store::{Store, UsageFilter};
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::range::{DateRange, RangeQuery, bucket_key};
use super::{AdminQuery, bad_param, no_storage, store_error};
use crate::app::AppState;
use crate::error::GatewayError;
use crate::pipeline::user_path;

/// Filters shared by the usage routes.
#[derive(Debug, Default, Deserialize)]
pub struct UsageQuery {
    #[serde(flatten)]
    pub range: RangeQuery,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub user_path: Option<String>,
    pub search: Option<String>,
    pub interval: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

pub(super) fn store(state: &AppState) -> Result<&Store, GatewayError> {
    state.store().ok_or_else(no_storage)
}

fn filter(
    query: &UsageQuery,
    headers: &HeaderMap,
) -> Result<(UsageFilter, DateRange), GatewayError> {
    let range = DateRange::resolve(&query.range, headers)?;
    let user_path = match query.user_path.as_deref().filter(|p| !p.is_empty()) {
        Some(path) => Some(user_path::normalize(path).map_err(|_| {
            bad_param(
                "user_path",
                format!("invalid user_path {path:?}: segments may not be '.', '..' or contain ':'"),
            )
        })?),
        None => None,
    };
    let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    Ok((
        UsageFilter {
            from_us: Some(range.from_us),
            to_us: Some(range.to_us),
            model: non_empty(&query.model),
            provider: non_empty(&query.provider),
            user_path,
            search: non_empty(&query.search),
        },
        range,
    ))
}

pub(super) fn page(
    query_limit: Option<&str>,
    query_offset: Option<&str>,
) -> Result<(u32, u32), GatewayError> {
    let limit = match query_limit.filter(|s| !s.is_empty()) {
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| bad_param("limit", "limit must be between 1 and 1000"))?,
        None => 50,
    };
    let offset = match query_offset.filter(|s| !s.is_empty()) {
        Some(text) => text
            .parse::<u32>()
            .map_err(|_| bad_param("offset", "offset must be a whole number"))?,
        None => 0,
    };
    Ok((limit, offset))
}

pub async fn summary(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminQuery(query): AdminQuery<UsageQuery>,
) -> Result<Json<Value>, GatewayError> {
    let (filter, _) = filter(&query, &headers)?;
    let s = store(&state)?
        .usage_summary(&filter)
        .await
        .map_err(store_error)?;
    Ok(Json(json!({
        "total_requests": s.total_requests,
        "total_input_tokens": s.input_tokens,
        "total_output_tokens": s.output_tokens,
        "total_tokens": s.total_tokens,
        "total_cached_input_tokens": s.cached_input_tokens,
        "total_input_cost": s.input_cost,
        "total_output_cost": s.output_cost,
        "total_cost": s.total_cost,
        "unpriced_requests": s.unpriced_requests,
    })))
}

/// Buckets per 15 minutes from storage, grouped here into local days / ISO weeks / months /
/// years, so DST changes and half-hour zones are exact.
pub async fn daily(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminQuery(query): AdminQuery<UsageQuery>,
) -> Result<Json<Value>, GatewayError> {
    let interval = query.interval.as_deref().unwrap_or("daily");
    if !matches!(interval, "daily" | "weekly" | "monthly" | "yearly") {
        return Err(bad_param(
            "interval",
            "interval must be daily, weekly, monthly or yearly",
        ));
    }
    let (filter, range) = filter(&query, &headers)?;
    let buckets = store(&state)?
        .usage_buckets(&filter, 900)
        .await
        .map_err(store_error)?;
    let mut grouped: BTreeMap<String, [f64; 8]> = BTreeMap::new();
    for bucket in buckets {
        let entry = grouped
            .entry(bucket_key(bucket.bucket_start_us, &range.zone, interval))
            .or_default();
        let values = [
            bucket.requests as f64,
            bucket.input_tokens as f64,
            bucket.output_tokens as f64,
            bucket.total_tokens as f64,
            bucket.input_cost,
            bucket.output_cost,
            bucket.total_cost,
            bucket.unpriced_requests as f64,
        ];
        for (sum, value) in entry.iter_mut().zip(values) {
            *sum += value;
        }
    }
    let data: Vec<Value> = grouped
        .into_iter()
        .map(|(date, v)| {
            json!({
                "date": date, "requests": v[0] as i64, "input_tokens": v[1] as i64, "output_tokens": v[2] as i64,
                "total_tokens": v[3] as i64, "input_cost": v[4], "output_cost": v[5], "total_cost": v[6],
                "unpriced_requests": v[7] as i64,
            })
        })
        .collect();
    Ok(Json(
        json!({"interval": interval, "timezone": range.zone.iana_name().unwrap_or("UTC"), "data": data}),
    ))
}

pub async fn models(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminQuery(query): AdminQuery<UsageQuery>,
) -> Result<Json<Value>, GatewayError> {
    let (filter, _) = filter(&query, &headers)?;
    let rows = store(&state)?
        .usage_by_model(&filter)
        .await
        .map_err(store_error)?;
    let data: Vec<Value> = rows
        .into_iter()
        .map(|m| {
            json!({
                "model": m.model, "provider": m.provider_type, "provider_name": m.provider_name, "requests": m.requests,
                "input_tokens": m.input_tokens, "output_tokens": m.output_tokens, "total_tokens": m.total_tokens,
                "input_cost": m.input_cost, "output_cost": m.output_cost, "total_cost": m.total_cost,
                "unpriced_requests": m.unpriced_requests,
            })
        })
        .collect();
    Ok(Json(Value::Array(data)))
}

pub async fn user_paths(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminQuery(query): AdminQuery<UsageQuery>,
) -> Result<Json<Value>, GatewayError> {
    let (filter, _) = filter(&query, &headers)?;
    let rows = store(&state)?
        .usage_by_user_path(&filter)
        .await
        .map_err(store_error)?;
    Ok(Json(serde_json::to_value(rows).unwrap_or(Value::Null)))
}

pub async fn log(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminQuery(query): AdminQuery<UsageQuery>,
) -> Result<Json<Value>, GatewayError> {
    let (filter, _) = filter(&query, &headers)?;
    let (limit, offset) = page(query.limit.as_deref(), query.offset.as_deref())?;
    let page = store(&state)?
        .usage_log(&filter, limit, offset)
        .await
        .map_err(store_error)?;
    Ok(Json(
        json!({"entries": page.items, "total": page.total, "limit": limit, "offset": offset}),
    ))
}
