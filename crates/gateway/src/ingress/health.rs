//! `GET /health` (liveness: the process answers; GoModel's shape) and `GET /health/ready`
//! (readiness: storage reachable when usage or audit records are on, providers configured and
//! the first model-list load done). Neither needs auth, so neither says anything the
//! gateway's log would not tell an anonymous caller: a failed storage check answers a fixed
//! sentence and the driver's own error (host names, database and role names, file paths) goes
//! to the log only.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};

use gomodel_store::Store;

use crate::app::AppState;

/// A storage check slower than this counts as unreachable (a probe must answer quickly).
const STORAGE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// What `/health/ready` says when the storage ping fails; the reason is in the log.
pub const STORAGE_PING_FAILED: &str = "storage did not answer the ping; see the gateway log";

pub async fn ready(State(state): State<AppState>) -> Response {
    let records_on = state.config().records.usage_enabled || state.config().records.audit_enabled;
    let storage = storage_check(state.store(), records_on).await;
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

/// The storage part of readiness.
async fn storage_check(store: Option<&Store>, records_on: bool) -> Value {
    let Some(store) = store else {
        return if records_on {
            json!({"ok": false, "error": "storage did not start; see the gateway log"})
        } else {
            json!({"ok": true, "backend": "off"})
        };
    };
    match tokio::time::timeout(STORAGE_CHECK_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => json!({"ok": true, "backend": store.backend()}),
        Ok(Err(err)) => {
            // Store errors carry no password (the store scrubs connection URLs), so the log may
            // have the detail the anonymous answer leaves out.
            tracing::warn!(backend = store.backend(), error = %err, "readiness: storage ping failed");
            json!({"ok": false, "backend": store.backend(), "error": STORAGE_PING_FAILED})
        }
        Err(_) => {
            tracing::warn!(
                backend = store.backend(),
                "readiness: storage ping got no answer within 2 s"
            );
            json!({"ok": false, "backend": store.backend(), "error": "no answer within 2 s"})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gomodel_store::StoreConfig;

    #[tokio::test]
    async fn a_failed_ping_shows_a_fixed_message_not_the_driver_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ready.db");
        let store = Store::connect(&StoreConfig::Sqlite { path: path.clone() })
            .await
            .unwrap();
        let ok = storage_check(Some(&store), true).await;
        assert_eq!(ok["ok"], true, "{ok}");
        // A closed pool fails every query ("attempted to acquire a connection on a closed
        // pool"): the same path as a database that went away.
        store.close().await;
        let driver_error = store.ping().await.unwrap_err().to_string();
        let failed = storage_check(Some(&store), true).await;
        assert_eq!(failed["ok"], false);
        assert_eq!(failed["error"], STORAGE_PING_FAILED);
        let text = failed.to_string();
        assert!(!text.contains(&driver_error), "{text}");
        assert!(!text.contains("pool"), "{text}");
        assert!(!text.contains(&*path.to_string_lossy()), "{text}");
    }

    #[tokio::test]
    async fn storage_off_is_ready_unless_records_need_it() {
        assert_eq!(storage_check(None, false).await["ok"], true);
        assert_eq!(storage_check(None, true).await["ok"], false);
    }
}
