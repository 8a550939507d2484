//! `GET /health` (liveness: the process answers; GoModel's shape) and `GET /health/ready`
//! (readiness: storage reachable when usage or audit records are on, providers configured and
//! the first model-list load done). Neither needs auth; neither says anything secret.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};

use crate::app::AppState;

/// A storage check slower than this counts as unreachable (a probe must answer quickly).
const STORAGE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn ready(State(state): State<AppState>) -> Response {
    let records_on = state.config().records.usage_enabled || state.config().records.audit_enabled;
    let storage = match state.store() {
        Some(store) => {
            let ping = tokio::time::timeout(STORAGE_CHECK_TIMEOUT, store.ping()).await;
            match ping {
                Ok(Ok(())) => json!({"ok": true, "backend": store.backend()}),
                Ok(Err(err)) => {
                    json!({"ok": false, "backend": store.backend(), "error": err.to_string()})
                }
                Err(_) => {
                    json!({"ok": false, "backend": store.backend(), "error": "no answer within 2 s"})
                }
            }
        }
        None if records_on => {
            json!({"ok": false, "error": "storage did not start; see the gateway log"})
        }
        None => json!({"ok": true, "backend": "off"}),
    };
    // Ready once providers are configured and the first model-list load has finished:
    // `provider/model` requests route even for a provider whose list is unknown (Azure, a
    // self-hosted server without `/models`), so an empty list must not take it out of rotation.
    let catalog = state.inventory().snapshot();
    let with_models = catalog
        .providers()
        .iter()
        .filter(|p| !p.models.is_empty())
        .count();
    let configured = state.registry().len();
    let providers = json!({
        "ok": configured > 0 && state.inventory().is_loaded(),
        "configured": configured,
        "with_models": with_models,
        "model_lists_loaded": state.inventory().is_loaded(),
    });
    let ready = storage["ok"] == true && providers["ok"] == true;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": {"storage": storage, "providers": providers},
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
