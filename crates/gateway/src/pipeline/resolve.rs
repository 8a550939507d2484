//! Model selection: from the request's `model` (and optional `provider`) to one provider
//! instance and the model id to send it.
//!
//! Precedence (reference §3.5, ADR-0005), with GoModel's ambiguities removed (limitation L5):
//! 1. An explicit `provider` field is authoritative (instance name, else type); a redundant
//!    `provider/` prefix on the model is stripped once.
//! 2. `name/model` where `name` is a configured instance and that instance lists `model`.
//! 3. The whole slash-shaped id when some provider lists it (`meta-llama/Llama-3.1-8B` on vLLM):
//!    a provider name no longer shadows a model id that really exists.
//! 4. `name/model` where `name` is an instance (or a type) even if its list lacks the model:
//!    new models work before the next refresh (unless allowlist mode and the provider has a
//!    configured list).
//! 5. A bare id: the first provider in registry order (sorted by instance name) that lists it.
//!    Qualify the id (`openai-east/gpt-4o`) to choose another.

use std::sync::Arc;

use gomodel_providers::{Provider, ProviderRegistry};

use crate::config::ConfiguredModelsMode;
use crate::error::GatewayError;
use crate::models::ModelCatalog;

/// Where a request goes.
#[derive(Debug, Clone)]
pub struct Route {
    pub provider: Arc<Provider>,
    /// The id sent upstream (selector prefix removed).
    pub upstream_model: String,
}

/// Resolves a selector against the registry and a catalog snapshot.
pub fn resolve(
    registry: &ProviderRegistry,
    catalog: &ModelCatalog,
    mode: ConfiguredModelsMode,
    model: &str,
    provider_field: Option<&str>,
) -> Result<Route, GatewayError> {
    if registry.is_empty() {
        return Err(GatewayError::no_providers());
    }
    let model = model.trim();
    if model.is_empty() {
        return Err(GatewayError::missing_parameter("model"));
    }
    if let Some(reference) = provider_field.map(str::trim).filter(|p| !p.is_empty()) {
        let provider = registry
            .lookup(reference)
            .ok_or_else(|| unknown_provider(registry, reference))?;
        let bare = strip_prefix(model, reference)
            .or_else(|| strip_prefix(model, provider.name()))
            .unwrap_or(model);
        return route_to(registry, catalog, mode, provider, bare, model);
    }
    if let Some((prefix, rest)) = model.split_once('/')
        && let Some(provider) = registry.by_name(prefix)
        && let Some(index) = registry.index_of(provider.name())
        && catalog.serves(index, rest)
    {
        return Ok(Route {
            provider: Arc::clone(provider),
            upstream_model: rest.to_owned(),
        });
    }
    if let Some(&index) = catalog.providers_serving(model).first()
        && let Some(provider) = registry.get(index)
    {
        return Ok(Route {
            provider: Arc::clone(provider),
            upstream_model: model.to_owned(),
        });
    }
    if let Some((prefix, rest)) = model.split_once('/')
        && let Some(provider) = registry.lookup(prefix)
        && !rest.is_empty()
    {
        return route_to(registry, catalog, mode, provider, rest, model);
    }
    Err(unknown_model(model))
}

/// Routes to a chosen provider, checking the model against its list where that is required.
fn route_to(
    registry: &ProviderRegistry,
    catalog: &ModelCatalog,
    mode: ConfiguredModelsMode,
    provider: &Arc<Provider>,
    model: &str,
    selector: &str,
) -> Result<Route, GatewayError> {
    let index = registry.index_of(provider.name()).unwrap_or(usize::MAX);
    let listed = catalog.serves(index, model);
    // In allowlist mode a configured list is a hard limit; providers without one keep the
    // forward-unlisted behaviour.
    let allowlisted =
        mode == ConfiguredModelsMode::Allowlist && !provider.settings().models.is_empty();
    if !listed && allowlisted {
        return Err(unknown_model(selector));
    }
    Ok(Route {
        provider: Arc::clone(provider),
        upstream_model: model.to_owned(),
    })
}

fn strip_prefix<'a>(model: &'a str, prefix: &str) -> Option<&'a str> {
    model
        .strip_prefix(prefix)?
        .strip_prefix('/')
        .filter(|rest| !rest.is_empty())
}

fn unknown_model(selector: &str) -> GatewayError {
    GatewayError::invalid_request(
        "model_not_found",
        format!("unsupported model: {selector}. GET /v1/models lists the models this gateway serves (as provider/model)"),
    )
    .with_param("model")
}

fn unknown_provider(registry: &ProviderRegistry, reference: &str) -> GatewayError {
    GatewayError::invalid_request(
        "unknown_provider",
        format!(
            "unknown provider: {reference}. Configured providers: {}",
            registry.names().join(", ")
        ),
    )
    .with_param("provider")
}

#[cfg(test)]
mod tests;
