//! `GET /health`: liveness, no auth, GoModel's shape.

use axum::Json;
use serde_json::{Value, json};

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}
