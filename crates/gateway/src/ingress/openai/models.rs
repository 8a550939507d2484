//! `GET /v1/models`: every model of every provider, as `provider/model` selectors.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::app::AppState;
use crate::error::GatewayError;

#[derive(Serialize)]
pub struct ModelList {
    object: &'static str,
    data: Vec<ModelEntry>,
}

#[derive(Serialize)]
pub struct ModelEntry {
    id: String,
    object: &'static str,
    created: i64,
    owned_by: String,
}

pub async fn list_models(State(state): State<AppState>) -> Result<Json<ModelList>, GatewayError> {
    let catalog = state.catalog().await?;
    let data = catalog
        .providers()
        .iter()
        .flat_map(|list| {
            list.models.iter().map(move |model| ModelEntry {
                id: format!("{}/{}", list.provider, model.id),
                object: "model",
                created: model.created.unwrap_or(0),
                owned_by: list.provider.clone(),
            })
        })
        .collect();
    Ok(Json(ModelList {
        object: "list",
        data,
    }))
}
