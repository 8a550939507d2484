//! The values pricing hands out and takes in: prices, costs, overrides and errors.

use serde::{Deserialize, Serialize};

/// Prices of one model in USD per million tokens. Every field is optional: the catalog always
/// sets `input` and `output`, an override may set any subset (the rest come from the catalog).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelPrice {
    /// Uncached prompt tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<f64>,
    /// Completion tokens (reasoning included unless `reasoning` is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<f64>,
    /// Prompt tokens read from the provider's prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<f64>,
    /// Prompt tokens written to the prompt cache (Anthropic's 5-minute rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
    /// Reasoning tokens, only where a provider bills them apart from output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<f64>,
    /// Batch API input rate (recorded for batch pricing; `Pricing::cost` prices live requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_input: Option<f64>,
    /// Batch API output rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_output: Option<f64>,
}

/// The field names, as the catalog and overrides spell them.
pub(super) const PRICE_FIELDS: [&str; 7] = [
    "input",
    "output",
    "cached_input",
    "cache_write",
    "reasoning",
    "batch_input",
    "batch_output",
];

impl ModelPrice {
    /// The field called `name` (one of [`PRICE_FIELDS`]).
    pub(super) fn field_mut(&mut self, name: &str) -> Option<&mut Option<f64>> {
        Some(match name {
            "input" => &mut self.input,
            "output" => &mut self.output,
            "cached_input" => &mut self.cached_input,
            "cache_write" => &mut self.cache_write,
            "reasoning" => &mut self.reasoning,
            "batch_input" => &mut self.batch_input,
            "batch_output" => &mut self.batch_output,
            _ => return None,
        })
    }

    /// These prices, with every unset field taken from `fallback`.
    pub(super) fn or(&self, fallback: &ModelPrice) -> ModelPrice {
        ModelPrice {
            input: self.input.or(fallback.input),
            output: self.output.or(fallback.output),
            cached_input: self.cached_input.or(fallback.cached_input),
            cache_write: self.cache_write.or(fallback.cache_write),
            reasoning: self.reasoning.or(fallback.reasoning),
            batch_input: self.batch_input.or(fallback.batch_input),
            batch_output: self.batch_output.or(fallback.batch_output),
        }
    }

    /// Whether tokens can be priced at all: without an input or output rate nothing can be.
    pub(super) fn is_priced(&self) -> bool {
        self.input.is_some() || self.output.is_some()
    }

    /// Drops negative and non-finite rates (an override typed wrong must not produce negative
    /// or NaN spend); returns the names of the dropped fields.
    pub(super) fn drop_invalid(&mut self) -> Vec<&'static str> {
        let mut dropped = Vec::new();
        for name in PRICE_FIELDS {
            if let Some(field) = self.field_mut(name)
                && field.is_some_and(|rate| !valid_rate(rate))
            {
                *field = None;
                dropped.push(name);
            }
        }
        dropped
    }
}

/// A rate a price may hold: finite and not negative.
pub(super) fn valid_rate(rate: f64) -> bool {
    rate.is_finite() && rate >= 0.0
}

/// Where a cost came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostSource {
    /// The shipped (or refreshed) price catalog.
    Catalog,
    /// An operator's pricing override (possibly completed from the catalog).
    Override,
    /// The provider said what the request cost (OpenRouter `cost`, xAI `cost_in_usd_ticks`).
    ProviderReported,
    /// No price and no reported cost: the costs are unknown, not zero.
    Unpriced,
}

impl CostSource {
    /// The value stored in the usage table's `cost_source` column.
    pub fn as_str(self) -> &'static str {
        match self {
            CostSource::Catalog => "catalog",
            CostSource::Override => "override",
            CostSource::ProviderReported => "provider_reported",
            CostSource::Unpriced => "unpriced",
        }
    }
}

/// The cost of one request in USD, unrounded. `None` means unknown (shown as `---`, never $0).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    pub input_cost: Option<f64>,
    pub output_cost: Option<f64>,
    pub total_cost: Option<f64>,
    pub source: CostSource,
    /// Why the figure may be inexact (stored as `costs_calculation_caveat`).
    pub caveat: Option<String>,
    /// Prompt tokens written to the provider's cache, from its raw usage object (Anthropic's
    /// `cache_creation_input_tokens`, OpenRouter's `cache_write_tokens`); 0 when not reported.
    pub cache_write_tokens: u64,
    /// Set when the request may have cost something that is not known: the unpriced counter
    /// counts it and the operator is warned (once per model). `None` for a known cost, and for
    /// an unpriced request that used no tokens (it owes nothing either way).
    pub unknown: Option<UnknownCost>,
}

/// Why a request that may have cost something has no cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownCost {
    /// Tokens were used, but the model has no price (no catalog entry, no override).
    NoPrice,
    /// The provider answered without reporting usage (passthrough of an endpoint that has
    /// none, a provider that omits it, a stream that ended before its usage): the tokens, and
    /// so the cost, are unknown even when the model is priced.
    NoUsage,
}

/// The `cost_caveat` of a row whose usage the provider did not report. Re-pricing reads it
/// back to keep such rows unknown rather than price their zero token counts at $0.
pub const USAGE_NOT_REPORTED: &str = "the provider reported no usage: tokens and cost are unknown";

impl Cost {
    /// No price and no reported cost.
    pub(super) fn unpriced() -> Cost {
        Cost {
            input_cost: None,
            output_cost: None,
            total_cost: None,
            source: CostSource::Unpriced,
            caveat: None,
            cache_write_tokens: 0,
            unknown: None,
        }
    }

    /// A successful answer without usage: nothing to price, so every figure is unknown.
    pub(super) fn usage_not_reported(model_named: bool) -> Cost {
        Cost {
            caveat: Some(USAGE_NOT_REPORTED.to_owned()),
            // A call that names no model (a passthrough of `GET /models`, of file uploads) is
            // not billed per token: stored as unpriced, but neither counted nor warned about.
            unknown: model_named.then_some(UnknownCost::NoUsage),
            ..Cost::unpriced()
        }
    }
}

/// An operator's price for the models a selector matches: `/` (everything), `provider/`
/// (a provider name or type), `model`, or `provider/model`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricingOverride {
    pub selector: String,
    pub price: ModelPrice,
}

/// Why a catalog or a selector was refused.
#[derive(thiserror::Error, Debug)]
pub enum PricingError {
    #[error("invalid price catalog: {0}")]
    InvalidCatalog(String),
    #[error("invalid pricing selector: {0}")]
    InvalidSelector(String),
}
