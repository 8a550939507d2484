//! Cost arithmetic (reference §4.10, on the gateway's OpenAI-convention `Usage`).
//!
//! Input: `prompt_tokens` holds every prompt token, cached and cache-written ones included
//! (OpenAI counts them that way; Anthropic usage is converted to it), so each token is priced
//! once at its own rate: (prompt − cached − cache_write) × input + cached × cached_input +
//! cache_write × cache_write. A missing cached rate means the input rate; a missing cache-write
//! rate means input × 1.25 for Anthropic models (the documented 5-minute write multiplier) and
//! the input rate elsewhere. Anthropic 1-hour cache writes are 2 × input.
//!
//! Output: `completion_tokens` × output. Reasoning tokens inside the completion count (OpenAI)
//! take the reasoning rate when one is set; reasoning tokens reported beside it (xAI: total =
//! prompt + completion + reasoning) are added, at the reasoning rate or else the output rate.
//!
//! A cost the provider reported (OpenRouter, xAI) is the total; token prices then only split
//! it into input and output. Without a price or a reported cost every figure is `None`.

use gomodel_protocol::Usage;

use super::raw::RawUsage;
use super::types::{Cost, CostSource, ModelPrice, UnknownCost};

const PER_MILLION: f64 = 1_000_000.0;
const ANTHROPIC_CACHE_WRITE_MULTIPLIER: f64 = 1.25;
const ANTHROPIC_ONE_HOUR_CACHE_WRITE_MULTIPLIER: f64 = 2.0;

/// Token-priced input and output, `None` where a rate was missing for a non-zero count.
struct TokenCost {
    input: Option<f64>,
    output: Option<f64>,
}

/// Notes on a figure, joined into `Cost::caveat`.
#[derive(Default)]
struct Caveats(Vec<&'static str>);

impl Caveats {
    fn add(&mut self, caveat: &'static str) {
        self.0.push(caveat);
    }

    fn into_option(self) -> Option<String> {
        (!self.0.is_empty()).then(|| self.0.join("; "))
    }
}

/// The cost of a request given its price (if any) and usage. `anthropic` selects Anthropic's
/// cache-write multipliers.
pub(super) fn compute(
    price: Option<(ModelPrice, CostSource)>,
    anthropic: bool,
    usage: &Usage,
) -> Cost {
    // The provider's raw usage object is parsed once per request, here; the usage row takes
    // its cache-write count from the same parse.
    let raw = RawUsage::of(usage);
    let mut cost = priced(price, anthropic, usage, &raw);
    cost.cache_write_tokens = raw.cache_write_tokens();
    if cost.source == CostSource::Unpriced && usage.total_tokens > 0 {
        cost.unknown = Some(UnknownCost::NoPrice);
    }
    cost
}

fn priced(
    price: Option<(ModelPrice, CostSource)>,
    anthropic: bool,
    usage: &Usage,
    raw: &RawUsage,
) -> Cost {
    let mut caveats = Caveats::default();
    let priced = price.map(|(price, source)| {
        (
            token_cost(&price, anthropic, usage, raw, &mut caveats),
            source,
        )
    });

    if let Some(reported) = raw.reported_cost() {
        if let Some(caveat) = reported.caveat {
            caveats.add(caveat);
        }
        let split = priced
            .as_ref()
            .and_then(|(tokens, _)| split(reported.usd, tokens));
        if split.is_none() {
            caveats.add(
                "provider-reported total only: no token price to split it into input and output",
            );
        }
        let (input_cost, output_cost) = split.unzip();
        return Cost {
            input_cost,
            output_cost,
            total_cost: Some(reported.usd),
            source: CostSource::ProviderReported,
            caveat: caveats.into_option(),
            cache_write_tokens: 0,
            unknown: None,
        };
    }

    let Some((tokens, source)) = priced else {
        return Cost::unpriced();
    };
    Cost {
        input_cost: tokens.input,
        output_cost: tokens.output,
        total_cost: tokens.input.zip(tokens.output).map(|(i, o)| i + o),
        source,
        caveat: caveats.into_option(),
        cache_write_tokens: 0,
        unknown: None,
    }
}

fn token_cost(
    price: &ModelPrice,
    anthropic: bool,
    usage: &Usage,
    raw: &RawUsage,
    caveats: &mut Caveats,
) -> TokenCost {
    let prompt = usage.prompt_tokens;
    let cached = usage
        .cached_tokens
        .or_else(|| raw.cached_tokens())
        .unwrap_or(0);
    let cache_write = raw.cache_write_tokens();
    let one_hour_write = if anthropic {
        raw.one_hour_cache_write_tokens().min(cache_write)
    } else {
        0
    };
    let cache_tokens = cached.saturating_add(cache_write);
    if cache_tokens > prompt {
        caveats.add("cached and cache-write tokens exceed prompt tokens");
    }
    let uncached = prompt.saturating_sub(cache_tokens);

    let input_rate = price.input;
    let cached_rate = price.cached_input.or(input_rate);
    let write_multiplier = if anthropic {
        ANTHROPIC_CACHE_WRITE_MULTIPLIER
    } else {
        1.0
    };
    let write_rate = price
        .cache_write
        .or(input_rate.map(|rate| rate * write_multiplier));
    let one_hour_rate = input_rate.map(|rate| rate * ANTHROPIC_ONE_HOUR_CACHE_WRITE_MULTIPLIER);
    let input = sum([
        part(uncached, input_rate),
        part(cached, cached_rate),
        part(cache_write - one_hour_write, write_rate),
        part(one_hour_write, one_hour_rate),
    ]);
    if input.is_none() {
        caveats.add("no input price");
    }

    let completion = usage.completion_tokens;
    let reasoning = usage
        .reasoning_tokens
        .or_else(|| raw.reasoning_tokens())
        .unwrap_or(0);
    let output_rate = price.output;
    let reasoning_rate = price.reasoning.or(output_rate);
    let reported_beside = reasoning > 0
        && prompt
            .checked_add(completion)
            .and_then(|n| n.checked_add(reasoning))
            == Some(usage.total_tokens);
    let output = if reported_beside {
        sum([
            part(completion, output_rate),
            part(reasoning, reasoning_rate),
        ])
    } else {
        if reasoning > completion {
            caveats.add("reasoning tokens exceed completion tokens");
        }
        let inside = reasoning.min(completion);
        sum([
            part(completion - inside, output_rate),
            part(inside, reasoning_rate),
        ])
    };
    if output.is_none() {
        caveats.add("no output price");
    }

    if raw.has_audio() {
        caveats.add("audio tokens priced at the text rate");
    }
    TokenCost { input, output }
}

/// `tokens` at `rate` per million; zero tokens cost nothing even without a rate.
fn part(tokens: u64, rate: Option<f64>) -> Option<f64> {
    if tokens == 0 {
        return Some(0.0);
    }
    rate.map(|rate| tokens as f64 * rate / PER_MILLION)
}

fn sum<const N: usize>(parts: [Option<f64>; N]) -> Option<f64> {
    parts.into_iter().sum()
}

/// A reported total split in the proportion of the token-priced input and output; `None` when
/// either side is unknown or both are zero (no proportion to apply).
fn split(total: f64, tokens: &TokenCost) -> Option<(f64, f64)> {
    let (input, output) = tokens.input.zip(tokens.output)?;
    let priced = input + output;
    if priced <= 0.0 {
        return None;
    }
    // `total - input_share` rather than a second product, so the two add up to the total; the
    // ratio is at most 1, so the difference is never negative.
    let input_share = total * (input / priced);
    Some((input_share, total - input_share))
}
