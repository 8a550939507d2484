//! `GET /dashboard/config` (the runtime flags the dashboard shows) and `POST /runtime/refresh`
//! (refresh the model lists now, with a per-provider report).

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::models::refresh::refresh_once;
use crate::models::{ModelCacheFile, ModelSource};

fn on_off(flag: bool) -> &'static str {
    if flag { "on" } else { "off" }
}

/// GoModel's flags as `on`/`off` strings (features this gateway does not have yet are `off`),
/// plus what the dashboard needs to explain itself.
pub async fn dashboard_config(State(state): State<AppState>) -> Json<Value> {
    let config = state.config();
    Json(json!({
        "FEATURE_FALLBACK_MODE": "off",
        "LOGGING_ENABLED": on_off(config.records.audit_enabled),
        "USAGE_ENABLED": on_off(config.records.usage_enabled && state.store().is_some()),
        "BUDGETS_ENABLED": "off",
        "GUARDRAILS_ENABLED": "off",
        "CACHE_ENABLED": "off",
        "REDIS_URL": "off",
        "SEMANTIC_CACHE_ENABLED": "off",
        "master_key_set": config.server.master_key.is_some(),
        "base_path": config.server.base_path,
        "storage": match (&config.storage, state.store().is_some()) {
            (_, false) => "off",
            (crate::config::StorageConfig::Sqlite { .. }, true) => "sqlite",
            (crate::config::StorageConfig::Postgres { .. }, true) => "postgresql",
        },
        "provider_count": state.registry().len(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// Fetches every provider's model list now. `status`: `ok` when every provider answered,
/// `partial` when some failed, `failed` when all did (the previous list is then kept).
pub async fn refresh(State(state): State<AppState>) -> Json<Value> {
    let started_at = unix_now();
    let clock = Instant::now();
    let config = state.config();
    let outcome = refresh_once(
        state.registry(),
        state.inventory(),
        &ModelCacheFile::new(&config.models.cache_dir),
        config.models.configured_provider_models_mode,
    )
    .await;
    let failed = outcome
        .providers
        .iter()
        .filter(|p| p.error.is_some())
        .count();
    let status = if outcome.providers.is_empty() {
        "skipped"
    } else if failed == 0 {
        "ok"
    } else if failed < outcome.providers.len() && !outcome.kept_previous {
        "partial"
    } else {
        "failed"
    };
    let steps: Vec<Value> = outcome
        .providers
        .iter()
        .map(|p| {
            json!({
                "name": format!("model_list:{}", p.provider),
                "status": if p.error.is_some() { "failed" } else { "ok" },
                "detail": p.error.clone().unwrap_or_else(|| format!(
                    "{} models ({})",
                    p.model_count,
                    match p.source {
                        ModelSource::Upstream => "from the provider",
                        ModelSource::Configured => "configured",
                        ModelSource::Cache => "cached",
                        ModelSource::None => "none",
                    }
                )),
            })
        })
        .collect();
    Json(json!({
        "status": status,
        "started_at": started_at,
        "finished_at": unix_now(),
        "duration_ms": clock.elapsed().as_secs_f64() * 1000.0,
        "model_count": outcome.model_count,
        "provider_count": outcome.provider_count,
        "kept_previous_list": outcome.kept_previous,
        "steps": steps,
    }))
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
