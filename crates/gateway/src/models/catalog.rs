//! `ModelCatalog`: one immutable snapshot of which provider serves which model.

use std::collections::BTreeMap;

use gomodel_providers::{ModelLimits, ProviderRegistry, UpstreamModel};
use serde::{Deserialize, Serialize};

use super::fast_hash::FastHashMap;

/// Where a provider's list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    /// The provider's `/models`.
    Upstream,
    /// `<TYPE>_MODELS` / YAML `models:` (allowlist mode, or fallback after a failed fetch).
    Configured,
    /// The warm-start cache file, until the first refresh replaces it.
    Cache,
    /// Nothing known (fetch failed and nothing configured).
    None,
}

/// One provider's models.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderModels {
    pub provider: String,
    pub provider_type: String,
    pub source: ModelSource,
    pub models: Vec<UpstreamModel>,
    /// Context window and output limit by model id, where the provider's list states them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<String, ModelLimits>,
    /// The last fetch error, for operators (never contains a key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the list was last fetched (Unix seconds), and when a fetch last succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success_at: Option<i64>,
}

/// Which provider (by registry index) serves which model.
#[derive(Debug, Default)]
pub struct ModelCatalog {
    /// Indexed like the registry.
    providers: Vec<ProviderModels>,
    /// Model id -> registry indexes of the providers serving it, in registry order.
    by_id: FastHashMap<String, Vec<usize>>,
    /// Per registry index, whether the provider's list is known (non-empty).
    known: Vec<bool>,
}

impl ModelCatalog {
    /// Builds the index. `lists` must be in registry order, one per provider.
    pub fn new(lists: Vec<ProviderModels>) -> Self {
        let mut by_id: FastHashMap<String, Vec<usize>> = FastHashMap::default();
        for (index, list) in lists.iter().enumerate() {
            for model in &list.models {
                let entry = by_id.entry(model.id.clone()).or_default();
                if !entry.contains(&index) {
                    entry.push(index);
                }
            }
        }
        let known = lists.iter().map(|l| !l.models.is_empty()).collect();
        Self {
            providers: lists,
            by_id,
            known,
        }
    }

    /// An empty list per provider (the state before any load).
    pub fn empty_for(registry: &ProviderRegistry) -> Self {
        Self::new(
            registry
                .iter()
                .map(|p| ProviderModels {
                    provider: p.name().to_owned(),
                    provider_type: p.kind().as_str().to_owned(),
                    source: ModelSource::None,
                    models: Vec::new(),
                    limits: BTreeMap::new(),
                    last_error: None,
                    fetched_at: None,
                    last_success_at: None,
                })
                .collect(),
        )
    }

    /// Registry indexes of providers serving `model`, first-registered first.
    pub fn providers_serving(&self, model: &str) -> &[usize] {
        self.by_id.get(model).map_or(&[], Vec::as_slice)
    }

    /// Whether provider `index` lists `model`.
    pub fn serves(&self, index: usize, model: &str) -> bool {
        self.providers_serving(model).contains(&index)
    }

    /// Whether provider `index` has a known (non-empty) list.
    pub fn has_list(&self, index: usize) -> bool {
        self.known.get(index).copied().unwrap_or(false)
    }

    pub fn providers(&self) -> &[ProviderModels] {
        &self.providers
    }

    pub fn model_count(&self) -> usize {
        self.providers.iter().map(|p| p.models.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.model_count() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(provider: &str, ids: &[&str]) -> ProviderModels {
        ProviderModels {
            provider: provider.into(),
            provider_type: "openai".into(),
            source: ModelSource::Upstream,
            models: ids
                .iter()
                .map(|id| UpstreamModel {
                    id: (*id).into(),
                    created: None,
                    owned_by: None,
                })
                .collect(),
            limits: BTreeMap::new(),
            last_error: None,
            fetched_at: None,
            last_success_at: None,
        }
    }

    #[test]
    fn indexes_models_in_registry_order() {
        let catalog = ModelCatalog::new(vec![
            list("a", &["m1", "m2"]),
            list("b", &["m2"]),
            list("c", &[]),
        ]);
        assert_eq!(catalog.providers_serving("m2"), &[0, 1]);
        assert_eq!(catalog.providers_serving("m1"), &[0]);
        assert!(catalog.providers_serving("zz").is_empty());
        assert!(catalog.serves(1, "m2") && !catalog.serves(1, "m1"));
        assert!(catalog.has_list(0) && !catalog.has_list(2));
        assert_eq!(catalog.model_count(), 3);
    }
}
