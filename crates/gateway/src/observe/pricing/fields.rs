//! Prices as operators write them: GoModel's `ModelPricing` field names (reference §4.10),
//! shared by the admin API (`/admin/api/v1/model-pricing-overrides`), config.yaml
//! (`providers.<name>.models[].metadata.pricing`) and the stored override documents.
//!
//! Parsing is strict: an unknown field is an error rather than an override that silently
//! prices nothing (`{"input_cost": 1}` used to be stored as an empty override). GoModel's
//! fields for units this gateway does not bill (images, audio, seconds, characters, requests,
//! pages, volume tiers) parse, so the error can say that they are unsupported rather than
//! unknown. The short names of the shipped catalog (`input`, `output`, `cached_input`,
//! `cache_write`, `reasoning`, `batch_input`, `batch_output`) are accepted as aliases: overrides
//! stored by earlier versions use them. Answers always use GoModel's names.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::types::{ModelPrice, valid_rate};

/// USD per million tokens, in GoModel's names. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingFields {
    #[serde(default, alias = "input", skip_serializing_if = "Option::is_none")]
    pub input_per_mtok: Option<f64>,
    #[serde(default, alias = "output", skip_serializing_if = "Option::is_none")]
    pub output_per_mtok: Option<f64>,
    #[serde(
        default,
        alias = "cached_input",
        skip_serializing_if = "Option::is_none"
    )]
    pub cached_input_per_mtok: Option<f64>,
    #[serde(
        default,
        alias = "cache_write",
        skip_serializing_if = "Option::is_none"
    )]
    pub cache_write_per_mtok: Option<f64>,
    #[serde(default, alias = "reasoning", skip_serializing_if = "Option::is_none")]
    pub reasoning_output_per_mtok: Option<f64>,
    #[serde(
        default,
        alias = "batch_input",
        skip_serializing_if = "Option::is_none"
    )]
    pub batch_input_per_mtok: Option<f64>,
    #[serde(
        default,
        alias = "batch_output",
        skip_serializing_if = "Option::is_none"
    )]
    pub batch_output_per_mtok: Option<f64>,
    /// GoModel's YAML carries `currency`; prices here are USD, so only `USD` is accepted.
    #[serde(default, skip_serializing)]
    pub currency: Option<String>,
    // GoModel's fields for units this gateway does not price: read so that an operator who
    // sets one hears that it would not apply (see `unsupported`). Inline rather than a
    // flattened struct, which serde cannot combine with `deny_unknown_fields`.
    #[serde(default, skip_serializing)]
    audio_input_per_mtok: Option<Ignored>,
    #[serde(default, skip_serializing)]
    audio_output_per_mtok: Option<Ignored>,
    #[serde(default, skip_serializing)]
    input_image_per_mtok: Option<Ignored>,
    #[serde(default, skip_serializing)]
    output_image_per_mtok: Option<Ignored>,
    #[serde(default, skip_serializing)]
    per_image: Option<Ignored>,
    #[serde(default, skip_serializing)]
    input_per_image: Option<Ignored>,
    #[serde(default, skip_serializing)]
    per_second_input: Option<Ignored>,
    #[serde(default, skip_serializing)]
    per_second_output: Option<Ignored>,
    #[serde(default, skip_serializing)]
    per_character_input: Option<Ignored>,
    #[serde(default, skip_serializing)]
    per_request: Option<Ignored>,
    #[serde(default, skip_serializing)]
    per_page: Option<Ignored>,
    #[serde(default, skip_serializing)]
    tiers: Option<Ignored>,
}

/// A value that is read and dropped (`IgnoredAny`, comparable so the struct stays `PartialEq`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Ignored;

impl<'de> Deserialize<'de> for Ignored {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| Ignored)
    }
}

impl PricingFields {
    /// The unsupported GoModel fields that are set.
    fn unsupported(&self) -> Vec<&'static str> {
        [
            ("audio_input_per_mtok", self.audio_input_per_mtok),
            ("audio_output_per_mtok", self.audio_output_per_mtok),
            ("input_image_per_mtok", self.input_image_per_mtok),
            ("output_image_per_mtok", self.output_image_per_mtok),
            ("per_image", self.per_image),
            ("input_per_image", self.input_per_image),
            ("per_second_input", self.per_second_input),
            ("per_second_output", self.per_second_output),
            ("per_character_input", self.per_character_input),
            ("per_request", self.per_request),
            ("per_page", self.per_page),
            ("tiers", self.tiers),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|_| name))
        .collect()
    }
}

/// Why a pricing document was refused; `field` names the offending field.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
#[error("{message}")]
pub struct PricingFieldsError {
    pub field: String,
    pub message: String,
}

impl PricingFields {
    /// The rates in the order of [`Self::named_rates`], for checks.
    fn named_rates(&self) -> [(&'static str, Option<f64>); 7] {
        [
            ("input_per_mtok", self.input_per_mtok),
            ("output_per_mtok", self.output_per_mtok),
            ("cached_input_per_mtok", self.cached_input_per_mtok),
            ("cache_write_per_mtok", self.cache_write_per_mtok),
            ("reasoning_output_per_mtok", self.reasoning_output_per_mtok),
            ("batch_input_per_mtok", self.batch_input_per_mtok),
            ("batch_output_per_mtok", self.batch_output_per_mtok),
        ]
    }

    /// Checks what serde cannot: at least one rate, every rate finite and not negative, no
    /// unsupported GoModel field, USD only. Returns the price the pricing module works with.
    pub fn validate(&self) -> Result<ModelPrice, PricingFieldsError> {
        let refuse = |field: &str, message: String| PricingFieldsError {
            field: format!("pricing.{field}"),
            message,
        };
        if let Some(name) = self.unsupported().first() {
            return Err(refuse(
                name,
                format!(
                    "pricing.{name} is not supported: this gateway prices tokens only \
                     (input_per_mtok, output_per_mtok, cached_input_per_mtok, \
                     cache_write_per_mtok, reasoning_output_per_mtok, batch_input_per_mtok, \
                     batch_output_per_mtok)"
                ),
            ));
        }
        if let Some(currency) = &self.currency
            && !currency.trim().eq_ignore_ascii_case("USD")
        {
            return Err(refuse(
                "currency",
                format!(
                    "pricing.currency must be USD (got {currency:?}): prices are USD per million tokens"
                ),
            ));
        }
        let rates = self.named_rates();
        if let Some((name, rate)) = rates
            .iter()
            .find_map(|(name, rate)| rate.filter(|r| !valid_rate(*r)).map(|r| (name, r)))
        {
            return Err(refuse(
                name,
                format!(
                    "pricing.{name} must be a finite number, 0 or more (USD per million tokens); got {rate}"
                ),
            ));
        }
        if rates.iter().all(|(_, rate)| rate.is_none()) {
            return Err(PricingFieldsError {
                field: "pricing".to_owned(),
                message: "pricing is required: set at least one of input_per_mtok, \
                          output_per_mtok, cached_input_per_mtok, cache_write_per_mtok, \
                          reasoning_output_per_mtok, batch_input_per_mtok, batch_output_per_mtok"
                    .to_owned(),
            });
        }
        Ok(self.to_price())
    }

    /// The same rates under the pricing module's names (no checks).
    pub fn to_price(&self) -> ModelPrice {
        ModelPrice {
            input: self.input_per_mtok,
            output: self.output_per_mtok,
            cached_input: self.cached_input_per_mtok,
            cache_write: self.cache_write_per_mtok,
            reasoning: self.reasoning_output_per_mtok,
            batch_input: self.batch_input_per_mtok,
            batch_output: self.batch_output_per_mtok,
        }
    }

    /// `price` under GoModel's names.
    pub fn from_price(price: &ModelPrice) -> PricingFields {
        PricingFields {
            input_per_mtok: price.input,
            output_per_mtok: price.output,
            cached_input_per_mtok: price.cached_input,
            cache_write_per_mtok: price.cache_write,
            reasoning_output_per_mtok: price.reasoning,
            batch_input_per_mtok: price.batch_input,
            batch_output_per_mtok: price.batch_output,
            ..PricingFields::default()
        }
    }
}
