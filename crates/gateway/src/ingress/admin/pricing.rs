//! Pricing overrides (`/admin/api/v1/model-pricing-overrides`) and cost recalculation
//! (`POST /admin/api/v1/usage/recalculate-pricing`), in GoModel's shapes (reference §1.6
//! post-snapshot, §4.10; GoModel's `internal/admin` handlers and `pricingoverrides` types).
//!
//! Overrides are keyed by selector (`/`, `provider/`, `model`, `provider/model`). Both of
//! GoModel's forms are served: the selector in the path (`PUT|GET|DELETE
//! /model-pricing-overrides/{selector}`, URL-encoded: `openai%2Fgpt-4o`) and in the body
//! (`PUT {selector, pricing}`, `DELETE {selector}` or `?selector=`). `pricing` holds
//! `input_per_mtok`, `output_per_mtok`, `cached_input_per_mtok`, `cache_write_per_mtok`,
//! `reasoning_output_per_mtok`, `batch_input_per_mtok` and `batch_output_per_mtok`; an
//! unknown field, an empty document or a negative rate is a 400, never an empty override.
//! Overrides are applied to the live pricing snapshot at once, so new rows use them
//! immediately.
//!
//! Recalculation re-prices the stored rows of a scope (date range, provider, model, user
//! path) with the current prices. It needs the confirmation word `recalculate` and
//! `USAGE_PRICING_RECALCULATION_ENABLED` (default true).

use axum::Json;
use axum::extract::{Path, State};
use bytes::Bytes;
use gomodel_protocol::Usage;
use gomodel_store::{CostUpdate, PricingOverrideRow, UsageFilter, UsageRow};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::range::{DateRange, RangeQuery};
use super::usage::store;
use super::{AdminJson, AdminQuery, bad_param, store_error};
use crate::app::AppState;
use crate::error::{ErrorType, GatewayError};
use crate::observe::pricing::{
    PricingFields, PricingOverride, USAGE_NOT_REPORTED, selector_scope, validate_selector,
};
use crate::pipeline::user_path;

/// `GET /model-pricing-overrides`: every override, as a JSON array (GoModel's answer).
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, GatewayError> {
    let rows = store(&state)?
        .list_pricing_overrides()
        .await
        .map_err(store_error)?;
    Ok(Json(Value::Array(
        rows.iter().map(|row| view(&state, row)).collect(),
    )))
}

/// `GET /model-pricing-overrides/{selector}`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(selector): Path<String>,
) -> Result<Json<Value>, GatewayError> {
    let rows = store(&state)?
        .list_pricing_overrides()
        .await
        .map_err(store_error)?;
    rows.iter()
        .find(|row| row.selector == selector)
        .map(|row| Json(view(&state, row)))
        .ok_or_else(|| not_found(&selector))
}

/// `PUT /model-pricing-overrides` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutOverride {
    pub selector: String,
    pub pricing: PricingFields,
}

/// `PUT /model-pricing-overrides/{selector}` body (`selector`, if sent, must be the path's).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutPricing {
    pub pricing: PricingFields,
    #[serde(default)]
    pub selector: Option<String>,
}

pub async fn put(
    State(state): State<AppState>,
    AdminJson(body): AdminJson<PutOverride>,
) -> Result<Json<Value>, GatewayError> {
    upsert(&state, body.selector, &body.pricing).await
}

pub async fn put_one(
    State(state): State<AppState>,
    Path(selector): Path<String>,
    AdminJson(body): AdminJson<PutPricing>,
) -> Result<Json<Value>, GatewayError> {
    if body.selector.as_ref().is_some_and(|s| *s != selector) {
        return Err(bad_param(
            "selector",
            format!(
                "the body names selector {:?} but the path names {selector:?}",
                body.selector
            ),
        ));
    }
    upsert(&state, selector, &body.pricing).await
}

async fn upsert(
    state: &AppState,
    selector: String,
    pricing: &PricingFields,
) -> Result<Json<Value>, GatewayError> {
    validate_selector(&selector).map_err(|err| bad_param("selector", err.to_string()))?;
    let price = pricing
        .validate()
        .map_err(|err| bad_param(&err.field, err.message))?;
    let row = PricingOverrideRow {
        selector,
        // Stored in GoModel's names, the validated rates only.
        pricing: serde_json::to_value(PricingFields::from_price(&price)).unwrap_or(Value::Null),
        updated_at_us: now_us(),
    };
    store(state)?
        .put_pricing_override(&row)
        .await
        .map_err(store_error)?;
    state.reload_pricing_overrides().await;
    Ok(Json(view(state, &row)))
}

#[derive(Debug, Deserialize)]
pub struct SelectorQuery {
    pub selector: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectorBody {
    selector: String,
}

/// `DELETE /model-pricing-overrides` with `{"selector": ...}` (GoModel) or `?selector=`.
pub async fn delete(
    State(state): State<AppState>,
    AdminQuery(query): AdminQuery<SelectorQuery>,
    body: Bytes,
) -> Result<StatusCode, GatewayError> {
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let parsed: SelectorBody = serde_json::from_slice(&body).map_err(|err| {
            GatewayError::invalid_request(
                "invalid_json",
                format!(
                    "invalid request body: {err} (expected {{\"selector\": \"provider/model\"}})"
                ),
            )
        })?;
        Some(parsed.selector)
    };
    let selector = query
        .selector
        .filter(|s| !s.is_empty())
        .or(from_body)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            bad_param(
                "selector",
                "selector is required: {\"selector\": \"provider/model\"} or ?selector=",
            )
        })?;
    remove(&state, &selector).await
}

/// `DELETE /model-pricing-overrides/{selector}`.
pub async fn delete_one(
    State(state): State<AppState>,
    Path(selector): Path<String>,
) -> Result<StatusCode, GatewayError> {
    remove(&state, &selector).await
}

async fn remove(state: &AppState, selector: &str) -> Result<StatusCode, GatewayError> {
    let deleted = store(state)?
        .delete_pricing_override(selector)
        .await
        .map_err(store_error)?;
    if !deleted {
        return Err(not_found(selector));
    }
    state.reload_pricing_overrides().await;
    Ok(StatusCode::NO_CONTENT)
}

/// One override as GoModel's `pricingoverrides.View` shows it: selector, its parts, scope
/// kind and pricing in GoModel's field names. (No `created_at`: the table keeps only the last
/// update.)
fn view(state: &AppState, row: &PricingOverrideRow) -> Value {
    let scope = selector_scope(&row.selector, |name| is_provider(state, name));
    let pricing = serde_json::from_value::<PricingFields>(row.pricing.clone())
        .map_or_else(|_| row.pricing.clone(), |fields| json!(fields));
    let mut view = json!({
        "selector": row.selector,
        "scope_kind": scope.kind,
        "pricing": pricing,
        "updated_at": rfc3339(row.updated_at_us),
        "updated_at_us": row.updated_at_us,
    });
    if let Some(object) = view.as_object_mut() {
        if let Some(provider) = scope.provider {
            object.insert("provider_name".into(), json!(provider));
        }
        if let Some(model) = scope.model {
            object.insert("model".into(), json!(model));
        }
    }
    view
}

/// A configured provider's name or type (overrides match either).
fn is_provider(state: &AppState, name: &str) -> bool {
    state
        .config()
        .providers
        .iter()
        .any(|p| p.name.eq_ignore_ascii_case(name) || p.kind.as_str().eq_ignore_ascii_case(name))
}

fn not_found(selector: &str) -> GatewayError {
    let mut error = GatewayError::invalid_request(
        "not_found",
        format!("model pricing override not found: {selector}"),
    );
    error.status = StatusCode::NOT_FOUND;
    error.error_type = ErrorType::NotFound;
    error
}

/// `days` as GoModel sends it (a number) or as a query string would (text).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Days {
    Number(i64),
    Text(String),
}

/// `POST /usage/recalculate-pricing` body (GoModel's fields, plus `provider` and `model`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recalculate {
    /// Must be `recalculate`; GoModel accepts `confirm` too.
    pub confirmation: Option<String>,
    pub confirm: Option<String>,
    pub days: Option<Days>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// GoModel's scope: `provider/model`, `provider/` or a model id.
    pub selector: Option<String>,
    pub user_path: Option<String>,
}

pub async fn recalculate(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<AdminJson<Recalculate>, GatewayError>,
) -> Result<Json<Value>, GatewayError> {
    if !state.config().records.pricing_recalculation_enabled {
        let mut error = GatewayError::invalid_request(
            "feature_unavailable",
            "usage pricing recalculation is disabled (USAGE_PRICING_RECALCULATION_ENABLED=false)",
        );
        error.status = StatusCode::SERVICE_UNAVAILABLE;
        return Err(error);
    }
    // The body's errors only once the feature is known to be on: a disabled route says so
    // whatever it is sent.
    let AdminJson(body) = body?;
    // GoModel reads `confirmation`, then `confirm`; the error names the one the client used.
    let (param, word) = match (&body.confirmation, &body.confirm) {
        (Some(word), _) if !word.trim().is_empty() => ("confirmation", Some(word)),
        (_, Some(word)) => ("confirm", Some(word)),
        _ => ("confirmation", None),
    };
    if !word.is_some_and(|w| w.trim().eq_ignore_ascii_case("recalculate")) {
        return Err(bad_param(
            param,
            format!(
                "{param} must be recalculate: send {{\"confirmation\": \"recalculate\"}} to re-price stored usage"
            ),
        ));
    }
    let filter = scope(&state, &body, &headers)?;
    let tally = reprice(&state, &filter).await?;
    Ok(Json(json!({
        "status": "ok",
        "matched": tally.matched,
        "recalculated": tally.recalculated,
        "with_pricing": tally.with_pricing,
        "without_pricing": tally.matched - tally.with_pricing,
        // Earlier versions of this gateway answered `updated`; kept for their clients.
        "updated": tally.recalculated,
    })))
}

/// The rows a recalculation covers.
fn scope(
    state: &AppState,
    body: &Recalculate,
    headers: &HeaderMap,
) -> Result<UsageFilter, GatewayError> {
    let range = DateRange::resolve(
        &RangeQuery {
            days: body.days.as_ref().map(|days| match days {
                Days::Number(n) => n.to_string(),
                Days::Text(text) => text.clone(),
            }),
            start_date: body.start_date.clone(),
            end_date: body.end_date.clone(),
        },
        headers,
    )?;
    let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let mut provider = non_empty(&body.provider);
    let mut model = non_empty(&body.model);
    if let Some(selector) = non_empty(&body.selector) {
        if provider.is_some() || model.is_some() {
            return Err(bad_param(
                "selector",
                "send either selector or provider/model, not both",
            ));
        }
        validate_selector(&selector).map_err(|err| bad_param("selector", err.to_string()))?;
        let parts = selector_scope(&selector, |name| is_provider(state, name));
        provider = parts.provider.map(str::to_owned);
        model = parts.model.map(str::to_owned);
    }
    let user_path = match non_empty(&body.user_path) {
        Some(path) => {
            Some(user_path::normalize(&path).map_err(|e| bad_param("user_path", e.message))?)
        }
        None => None,
    };
    Ok(UsageFilter {
        from_us: Some(range.from_us),
        to_us: Some(range.to_us),
        model,
        provider,
        user_path,
        search: None,
    })
}

#[derive(Default)]
struct Tally {
    matched: u64,
    recalculated: u64,
    with_pricing: u64,
}

/// Re-prices the rows `filter` selects, a page at a time in key order.
async fn reprice(state: &AppState, filter: &UsageFilter) -> Result<Tally, GatewayError> {
    let store = store(state)?;
    let pricing = state.pricing();
    let mut after: Option<(i64, String)> = None;
    let mut tally = Tally::default();
    loop {
        let rows = store
            .usage_for_repricing(
                filter,
                after.as_ref().map(|(ts, id)| (*ts, id.as_str())),
                500,
            )
            .await
            .map_err(store_error)?;
        let Some(last) = rows.last() else {
            break;
        };
        after = Some((last.ts_us, last.id.clone()));
        let updates: Vec<CostUpdate> = rows
            .iter()
            .map(|row| {
                let usage = stored_usage(row);
                let cost = pricing.answer_cost(
                    &row.provider_name,
                    &row.provider_type,
                    &row.model,
                    usage.as_ref(),
                    (200..300).contains(&row.status_code),
                );
                CostUpdate {
                    id: row.id.clone(),
                    ts_us: row.ts_us,
                    input_cost: cost.input_cost,
                    output_cost: cost.output_cost,
                    total_cost: cost.total_cost,
                    cost_source: cost.source.as_str().to_owned(),
                    cost_caveat: cost.caveat,
                }
            })
            .collect();
        tally.matched += updates.len() as u64;
        tally.with_pricing += updates.iter().filter(|u| u.total_cost.is_some()).count() as u64;
        tally.recalculated += store
            .update_usage_costs(&updates)
            .await
            .map_err(store_error)?;
    }
    Ok(tally)
}

/// The usage a stored row was priced from; `None` when the provider reported none (the row's
/// caveat says so, or, for rows written before that caveat existed, it has no usage object
/// and no tokens), so re-pricing keeps its cost unknown rather than price zero tokens at $0.
fn stored_usage(row: &UsageRow) -> Option<Usage> {
    let unreported = row.cost_caveat.as_deref() == Some(USAGE_NOT_REPORTED)
        || (row.raw_usage.is_none()
            && row.input_tokens == 0
            && row.output_tokens == 0
            && row.total_tokens == 0);
    let count = |n: i64| n.max(0) as u64;
    (!unreported).then(|| Usage {
        prompt_tokens: count(row.input_tokens),
        completion_tokens: count(row.output_tokens),
        total_tokens: count(row.total_tokens),
        cached_tokens: Some(count(row.cached_input_tokens)),
        reasoning_tokens: Some(count(row.reasoning_tokens)),
        raw: row.raw_usage.as_ref().map(|raw| raw.to_raw()),
    })
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Unix microseconds as RFC 3339 (UTC); empty when out of range.
fn rfc3339(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).map_or_else(|_| String::new(), |ts| ts.to_string())
}

/// Stored overrides as pricing overrides (rows that no longer parse are skipped, with a warning).
pub fn overrides_from_rows(rows: Vec<PricingOverrideRow>) -> Vec<PricingOverride> {
    rows.into_iter()
        .filter_map(|row| match serde_json::from_value::<PricingFields>(row.pricing) {
            Ok(fields) => Some(PricingOverride {
                selector: row.selector,
                price: fields.to_price(),
            }),
            Err(err) => {
                tracing::warn!(selector = %row.selector, error = %err, "ignoring a stored pricing override that does not parse");
                None
            }
        })
        .collect()
}
