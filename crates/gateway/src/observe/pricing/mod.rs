//! Model prices and what each request cost.
//!
//! [`Pricing`] holds a price catalog (USD per million tokens per provider type and model; the
//! one in `catalog.json` ships with the binary) and the operator's overrides, and turns a
//! request's [`Usage`] into a [`Cost`]. It is immutable and cheap to clone (two `Arc`s), so
//! the gateway keeps one in an `ArcSwap` and replaces it when overrides change or the catalog
//! is refreshed.
//!
//! A price is found by provider type and model id, tolerating dated and prefixed ids
//! (`ids.rs`), and through the catalog's fallbacks for resellers (Azure, OpenRouter, Vertex).
//! An override matched by selector (`overrides.rs`) takes precedence; fields it leaves unset
//! come from the catalog. A cost reported by the provider beats both (`cost.rs`). Self-hosted
//! providers (Ollama, vLLM) have no catalog entries: unpriced unless overridden.
//!
//! README.md beside this file says where the prices come from and how to override them.

mod catalog;
mod cost;
mod fields;
mod ids;
mod memo;
mod overrides;
mod raw;
mod types;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::{Arc, LazyLock};

use gomodel_protocol::Usage;

use catalog::Catalog;
use overrides::Overrides;

pub use fields::{PricingFields, PricingFieldsError};
pub use overrides::{SelectorScope, selector_scope, validate_selector};
pub use types::{
    Cost, CostSource, ModelPrice, PricingError, PricingOverride, USAGE_NOT_REPORTED, UnknownCost,
};

/// The catalog shipped with the binary.
const EMBEDDED_CATALOG: &str = include_str!("catalog.json");

/// Parsed once per process; a test keeps it valid. Were it ever broken, pricing would degrade
/// to "unpriced" (logged) rather than keep the gateway from starting.
static EMBEDDED: LazyLock<Arc<Catalog>> =
    LazyLock::new(|| match Catalog::parse(EMBEDDED_CATALOG) {
        Ok(catalog) => Arc::new(catalog),
        Err(err) => {
            tracing::error!(%err, "embedded price catalog invalid: every request is unpriced");
            Arc::new(Catalog::empty())
        }
    });

/// A price catalog plus the operator's overrides.
#[derive(Clone)]
pub struct Pricing {
    catalog: Arc<Catalog>,
    overrides: Arc<Overrides>,
    /// Prices already resolved for this catalog and these overrides.
    memo: Arc<memo::Memo>,
}

impl fmt::Debug for Pricing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pricing")
            .field("models", &self.catalog.len())
            .field("overrides", &self.overrides.len())
            .finish()
    }
}

impl Pricing {
    /// The shipped catalog, no overrides.
    pub fn embedded() -> Pricing {
        Pricing {
            catalog: Arc::clone(&EMBEDDED),
            overrides: Arc::default(),
            memo: Arc::default(),
        }
    }

    /// A catalog in `catalog.json`'s format (for refreshes and tests), no overrides.
    pub fn from_catalog_json(json: &str) -> Result<Pricing, PricingError> {
        Ok(Pricing {
            catalog: Arc::new(Catalog::parse(json)?),
            overrides: Arc::default(),
            memo: Arc::default(),
        })
    }

    /// The same catalog (shared, not copied) with `overrides` replacing any previous ones.
    /// Invalid selectors and rates are skipped with a warning.
    pub fn with_overrides(&self, overrides: Vec<PricingOverride>) -> Pricing {
        Pricing {
            catalog: Arc::clone(&self.catalog),
            overrides: Arc::new(Overrides::new(overrides)),
            memo: Arc::default(),
        }
    }

    /// The price of `model` served by the provider named `provider_name` of type
    /// `provider_type`, and where it came from (`Catalog` or `Override`); `None` when unpriced.
    pub fn price_for(
        &self,
        provider_name: &str,
        provider_type: &str,
        model: &str,
    ) -> Option<(ModelPrice, CostSource)> {
        self.resolve(&Request::new(provider_name, provider_type, model))
    }

    /// What a request cost. Never `Some(0.0)` for want of a price: unpriced is `None`.
    pub fn cost(
        &self,
        provider_name: &str,
        provider_type: &str,
        model: &str,
        usage: &Usage,
    ) -> Cost {
        let (resolved, anthropic) =
            self.memo
                .get_or_resolve(provider_name, provider_type, model, || {
                    let request = Request::new(provider_name, provider_type, model);
                    (self.resolve(&request), request.anthropic())
                });
        cost::compute(resolved, anthropic, usage)
    }

    /// What a finished request cost, given the usage the provider reported (if any) and
    /// whether the answer succeeded. A successful answer without usage is unknown (NULL costs,
    /// `unpriced`, caveat [`USAGE_NOT_REPORTED`]), never $0 even for a priced model: the
    /// provider may well have billed it. A failed answer without usage used no tokens (a
    /// refused request is not billed), so it costs 0 when the model is priced. `model` empty:
    /// a call that names no model.
    pub fn answer_cost(
        &self,
        provider_name: &str,
        provider_type: &str,
        model: &str,
        usage: Option<&Usage>,
        succeeded: bool,
    ) -> Cost {
        match usage {
            Some(usage) => self.cost(provider_name, provider_type, model, usage),
            None if succeeded => Cost::usage_not_reported(!model.trim().is_empty()),
            None => self.cost(provider_name, provider_type, model, &Usage::default()),
        }
    }

    /// Number of models the catalog prices.
    pub fn model_count(&self) -> usize {
        self.catalog.len()
    }

    fn resolve(&self, request: &Request) -> Option<(ModelPrice, CostSource)> {
        let listed = self
            .catalog
            .lookup(&request.provider_type, &request.candidates);
        let overridden = self.overrides.find(
            &request.provider_name,
            &request.provider_type,
            &request.candidates,
        );
        let (price, source) = match (overridden, listed) {
            (Some(over), Some(listed)) => (over.or(listed), CostSource::Override),
            (Some(over), None) => (over.clone(), CostSource::Override),
            (None, Some(listed)) => (listed.clone(), CostSource::Catalog),
            (None, None) => return None,
        };
        price.is_priced().then_some((price, source))
    }
}

/// A lookup's inputs, normalized once: lowercase, model spellings from exact to loose.
struct Request {
    provider_name: String,
    provider_type: String,
    model: String,
    candidates: Vec<String>,
}

impl Request {
    fn new(provider_name: &str, provider_type: &str, model: &str) -> Request {
        let model = model.trim().to_ascii_lowercase();
        let provider_type = provider_type.trim().to_ascii_lowercase();
        let mut candidates = ids::candidates(&model);
        if provider_type == "bedrock" {
            for id in ids::bedrock_candidates(&model) {
                if !candidates.contains(&id) {
                    candidates.push(id);
                }
            }
        }
        Request {
            provider_name: provider_name.trim().to_ascii_lowercase(),
            provider_type,
            candidates,
            model,
        }
    }

    /// Anthropic's cache-write multipliers apply: its own API, or a Claude model resold
    /// (Vertex, Bedrock, OpenRouter).
    fn anthropic(&self) -> bool {
        self.provider_type == "anthropic" || self.model.contains("claude")
    }
}
