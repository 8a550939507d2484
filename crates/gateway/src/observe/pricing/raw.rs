//! The few fields pricing reads from the provider's own usage object (`Usage::raw`).
//!
//! Read into a typed struct rather than a `serde_json::Value` tree (which would allocate for
//! every key of every response); unknown keys are skipped, and a number field holding some
//! other type reads as absent instead of failing the whole object. A raw object that does not
//! parse at all gives the defaults: the request is then priced from `Usage`'s own counts.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use gomodel_protocol::Usage;

/// xAI's `cost_in_usd_ticks` unit: 1 tick = 1e-10 USD.
const USD_PER_TICK: f64 = 1e-10;

#[derive(Debug, Default, Deserialize)]
pub(super) struct RawUsage {
    /// OpenRouter: what the request cost, in USD (credits).
    #[serde(default, deserialize_with = "number")]
    cost: Option<f64>,
    /// OpenRouter: the request ran on the caller's own provider key.
    #[serde(default)]
    is_byok: Option<bool>,
    #[serde(default)]
    cost_details: Option<CostDetails>,
    /// xAI: what the request cost, in 1e-10 USD.
    #[serde(default, deserialize_with = "number")]
    cost_in_usd_ticks: Option<f64>,
    /// Anthropic: prompt tokens written to the cache (both TTLs). Bedrock's Converse usage
    /// calls it `cacheWriteInputTokens`.
    #[serde(default, deserialize_with = "number", alias = "cacheWriteInputTokens")]
    cache_creation_input_tokens: Option<f64>,
    /// Anthropic: the same, split by TTL.
    #[serde(default)]
    cache_creation: Option<CacheCreation>,
    /// Anthropic: prompt tokens read from the cache (Bedrock: `cacheReadInputTokens`).
    #[serde(default, deserialize_with = "number", alias = "cacheReadInputTokens")]
    cache_read_input_tokens: Option<f64>,
    /// DeepSeek: prompt tokens read from the cache.
    #[serde(default, deserialize_with = "number")]
    prompt_cache_hit_tokens: Option<f64>,
    #[serde(default)]
    prompt_tokens_details: Option<Details>,
    #[serde(default)]
    completion_tokens_details: Option<Details>,
    /// The Responses API's names for the two.
    #[serde(default)]
    input_tokens_details: Option<Details>,
    #[serde(default)]
    output_tokens_details: Option<Details>,
}

#[derive(Debug, Default, Deserialize)]
struct CostDetails {
    /// OpenRouter BYOK: what the upstream provider charged the caller's own key.
    #[serde(default, deserialize_with = "number")]
    upstream_inference_cost: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct CacheCreation {
    #[serde(default, deserialize_with = "number")]
    ephemeral_1h_input_tokens: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct Details {
    #[serde(default, deserialize_with = "number")]
    cached_tokens: Option<f64>,
    /// OpenRouter's name for cache writes.
    #[serde(default, deserialize_with = "number")]
    cache_write_tokens: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    reasoning_tokens: Option<f64>,
    #[serde(default, deserialize_with = "number")]
    audio_tokens: Option<f64>,
}

/// A cost the provider reported, in USD.
pub(super) struct ReportedCost {
    pub(super) usd: f64,
    /// Set when the figure needs explaining.
    pub(super) caveat: Option<&'static str>,
}

impl RawUsage {
    pub(super) fn of(usage: &Usage) -> RawUsage {
        usage
            .raw
            .as_deref()
            .filter(|raw| says_more_than(raw.get().as_bytes(), usage))
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_default()
    }

    /// The provider's own figure for the request, when it gave one that makes sense.
    pub(super) fn reported_cost(&self) -> Option<ReportedCost> {
        if let Some(ticks) = self.cost_in_usd_ticks.filter(|t| usable(*t)) {
            return Some(ReportedCost {
                usd: ticks * USD_PER_TICK,
                caveat: None,
            });
        }
        let cost = self.cost.filter(|c| usable(*c))?;
        // With BYOK, OpenRouter's `cost` is only its fee; the model's price was charged to the
        // caller's own key upstream. Spend is both.
        let upstream = self
            .cost_details
            .as_ref()
            .and_then(|details| details.upstream_inference_cost)
            .filter(|c| usable(*c));
        match (self.is_byok, upstream) {
            (Some(true), Some(upstream)) => Some(ReportedCost {
                usd: cost + upstream,
                caveat: Some("BYOK: OpenRouter fee plus the upstream provider's cost"),
            }),
            (Some(true), None) => Some(ReportedCost {
                usd: cost,
                caveat: Some(
                    "BYOK: OpenRouter fee only; the upstream provider's cost was not reported",
                ),
            }),
            _ => Some(ReportedCost {
                usd: cost,
                caveat: None,
            }),
        }
    }

    /// Prompt tokens read from the cache, where `Usage::cached_tokens` did not say.
    pub(super) fn cached_tokens(&self) -> Option<u64> {
        self.prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .or(self.prompt_cache_hit_tokens)
            .or(self.cache_read_input_tokens)
            .or(self
                .input_tokens_details
                .as_ref()
                .and_then(|d| d.cached_tokens))
            .and_then(tokens)
    }

    /// Prompt tokens written to the cache.
    pub(super) fn cache_write_tokens(&self) -> u64 {
        self.cache_creation_input_tokens
            .or(self
                .prompt_tokens_details
                .as_ref()
                .and_then(|d| d.cache_write_tokens))
            .and_then(tokens)
            .unwrap_or(0)
    }

    /// Of the cache writes, those with Anthropic's 1-hour TTL (billed at 2x input, not 1.25x).
    pub(super) fn one_hour_cache_write_tokens(&self) -> u64 {
        self.cache_creation
            .as_ref()
            .and_then(|c| c.ephemeral_1h_input_tokens)
            .and_then(tokens)
            .unwrap_or(0)
    }

    /// Reasoning tokens, where `Usage::reasoning_tokens` did not say.
    pub(super) fn reasoning_tokens(&self) -> Option<u64> {
        self.completion_tokens_details
            .as_ref()
            .or(self.output_tokens_details.as_ref())
            .and_then(|d| d.reasoning_tokens)
            .and_then(tokens)
    }

    /// Whether audio tokens were counted (priced at the text rates: no audio rate is modelled).
    pub(super) fn has_audio(&self) -> bool {
        [
            &self.prompt_tokens_details,
            &self.completion_tokens_details,
            &self.input_tokens_details,
            &self.output_tokens_details,
        ]
        .into_iter()
        .flatten()
        .any(|d| d.audio_tokens.is_some_and(|n| n > 0.0))
    }
}

/// Whether the raw object names a field [`RawUsage`] reads that `usage`'s own counts do not
/// already carry; when it does not, parsing it (most of what pricing a request cost) would
/// only give the defaults. One pass over the object's quotes, keys told apart by their first
/// letter. A false alarm only costs the parse; a miss would misprice, so any key that merely
/// starts like a field counts.
fn says_more_than(raw: &[u8], usage: &Usage) -> bool {
    memchr::memchr_iter(b'"', raw).any(|quote| {
        let key = &raw[quote + 1..];
        match key.first() {
            // cost, cost_details, cost_in_usd_ticks, cache_creation(_input_tokens),
            // cache_read_input_tokens, cacheWriteInputTokens, cacheReadInputTokens,
            // cache_write_tokens; cached_tokens only when `usage` lacks it.
            Some(b'c') => {
                key.starts_with(b"cost")
                    || key.starts_with(b"cache_")
                    || key.starts_with(b"cacheWrite")
                    || key.starts_with(b"cacheRead")
                    || (usage.cached_tokens.is_none() && key.starts_with(b"cached_tokens"))
            }
            Some(b'p') => key.starts_with(b"prompt_cache_hit"),
            Some(b'i') => key.starts_with(b"input_tokens_details") || key.starts_with(b"is_byok"),
            Some(b'o') => key.starts_with(b"output_tokens_details"),
            Some(b'r') => usage.reasoning_tokens.is_none() && key.starts_with(b"reasoning_tokens"),
            Some(b'a') => key.starts_with(b"audio_tokens\"") && !zero_value(&key[13..]),
            _ => false,
        }
    })
}

/// Whether the text after a key is `: 0` (OpenAI lists zero audio tokens in every answer).
fn zero_value(after_key: &[u8]) -> bool {
    let mut rest = after_key.trim_ascii_start();
    let Some(colon_rest) = rest.strip_prefix(b":") else {
        return false;
    };
    rest = colon_rest.trim_ascii_start();
    rest.first() == Some(&b'0')
        && !rest
            .get(1)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E'))
}

fn usable(usd: f64) -> bool {
    usd.is_finite() && usd >= 0.0
}

fn tokens(count: f64) -> Option<u64> {
    // `as` saturates; counts are integers in practice.
    usable(count).then_some(count as u64)
}

/// A JSON number as `f64`; any other JSON value (string, object, ...) as `None`.
fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    deserializer.deserialize_any(NumberVisitor)
}

struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;

    use super::*;

    /// What pricing reads from a `RawUsage` for a request whose own counts are these (the
    /// raw fallbacks are read only where `usage` lacks a count), comparable.
    fn reading(raw: &RawUsage, cached: Option<u64>, reasoning: Option<u64>) -> String {
        format!(
            "{:?} {} {} {:?} {:?} {}",
            raw.reported_cost().map(|c| (c.usd, c.caveat)),
            raw.cache_write_tokens(),
            raw.one_hour_cache_write_tokens(),
            cached.or_else(|| raw.cached_tokens()),
            reasoning.or_else(|| raw.reasoning_tokens()),
            raw.has_audio()
        )
    }

    #[test]
    fn skipping_the_parse_never_changes_what_pricing_reads() {
        let objects = [
            // OpenAI, with the zero audio counts it always sends.
            r#"{"prompt_tokens":17,"completion_tokens":4,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":3,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0,"accepted_prediction_tokens":0}}"#,
            r#"{"prompt_tokens":17,"completion_tokens":4,"total_tokens":21,"completion_tokens_details":{"audio_tokens": 12}}"#,
            r#"{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"prompt_tokens_details":{"audio_tokens":0.5}}"#,
            // Anthropic, Bedrock, DeepSeek, OpenRouter (BYOK), xAI, Responses.
            r#"{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":100,"cache_read_input_tokens":50,"cache_creation":{"ephemeral_1h_input_tokens":40}}"#,
            r#"{"inputTokens":10,"outputTokens":5,"cacheReadInputTokens":7,"cacheWriteInputTokens":3}"#,
            r#"{"prompt_tokens":10,"completion_tokens":5,"prompt_cache_hit_tokens":6,"prompt_cache_miss_tokens":4}"#,
            r#"{"prompt_tokens":10,"completion_tokens":5,"cost":0.002,"is_byok":true,"cost_details":{"upstream_inference_cost":0.01},"prompt_tokens_details":{"cache_write_tokens":2}}"#,
            r#"{"prompt_tokens":10,"completion_tokens":5,"num_sources_used":0,"cost_in_usd_ticks":12345}"#,
            r#"{"input_tokens":10,"output_tokens":5,"input_tokens_details":{"cached_tokens":4},"output_tokens_details":{"reasoning_tokens":3}}"#,
            // Gemini's usageMetadata: nothing pricing reads.
            r#"{"promptTokenCount":10,"candidatesTokenCount":5,"thoughtsTokenCount":2,"cachedContentTokenCount":1}"#,
        ];
        for text in objects {
            let raw = RawValue::from_string(text.to_owned()).unwrap();
            let full: RawUsage = serde_json::from_str(text).unwrap();
            // With and without the counts the protocol layer extracts.
            for (cached, reasoning) in [(None, None), (Some(3), Some(2))] {
                let usage = Usage {
                    cached_tokens: cached,
                    reasoning_tokens: reasoning,
                    raw: Some(raw.clone()),
                    ..Default::default()
                };
                let quick = RawUsage::of(&usage);
                assert_eq!(
                    reading(&quick, cached, reasoning),
                    reading(&full, cached, reasoning),
                    "{text} with {cached:?}"
                );
            }
        }
        // The common answer skips the parse.
        let usage = Usage {
            cached_tokens: Some(3),
            reasoning_tokens: Some(2),
            raw: Some(RawValue::from_string(objects[0].to_owned()).unwrap()),
            ..Default::default()
        };
        assert!(!says_more_than(objects[0].as_bytes(), &usage));
    }
}
