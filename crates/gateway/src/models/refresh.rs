//! Building catalogs from the providers, and the background task that keeps them fresh.
//!
//! `CONFIGURED_PROVIDER_MODELS_MODE` decides how configured lists combine with `/models`
//! (reference §3.5): in `fallback` the configured list is used only when the fetch fails or
//! comes back empty; in `allowlist` a provider with a configured list is never asked.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use gomodel_providers::{Provider, ProviderRegistry, UpstreamModel};
use tokio::sync::watch;

use super::{ModelCacheFile, ModelCatalog, ModelInventory, ModelSource, ProviderModels};
use crate::config::ConfiguredModelsMode;

/// Fetches every provider's list concurrently and builds a catalog.
pub async fn build_catalog(
    registry: &ProviderRegistry,
    mode: ConfiguredModelsMode,
) -> ModelCatalog {
    let lists = join_all(
        registry
            .iter()
            .map(|provider| provider_models(provider, mode)),
    )
    .await;
    ModelCatalog::new(lists)
}

async fn provider_models(provider: &Arc<Provider>, mode: ConfiguredModelsMode) -> ProviderModels {
    let configured: Vec<UpstreamModel> = provider
        .settings()
        .models
        .iter()
        .map(|id| UpstreamModel {
            id: id.clone(),
            created: None,
            owned_by: None,
        })
        .collect();
    let entry = |source, models, last_error| ProviderModels {
        provider: provider.name().to_owned(),
        provider_type: provider.kind().as_str().to_owned(),
        source,
        models,
        last_error,
    };
    if mode == ConfiguredModelsMode::Allowlist && !configured.is_empty() {
        return entry(ModelSource::Configured, configured, None);
    }
    match provider.list_models().await {
        Ok(models) if !models.is_empty() => entry(ModelSource::Upstream, models, None),
        Ok(_) if !configured.is_empty() => entry(ModelSource::Configured, configured, None),
        Ok(_) => entry(
            ModelSource::None,
            Vec::new(),
            Some("provider returned an empty model list".to_owned()),
        ),
        Err(err) => {
            tracing::warn!(provider = provider.name(), error = %err, "model list fetch failed");
            let source = if configured.is_empty() {
                ModelSource::None
            } else {
                ModelSource::Configured
            };
            entry(source, configured, Some(err.to_string()))
        }
    }
}

/// Refreshes the inventory now and then every `interval` until `shutdown` fires.
pub async fn run(
    registry: Arc<ProviderRegistry>,
    inventory: Arc<ModelInventory>,
    cache: ModelCacheFile,
    mode: ConfiguredModelsMode,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let fresh = build_catalog(&registry, mode).await;
        let keep_previous = fresh.is_empty() && !inventory.snapshot().is_empty();
        if keep_previous {
            // Every fetch failed: keep serving the last known list rather than none.
            tracing::warn!("model refresh found no models; keeping the previous list");
            inventory.publish(clone_catalog(&inventory.snapshot()));
        } else {
            tracing::info!(
                models = fresh.model_count(),
                providers = registry.len(),
                "model list refreshed"
            );
            cache.save(&fresh).await;
            inventory.publish(fresh);
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

fn clone_catalog(catalog: &ModelCatalog) -> ModelCatalog {
    ModelCatalog::new(catalog.providers().to_vec())
}
