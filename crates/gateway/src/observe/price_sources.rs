//! Where prices come from besides the catalog shipped in the binary, in rising priority:
//!
//! 1. the shipped catalog (`pricing/catalog.json`);
//! 2. the registry at `MODEL_LIST_URL` (GoModel's ai-model-list format), fetched at start and
//!    on every `CACHE_REFRESH_INTERVAL`; its prices replace the shipped ones model by model;
//! 3. per-model `pricing` in config.yaml (`providers.<name>.models[].metadata.pricing`), applied
//!    as `provider/model` overrides;
//! 4. overrides stored through the admin API (a stored override for the same selector beats
//!    the YAML one).
//!
//! The live snapshot is rebuilt from all four whenever one changes.
//!
//! The same registry also gives each model's context window and output limit
//! ([`RegistryLimits`]), which the admin model list shows where the provider's own list does
//! not say.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use gomodel_providers::ModelLimits;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::pricing::{ModelPrice, Pricing, PricingOverride};

const CATALOG: &str = include_str!("pricing/catalog.json");

/// The pieces the pricing snapshot is built from.
#[derive(Debug, Default)]
pub struct PriceSources {
    /// Prices from `MODEL_LIST_URL`: (provider type, model id, price).
    registry: Mutex<Vec<(String, String, ModelPrice)>>,
    /// From config.yaml, as `provider/model` overrides.
    configured: Vec<PricingOverride>,
    /// From the database.
    stored: Mutex<Vec<PricingOverride>>,
    /// Model limits from `MODEL_LIST_URL`.
    limits: Mutex<Arc<RegistryLimits>>,
}

/// Context windows and output limits from an ai-model-list document: per `provider/model`
/// entry (its own fields, else its model's), and per model key.
#[derive(Debug, Default)]
pub struct RegistryLimits {
    /// Keyed by lowercase `provider_type/model id` (the entry's key and its
    /// `provider_model_id`).
    by_provider_model: HashMap<String, ModelLimits>,
    /// Keyed by lowercase model key (`gpt-4o`), for providers that serve a model under its
    /// own id without an entry of their own (Azure deployments named after the model, say).
    by_model: HashMap<String, ModelLimits>,
}

impl RegistryLimits {
    /// The limits of `model` as served by a provider of type `provider_type`, if known.
    pub fn get(&self, provider_type: &str, model: &str) -> Option<ModelLimits> {
        let model = model.to_ascii_lowercase();
        let key = format!("{}/{model}", provider_type.to_ascii_lowercase());
        self.by_provider_model
            .get(&key)
            .or_else(|| self.by_model.get(&model))
            .copied()
    }

    pub fn is_empty(&self) -> bool {
        self.by_provider_model.is_empty() && self.by_model.is_empty()
    }
}

impl PriceSources {
    pub fn new(configured: Vec<PricingOverride>) -> Self {
        Self {
            configured,
            ..Self::default()
        }
    }

    pub fn set_registry(&self, entries: Vec<(String, String, ModelPrice)>) {
        *self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = entries;
    }

    pub fn set_limits(&self, limits: RegistryLimits) {
        *self
            .limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(limits);
    }

    /// The registry's model limits (empty until `MODEL_LIST_URL` loads, or when it is off).
    pub fn limits(&self) -> Arc<RegistryLimits> {
        Arc::clone(
            &self
                .limits
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    pub fn set_stored(&self, overrides: Vec<PricingOverride>) {
        *self
            .stored
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = overrides;
    }

    /// Builds the snapshot and publishes it.
    pub fn publish(&self, target: &ArcSwap<Pricing>) {
        let registry = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let base = if registry.is_empty() {
            Pricing::embedded()
        } else {
            match Pricing::from_catalog_json(&merge_catalog(CATALOG, &registry)) {
                Ok(pricing) => pricing,
                Err(err) => {
                    tracing::warn!(error = %err, "model list prices could not be merged; using the shipped catalog");
                    Pricing::embedded()
                }
            }
        };
        let stored = self
            .stored
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut overrides = stored.clone();
        for configured in &self.configured {
            if !stored.iter().any(|s| s.selector == configured.selector) {
                overrides.push(configured.clone());
            }
        }
        target.store(Arc::new(base.with_overrides(overrides)));
    }
}

/// The shipped catalog with `entries` put in (replacing a model's shipped price).
fn merge_catalog(catalog: &str, entries: &[(String, String, ModelPrice)]) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(catalog) else {
        return catalog.to_owned();
    };
    if let Some(providers) = value.get_mut("providers").and_then(Value::as_object_mut) {
        for (provider, model, price) in entries {
            if price.input.is_none() || price.output.is_none() {
                continue;
            }
            let section = providers
                .entry(provider.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let (Some(section), Ok(price)) =
                (section.as_object_mut(), serde_json::to_value(price))
            {
                section.insert(model.clone(), price);
            }
        }
    }
    value.to_string()
}

/// GoModel's ai-model-list format (`version`, `models`, `provider_models`), as far as prices go.
#[derive(Deserialize)]
struct ModelList {
    #[serde(default)]
    models: Map<String, Value>,
    #[serde(default)]
    provider_models: Map<String, Value>,
}

#[derive(Deserialize, Default)]
struct ListPrice {
    input_per_mtok: Option<f64>,
    output_per_mtok: Option<f64>,
    cached_input_per_mtok: Option<f64>,
    cache_write_per_mtok: Option<f64>,
    reasoning_output_per_mtok: Option<f64>,
    batch_input_per_mtok: Option<f64>,
    batch_output_per_mtok: Option<f64>,
}

impl From<ListPrice> for ModelPrice {
    fn from(p: ListPrice) -> Self {
        Self {
            input: p.input_per_mtok,
            output: p.output_per_mtok,
            cached_input: p.cached_input_per_mtok,
            cache_write: p.cache_write_per_mtok,
            reasoning: p.reasoning_output_per_mtok,
            batch_input: p.batch_input_per_mtok,
            batch_output: p.batch_output_per_mtok,
        }
    }
}

/// Prices from an ai-model-list document: each enabled `provider/model` entry, priced by its
/// own `pricing` or else its model's.
pub fn parse_model_list(body: &[u8]) -> Result<Vec<(String, String, ModelPrice)>, String> {
    let list: ModelList = serde_json::from_slice(body)
        .map_err(|err| format!("not an ai-model-list document: {err}"))?;
    let mut out = Vec::new();
    for (key, entry) in &list.provider_models {
        let Some((provider, model)) = key.split_once('/') else {
            continue;
        };
        if entry.get("enabled").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let pricing = entry.get("pricing").filter(|p| !p.is_null()).or_else(|| {
            let reference = entry.get("model_ref").and_then(Value::as_str)?;
            list.models
                .get(reference)?
                .get("pricing")
                .filter(|p| !p.is_null())
        });
        let Some(pricing) = pricing else {
            continue;
        };
        let Ok(price) = serde_json::from_value::<ListPrice>(pricing.clone()) else {
            continue;
        };
        let id = entry
            .get("provider_model_id")
            .and_then(Value::as_str)
            .unwrap_or(model);
        out.push((provider.to_owned(), id.to_owned(), price.into()));
    }
    Ok(out)
}

/// Limits from an ai-model-list document (the caller has already checked that it parses).
pub fn parse_model_limits(body: &[u8]) -> RegistryLimits {
    let Ok(list) = serde_json::from_slice::<ModelList>(body) else {
        return RegistryLimits::default();
    };
    let mut limits = RegistryLimits::default();
    for (key, entry) in &list.models {
        let found = limits_of(entry);
        if !found.is_empty() {
            limits.by_model.insert(key.to_ascii_lowercase(), found);
        }
    }
    for (key, entry) in &list.provider_models {
        let Some((provider, _)) = key.split_once('/') else {
            continue;
        };
        let own = limits_of(entry);
        let of_model = entry
            .get("model_ref")
            .and_then(Value::as_str)
            .and_then(|reference| list.models.get(reference))
            .map(limits_of)
            .unwrap_or_default();
        let found = own.or(of_model);
        if found.is_empty() {
            continue;
        }
        limits
            .by_provider_model
            .insert(key.to_ascii_lowercase(), found);
        if let Some(id) = entry.get("provider_model_id").and_then(Value::as_str) {
            limits
                .by_provider_model
                .insert(format!("{provider}/{id}").to_ascii_lowercase(), found);
        }
    }
    limits
}

/// `context_window` and `max_output_tokens` of one entry, when positive whole numbers.
fn limits_of(entry: &Value) -> ModelLimits {
    let count = |name| entry.get(name).and_then(Value::as_u64).filter(|n| *n > 0);
    ModelLimits {
        context_window: count("context_window"),
        max_output_tokens: count("max_output_tokens"),
    }
}

/// Fetches `url` now and every `interval`, publishing new prices when they parse.
pub async fn refresh_from_url(
    url: String,
    interval: std::time::Duration,
    sources: Arc<PriceSources>,
    target: Arc<ArcSwap<Pricing>>,
) {
    gomodel_providers::install_crypto_provider();
    let client = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(45))
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            tracing::warn!(error = %err, "cannot build the model list client");
            return;
        }
    };
    loop {
        match fetch(&client, &url).await {
            Ok((entries, limits)) => {
                tracing::info!(prices = entries.len(), "model list prices loaded");
                sources.set_registry(entries);
                sources.set_limits(limits);
                sources.publish(&target);
            }
            Err(err) => {
                tracing::warn!(error = %err, "MODEL_LIST_URL not loaded; keeping the prices already known (set MODEL_LIST_URL= to disable)")
            }
        }
        tokio::time::sleep(interval).await;
    }
}

async fn fetch(
    client: &reqwest::Client,
    url: &str,
) -> Result<(Vec<(String, String, ModelPrice)>, RegistryLimits), String> {
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|err| format!("fetch failed: {}", err.without_url()))?;
    if !response.status().is_success() {
        return Err(format!("model list answered {}", response.status()));
    }
    let body = response
        .bytes()
        .await
        .map_err(|err| format!("read failed: {}", err.without_url()))?;
    let prices = parse_model_list(&body)?;
    Ok((prices, parse_model_limits(&body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gomodel_protocol::Usage;

    #[test]
    fn model_list_prices_replace_shipped_ones_and_overrides_layer_on_top() {
        let list = br#"{"version":1,"updated_at":"2026-11-01T00:00:00Z","providers":{},
            "models":{"gpt-4o-mini":{"display_name":"x","modes":["chat"],"pricing":{"input_per_mtok":1.0,"output_per_mtok":2.0}}},
            "provider_models":{"openai/gpt-4o-mini":{"model_ref":"gpt-4o-mini","enabled":true},
                               "acme/brand-new":{"model_ref":"x","enabled":true,"pricing":{"input_per_mtok":3.0,"output_per_mtok":4.0}},
                               "openai/old":{"model_ref":"gpt-4o-mini","enabled":false}}}"#;
        let entries = parse_model_list(list).unwrap();
        assert_eq!(entries.len(), 2);
        let sources = PriceSources::new(vec![PricingOverride {
            selector: "mine/llama".into(),
            price: ModelPrice {
                input: Some(5.0),
                output: Some(5.0),
                ..ModelPrice::default()
            },
        }]);
        sources.set_registry(entries);
        let target = ArcSwap::from_pointee(Pricing::embedded());
        sources.publish(&target);
        let usage = Usage {
            prompt_tokens: 1_000_000,
            completion_tokens: 1_000_000,
            total_tokens: 2_000_000,
            ..Usage::default()
        };
        let pricing = target.load();
        assert_eq!(
            pricing
                .cost("openai", "openai", "gpt-4o-mini", &usage)
                .total_cost,
            Some(3.0)
        );
        assert_eq!(
            pricing.cost("acme", "acme", "brand-new", &usage).total_cost,
            Some(7.0)
        );
        assert_eq!(
            pricing.cost("mine", "ollama", "llama", &usage).total_cost,
            Some(10.0)
        );
        assert!(parse_model_list(b"<html>").is_err());
    }

    #[test]
    fn model_list_limits_per_provider_model_then_per_model() {
        let list = br#"{"version":1,"providers":{},
            "models":{"gpt-4o":{"context_window":128000,"max_output_tokens":16384},
                      "claude-sonnet-4-5":{"context_window":200000,"max_output_tokens":64000},
                      "no-limits":{"context_window":null}},
            "provider_models":{"openai/gpt-4o":{"model_ref":"gpt-4o"},
                               "anthropic/claude-sonnet-4-5":{"model_ref":"claude-sonnet-4-5",
                                   "provider_model_id":"claude-sonnet-4-5-20250929","max_output_tokens":32000},
                               "acme/no-limits":{"model_ref":"no-limits"}}}"#;
        let limits = parse_model_limits(list);
        let sources = PriceSources::new(Vec::new());
        assert!(sources.limits().is_empty());
        sources.set_limits(limits);
        let limits = sources.limits();
        let gpt = limits.get("openai", "GPT-4o").unwrap();
        assert_eq!(gpt.context_window, Some(128_000));
        assert_eq!(gpt.max_output_tokens, Some(16_384));
        // The entry's own field wins over its model's; its provider_model_id finds it too.
        let dated = limits
            .get("anthropic", "claude-sonnet-4-5-20250929")
            .unwrap();
        assert_eq!(dated.max_output_tokens, Some(32_000));
        assert_eq!(dated.context_window, Some(200_000));
        // A provider without its own entry still gets the model's limits.
        assert_eq!(
            limits.get("azure", "gpt-4o").unwrap().context_window,
            Some(128_000)
        );
        assert_eq!(limits.get("acme", "no-limits"), None);
        assert!(parse_model_limits(b"<html>").is_empty());
    }
}
