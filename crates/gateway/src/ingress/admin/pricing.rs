//! Pricing overrides (`/admin/api/v1/model-pricing-overrides`) and cost recalculation
//! (`POST /admin/api/v1/usage/recalculate-pricing`).
//!
//! Overrides are stored in the database and applied to the live pricing snapshot at once, so
//! new rows use them immediately; recalculation re-prices stored rows in a scope and needs the
//! confirmation word `recalculate`.

use axum::Json;
use axum::extract::State;
use gomodel_protocol::Usage;
use gomodel_store::{CostUpdate, PricingOverrideRow, UsageFilter};
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::range::{DateRange, RangeQuery};
use super::usage::store;
use super::{AdminJson, AdminQuery, bad_param, store_error};
use crate::app::AppState;
use crate::error::GatewayError;
use crate::observe::pricing::{ModelPrice, PricingOverride, validate_selector};

pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, GatewayError> {
    let rows = store(&state)?
        .list_pricing_overrides()
        .await
        .map_err(store_error)?;
    let data: Vec<Value> = rows
        .into_iter()
        .map(|r| json!({"selector": r.selector, "pricing": r.pricing, "updated_at_us": r.updated_at_us}))
        .collect();
    Ok(Json(json!({"data": data})))
}

#[derive(Debug, Deserialize)]
pub struct PutOverride {
    pub selector: String,
    pub pricing: ModelPrice,
}

pub async fn put(
    State(state): State<AppState>,
    AdminJson(body): AdminJson<PutOverride>,
) -> Result<Json<Value>, GatewayError> {
    validate_selector(&body.selector).map_err(|err| bad_param("selector", err.to_string()))?;
    let p = &body.pricing;
    let prices = [
        p.input,
        p.output,
        p.cached_input,
        p.cache_write,
        p.reasoning,
        p.batch_input,
        p.batch_output,
    ];
    if prices.iter().flatten().any(|p| !p.is_finite() || *p < 0.0) {
        return Err(bad_param(
            "pricing",
            "prices must be finite and not negative (USD per million tokens)",
        ));
    }
    // serde skips unknown keys, so a misspelt field would store an override that changes
    // nothing.
    if prices.iter().all(Option::is_none) {
        return Err(bad_param(
            "pricing",
            "pricing sets no price: give any of input, output, cached_input, cache_write, reasoning, batch_input, batch_output (USD per million tokens)",
        ));
    }
    let row = PricingOverrideRow {
        selector: body.selector.clone(),
        pricing: serde_json::to_value(&body.pricing).unwrap_or(Value::Null),
        updated_at_us: now_us(),
    };
    store(&state)?
        .put_pricing_override(&row)
        .await
        .map_err(store_error)?;
    state.reload_pricing_overrides().await;
    Ok(Json(
        json!({"selector": row.selector, "pricing": row.pricing, "updated_at_us": row.updated_at_us}),
    ))
}

#[derive(Debug, Deserialize)]
pub struct SelectorQuery {
    pub selector: Option<String>,
}

pub async fn delete(
    State(state): State<AppState>,
    AdminQuery(query): AdminQuery<SelectorQuery>,
) -> Result<Json<Value>, GatewayError> {
    let Some(selector) = query.selector.filter(|s| !s.is_empty()) else {
        return Err(bad_param(
            "selector",
            "selector is required (?selector=provider/model)",
        ));
    };
    let deleted = store(&state)?
        .delete_pricing_override(&selector)
        .await
        .map_err(store_error)?;
    if !deleted {
        let mut error = GatewayError::invalid_request(
            "not_found",
            format!("no pricing override for {selector:?}"),
        );
        error.status = http::StatusCode::NOT_FOUND;
        error.error_type = crate::error::ErrorType::NotFound;
        return Err(error);
    }
    state.reload_pricing_overrides().await;
    Ok(Json(json!({"deleted": selector})))
}

#[derive(Debug, Default, Deserialize)]
pub struct Recalculate {
    pub confirm: Option<String>,
    /// `days` as a JSON number or string (the query routes get it as a string).
    #[serde(default, deserialize_with = "number_or_string")]
    pub days: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub user_path: Option<String>,
}

pub async fn recalculate(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminJson(body): AdminJson<Recalculate>,
) -> Result<Json<Value>, GatewayError> {
    if body.confirm.as_deref() != Some("recalculate") {
        return Err(bad_param(
            "confirm",
            "send {\"confirm\": \"recalculate\"} to re-price stored usage",
        ));
    }
    let range = RangeQuery {
        days: body.days,
        start_date: body.start_date,
        end_date: body.end_date,
    };
    let range = DateRange::resolve(&range, &headers)?;
    let filter = UsageFilter {
        from_us: Some(range.from_us),
        to_us: Some(range.to_us),
        model: body.model.filter(|s| !s.is_empty()),
        provider: body.provider.filter(|s| !s.is_empty()),
        user_path: body.user_path.filter(|s| !s.is_empty()),
        search: None,
    };
    let store = store(&state)?;
    let pricing = state.pricing();
    let mut after: Option<(i64, String)> = None;
    let mut updated = 0u64;
    loop {
        let rows = store
            .usage_for_repricing(
                &filter,
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
                let usage = Usage {
                    prompt_tokens: row.input_tokens.max(0) as u64,
                    completion_tokens: row.output_tokens.max(0) as u64,
                    total_tokens: row.total_tokens.max(0) as u64,
                    cached_tokens: Some(row.cached_input_tokens.max(0) as u64),
                    reasoning_tokens: Some(row.reasoning_tokens.max(0) as u64),
                    raw: row.raw_usage.as_ref().map(|raw| raw.as_raw().to_owned()),
                };
                let cost = pricing.cost(&row.provider_name, &row.provider_type, &row.model, &usage);
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
        updated += store
            .update_usage_costs(&updates)
            .await
            .map_err(store_error)?;
    }
    Ok(Json(json!({"status": "ok", "updated": updated})))
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Days {
        Number(i64),
        Text(String),
    }
    Ok(
        Option::<Days>::deserialize(deserializer)?.map(|days| match days {
            Days::Number(n) => n.to_string(),
            Days::Text(text) => text,
        }),
    )
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Stored overrides as pricing overrides (rows that no longer parse are skipped, with a warning).
pub fn overrides_from_rows(rows: Vec<PricingOverrideRow>) -> Vec<PricingOverride> {
    rows.into_iter()
        .filter_map(|row| match serde_json::from_value::<ModelPrice>(row.pricing) {
            Ok(price) => Some(PricingOverride { selector: row.selector, price }),
            Err(err) => {
                tracing::warn!(selector = %row.selector, error = %err, "ignoring a stored pricing override that does not parse");
                None
            }
        })
        .collect()
}
