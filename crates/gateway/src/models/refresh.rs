//! Building catalogs from the providers, and the background task that keeps them fresh.
//!
//! `CONFIGURED_PROVIDER_MODELS_MODE` decides how configured lists combine with `/models`
//! (reference §3.5): in `fallback` the configured list is used only when the fetch fails or
//! comes back empty; in `allowlist` a provider with a configured list is never asked.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use gomodel_providers::{ModelListing, Provider, ProviderRegistry, UpstreamModel};
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
    let now = unix_now();
    let entry = |source, listing: ModelListing, last_error: Option<String>| ProviderModels {
        provider: provider.name().to_owned(),
        provider_type: provider.kind().as_str().to_owned(),
        source,
        models: listing.models,
        limits: listing.limits,
        last_success_at: last_error.is_none().then_some(now),
        last_error,
        fetched_at: Some(now),
    };
    if mode == ConfiguredModelsMode::Allowlist && !configured.is_empty() {
        return entry(ModelSource::Configured, configured.into(), None);
    }
    match provider.model_listing().await {
        Ok(listing) if !listing.models.is_empty() => entry(ModelSource::Upstream, listing, None),
        Ok(_) if !configured.is_empty() => entry(ModelSource::Configured, configured.into(), None),
        Ok(_) => entry(
            ModelSource::None,
            ModelListing::default(),
            Some("provider returned an empty model list".to_owned()),
        ),
        Err(err) => {
            tracing::warn!(provider = provider.name(), error = %err, "model list fetch failed");
            let source = if configured.is_empty() {
                ModelSource::None
            } else {
                ModelSource::Configured
            };
            entry(source, configured.into(), Some(err.to_string()))
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
        refresh_once(&registry, &inventory, &cache, mode).await;
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

/// What one refresh did, per provider (`POST /admin/api/v1/runtime/refresh`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RefreshOutcome {
    pub model_count: usize,
    pub provider_count: usize,
    pub providers: Vec<ProviderOutcome>,
    /// Every fetch failed and the previous list was kept.
    pub kept_previous: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ProviderOutcome {
    pub provider: String,
    pub model_count: usize,
    pub source: ModelSource,
    pub error: Option<String>,
}

/// Fetches every provider's list once and publishes it (keeping the previous list when every
/// fetch failed); the cache file is updated.
pub async fn refresh_once(
    registry: &ProviderRegistry,
    inventory: &ModelInventory,
    cache: &ModelCacheFile,
    mode: ConfiguredModelsMode,
) -> RefreshOutcome {
    // The background loop and `POST /runtime/refresh` take turns: two refreshes racing could
    // publish an older list last and write the cache file at the same time.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    let previous = inventory.snapshot();
    let mut lists = build_catalog(registry, mode).await.providers().to_vec();
    // A failed fetch keeps the time of the last success it replaces, and, when it left the
    // provider with nothing, the models it had: one failed refresh must not stop bare model
    // names from routing to a provider that answered a minute ago.
    for list in &mut lists {
        let before = previous
            .providers()
            .iter()
            .find(|p| p.provider == list.provider);
        if list.last_success_at.is_none() {
            list.last_success_at = before.and_then(|p| p.last_success_at);
        }
        if list.last_error.is_some()
            && list.models.is_empty()
            && let Some(before) = before.filter(|p| !p.models.is_empty())
        {
            list.models.clone_from(&before.models);
            list.source = ModelSource::Cache;
        }
    }
    let outcome = RefreshOutcome {
        model_count: lists.iter().map(|l| l.models.len()).sum(),
        provider_count: lists.len(),
        providers: lists
            .iter()
            .map(|l| ProviderOutcome {
                provider: l.provider.clone(),
                model_count: l.models.len(),
                source: l.source,
                error: l.last_error.clone(),
            })
            .collect(),
        kept_previous: false,
    };
    let all_failed = lists
        .iter()
        .all(|l| l.models.is_empty() || l.last_error.is_some());
    if all_failed && !previous.is_empty() {
        // Every fetch failed: keep serving the last known lists rather than none, but with
        // this attempt's time and error, so the status page tells the truth.
        tracing::warn!("model refresh found no models; keeping the previous list");
        let kept: Vec<ProviderModels> = previous
            .providers()
            .iter()
            .map(|old| {
                let fresh = lists.iter().find(|l| l.provider == old.provider);
                ProviderModels {
                    fetched_at: fresh.and_then(|f| f.fetched_at).or(old.fetched_at),
                    last_error: fresh.and_then(|f| f.last_error.clone()),
                    ..old.clone()
                }
            })
            .collect();
        let served = kept.iter().map(|l| l.models.len()).sum();
        inventory.publish(ModelCatalog::new(kept));
        return RefreshOutcome {
            kept_previous: true,
            model_count: served,
            ..outcome
        };
    }
    let fresh = ModelCatalog::new(lists);
    tracing::info!(
        models = fresh.model_count(),
        providers = registry.len(),
        "model list refreshed"
    );
    cache.save(&fresh).await;
    inventory.publish(fresh);
    outcome
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
