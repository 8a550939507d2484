//! `GET /models?category=` (every model the gateway serves, with provider, category, limits
//! and price) and `GET /models/categories` (counts per category, in display order).
//!
//! Limits (`context_window`, `max_output_tokens`) come from the provider's own model list where
//! it states them (OpenRouter, Groq, vLLM), else from the `MODEL_LIST_URL` registry, field by
//! field; `null` when neither says. `access` is GoModel's block as far as it means something
//! here: every served model is enabled for every caller (this gateway has no model-access
//! overrides, so GoModel's `user_paths` and `override` have nothing to report and are left
//! out), and `selector` is the `provider/model` a request names it by.
//!
//! Categories come from the model id, as GoModel's heuristics do where no metadata says
//! otherwise: embedding (`embed`, `bge`, `e5-`, `gte-`, `minilm`), image (`image`, `imagen`,
//! `dall-e`), audio (`tts`, `whisper`, `audio`, `transcribe`), video (`veo`, `sora`), utility
//! (`rerank`, `moderation`, `guard`), else text generation.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminQuery, bad_param};
use crate::app::AppState;
use crate::error::GatewayError;

/// Display order.
pub const CATEGORIES: [&str; 7] = [
    "all",
    "text_generation",
    "embedding",
    "image",
    "audio",
    "video",
    "utility",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsQuery {
    #[serde(default)]
    category: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    AdminQuery(query): AdminQuery<ModelsQuery>,
) -> Result<Json<Value>, GatewayError> {
    let category = query.category.unwrap_or_else(|| "all".to_owned());
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(bad_param(
            "category",
            format!(
                "unknown category '{category}'; one of {}",
                CATEGORIES.join(", ")
            ),
        ));
    }
    let models: Vec<Value> = entries(&state)
        .into_iter()
        .filter(|m| category == "all" || m["category"] == category.as_str())
        .collect();
    Ok(Json(
        json!({"category": category, "count": models.len(), "models": models}),
    ))
}

pub async fn categories(State(state): State<AppState>) -> Json<Value> {
    let entries = entries(&state);
    let counts: Vec<Value> = CATEGORIES
        .iter()
        .map(|category| {
            let count = entries
                .iter()
                .filter(|m| *category == "all" || m["category"] == *category)
                .count();
            json!({"category": category, "count": count})
        })
        .collect();
    Json(json!({"categories": counts}))
}

fn entries(state: &AppState) -> Vec<Value> {
    let catalog = state.inventory().snapshot();
    let pricing = state.pricing();
    let registry_limits = state.price_sources().limits();
    catalog
        .providers()
        .iter()
        .flat_map(|list| {
            let pricing = &pricing;
            let registry_limits = &registry_limits;
            list.models.iter().map(move |model| {
                let listed = list.limits.get(&model.id).copied().unwrap_or_default();
                let limits = match registry_limits.get(&list.provider_type, &model.id) {
                    Some(registry) => listed.or(registry),
                    None => listed,
                };
                let selector = format!("{}/{}", list.provider, model.id);
                let price = pricing
                    .price_for(&list.provider, &list.provider_type, &model.id)
                    .map(|(price, source)| {
                        json!({
                            "input_per_mtok": price.input,
                            "output_per_mtok": price.output,
                            "cached_input_per_mtok": price.cached_input,
                            "cache_write_per_mtok": price.cache_write,
                            "reasoning_output_per_mtok": price.reasoning,
                            "batch_input_per_mtok": price.batch_input,
                            "batch_output_per_mtok": price.batch_output,
                            "source": source.as_str(),
                        })
                    });
                json!({
                    "id": selector,
                    "model": model.id,
                    "provider_name": list.provider,
                    "provider_type": list.provider_type,
                    "selector": selector,
                    "category": category_of(&model.id),
                    "owned_by": model.owned_by,
                    "source": list.source,
                    "context_window": limits.context_window,
                    "max_output_tokens": limits.max_output_tokens,
                    "pricing": price,
                    "access": {
                        "selector": selector,
                        "default_enabled": true,
                        "effective_enabled": true,
                    },
                })
            })
        })
        .collect()
}

pub fn category_of(model: &str) -> &'static str {
    let id = model.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| id.contains(n));
    if has(&["rerank", "moderation", "guard"]) {
        "utility"
    } else if has(&["embed", "bge-", "e5-", "gte-", "minilm"]) {
        "embedding"
    } else if has(&["veo", "sora"]) {
        "video"
    } else if has(&["tts", "whisper", "transcribe", "-audio"]) {
        "audio"
    } else if has(&[
        "imagen",
        "dall-e",
        "gpt-image",
        "-image",
        "stable-diffusion",
        "flux",
    ]) {
        "image"
    } else {
        "text_generation"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_from_ids() {
        assert_eq!(category_of("text-embedding-3-small"), "embedding");
        assert_eq!(category_of("gpt-4o-mini"), "text_generation");
        assert_eq!(category_of("imagen-4.0-generate-001"), "image");
        assert_eq!(category_of("whisper-1"), "audio");
        assert_eq!(category_of("omni-moderation-latest"), "utility");
        assert_eq!(category_of("veo-3.0-generate-001"), "video");
    }
}
