//! Cost arithmetic: cached, cache-write and reasoning tokens, provider-reported costs, unpriced.

use gomodel_protocol::Usage;

use super::super::{CostSource, ModelPrice, PricingOverride};
use super::{assert_cost, openai_usage, raw, test_pricing};

const M: f64 = 1_000_000.0;

/// The recorded shape of an OpenAI usage object with cached and reasoning tokens.
const OPENAI_CACHED_REASONING: &str = r#"{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920},"completion_tokens_details":{"reasoning_tokens":256}}"#;

/// Anthropic usage as the gateway records it: prompt = input + cache read + cache write,
/// cached = cache read, and Anthropic's own object as `raw`.
fn anthropic_usage(raw_json: &str, prompt: u64, cached: u64, completion: u64) -> Usage {
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        cached_tokens: Some(cached),
        reasoning_tokens: None,
        raw: Some(raw(raw_json)),
    }
}

/// (label, provider type, model, usage, (input cost, output cost)).
type Case = (&'static str, &'static str, &'static str, Usage, (f64, f64));

#[test]
fn token_priced_costs() {
    let pricing = test_pricing();
    let anthropic_raw = r#"{"input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":5}"#;
    // (label, provider type, model, usage, (input, output)); total = input + output.
    let cases: Vec<Case> = vec![
        (
            // 86 uncached at 1.25, 1920 cached at 0.125; reasoning is inside the 300 output
            // tokens and has no rate of its own, so all 300 at 10.
            "openai cached + reasoning",
            "openai",
            "gpt-5",
            openai_usage(OPENAI_CACHED_REASONING),
            ((86.0 * 1.25 + 1920.0 * 0.125) / M, 300.0 * 10.0 / M),
        ),
        (
            // 10 uncached at 3, 100 read at 0.3, 20 written at 3.75; 5 out at 15.
            "anthropic cache read + write",
            "anthropic",
            "claude-sonnet-4-5",
            anthropic_usage(anthropic_raw, 130, 100, 5),
            ((10.0 * 3.0 + 100.0 * 0.3 + 20.0 * 3.75) / M, 5.0 * 15.0 / M),
        ),
        (
            // No cached or cache-write rate: reads at the input rate, writes at 1.25x input.
            "anthropic rates missing",
            "anthropic",
            "claude-plain",
            anthropic_usage(anthropic_raw, 130, 100, 5),
            ((10.0 * 2.0 + 100.0 * 2.0 + 20.0 * 2.5) / M, 5.0 * 10.0 / M),
        ),
        (
            // 1-hour cache writes are 2x input, the other writes 1.25x.
            "anthropic 1h cache write",
            "anthropic",
            "claude-plain",
            anthropic_usage(
                r#"{"input_tokens":10,"cache_creation_input_tokens":30,"cache_creation":{"ephemeral_5m_input_tokens":10,"ephemeral_1h_input_tokens":20},"output_tokens":5}"#,
                40,
                0,
                5,
            ),
            ((10.0 * 2.0 + 10.0 * 2.5 + 20.0 * 4.0) / M, 5.0 * 10.0 / M),
        ),
        (
            // Outside Anthropic a missing cache-write rate is the input rate.
            "cache write elsewhere",
            "zai",
            "glm-plain",
            Usage {
                prompt_tokens: 100,
                completion_tokens: 10,
                total_tokens: 110,
                raw: Some(raw(
                    r#"{"prompt_tokens":100,"cache_creation_input_tokens":40}"#,
                )),
                ..Usage::default()
            },
            ((60.0 * 1.0 + 40.0 * 1.0) / M, 10.0 * 2.0 / M),
        ),
        (
            // DeepSeek's own cache-hit field counts when the details object is missing.
            "cache hits from prompt_cache_hit_tokens",
            "zai",
            "glm-plain",
            Usage {
                prompt_tokens: 100,
                completion_tokens: 10,
                total_tokens: 110,
                raw: Some(raw(r#"{"prompt_tokens":100,"prompt_cache_hit_tokens":80}"#)),
                ..Usage::default()
            },
            ((20.0 + 80.0) / M, 20.0 / M),
        ),
        (
            // xAI reports reasoning beside the completion (total = 100 + 20 + 30): added.
            "xai reasoning beside completion",
            "xai",
            "grok-4",
            openai_usage(
                r#"{"prompt_tokens":100,"completion_tokens":20,"total_tokens":150,"completion_tokens_details":{"reasoning_tokens":30}}"#,
            ),
            (100.0 * 3.0 / M, 50.0 * 15.0 / M),
        ),
        (
            "dated id, catalog price",
            "openai",
            "gpt-4o-2024-08-06",
            openai_usage(r#"{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100}"#),
            (1000.0 * 2.5 / M, 100.0 * 10.0 / M),
        ),
        (
            "no tokens",
            "openai",
            "gpt-4o",
            Usage::default(),
            (0.0, 0.0),
        ),
        (
            // A malformed `cost` is ignored, not fatal: the tokens are priced.
            "malformed raw fields",
            "openai",
            "gpt-4o",
            Usage {
                prompt_tokens: 1000,
                completion_tokens: 0,
                total_tokens: 1000,
                raw: Some(raw(
                    r#"{"cost":"0.5","prompt_tokens_details":null,"extra":[1,{"a":2}]}"#,
                )),
                ..Usage::default()
            },
            (1000.0 * 2.5 / M, 0.0),
        ),
    ];
    for (label, provider_type, model, usage, (input, output)) in cases {
        let cost = pricing.cost(provider_type, provider_type, model, &usage);
        assert_cost(
            label,
            &cost,
            (Some(input), Some(output), Some(input + output)),
            CostSource::Catalog,
        );
        assert_eq!(cost.caveat, None, "{label}");
    }
}

#[test]
fn separate_reasoning_rate_prices_reasoning_inside_the_completion() {
    let pricing = test_pricing().with_overrides(vec![PricingOverride {
        selector: "gpt-5".into(),
        price: ModelPrice {
            reasoning: Some(20.0),
            ..ModelPrice::default()
        },
    }]);
    let cost = pricing.cost(
        "openai",
        "openai",
        "gpt-5",
        &openai_usage(OPENAI_CACHED_REASONING),
    );
    let input = (86.0 * 1.25 + 1920.0 * 0.125) / M;
    let output = (44.0 * 10.0 + 256.0 * 20.0) / M;
    assert_cost(
        "reasoning rate",
        &cost,
        (Some(input), Some(output), Some(input + output)),
        CostSource::Override,
    );
}

#[test]
fn provider_reported_costs_win() {
    let pricing = test_pricing();
    // (label, provider type, model, usage json, (input, output, total), caveat?)
    let cases = [
        (
            // Token prices say 0.00015 in, 0.0003 out: the reported 0.0009 splits 1:2.
            "openrouter cost split",
            "openrouter",
            "openai/gpt-4o-mini",
            r#"{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,"cost":0.0009}"#,
            (Some(0.0003), Some(0.0006), Some(0.0009)),
            false,
        ),
        (
            "openrouter cost, no price",
            "openrouter",
            "mistralai/mistral-small",
            r#"{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,"cost":0.0009}"#,
            (None, None, Some(0.0009)),
            true,
        ),
        (
            "openrouter zero cost (free model)",
            "openrouter",
            "deepseek/deepseek-r1:free",
            r#"{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"cost":0}"#,
            (None, None, Some(0.0)),
            true,
        ),
        (
            "openrouter BYOK adds the upstream cost",
            "openrouter",
            "openai/gpt-4o-mini",
            r#"{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,"cost":0.0001,"is_byok":true,"cost_details":{"upstream_inference_cost":0.0008}}"#,
            (Some(0.0003), Some(0.0006), Some(0.0009)),
            true,
        ),
        (
            // 5e6 ticks = 5e-4 USD; tokens price 3e-4 in and 7.5e-4 out (reasoning beside).
            "xai ticks",
            "xai",
            "grok-4",
            r#"{"prompt_tokens":100,"completion_tokens":20,"total_tokens":150,"completion_tokens_details":{"reasoning_tokens":30},"cost_in_usd_ticks":5000000}"#,
            (Some(5e-4 * 3.0 / 10.5), Some(5e-4 * 7.5 / 10.5), Some(5e-4)),
            false,
        ),
        (
            "xai ticks, unknown model",
            "xai",
            "grok-99",
            r#"{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"cost_in_usd_ticks":123456789}"#,
            (None, None, Some(0.0123456789)),
            true,
        ),
    ];
    for (label, provider_type, model, usage, want, has_caveat) in cases {
        let cost = pricing.cost(provider_type, provider_type, model, &openai_usage(usage));
        assert_cost(label, &cost, want, CostSource::ProviderReported);
        assert_eq!(cost.caveat.is_some(), has_caveat, "{label}: {cost:?}");
    }
}

#[test]
fn unpriced_is_never_zero() {
    let pricing = test_pricing();
    let usage =
        openai_usage(r#"{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100}"#);
    for (provider_type, model) in [
        ("ollama", "llama3.2"),
        ("vllm", "openai/gpt-oss-120b"),
        ("openai", "gpt-unknown"),
        ("azure", "my-prod-deployment"),
        ("", ""),
    ] {
        let cost = pricing.cost(provider_type, provider_type, model, &usage);
        assert_cost(model, &cost, (None, None, None), CostSource::Unpriced);
        assert_eq!(cost.source.as_str(), "unpriced");
        // Also with no usage at all: unpriced stays unknown, not $0.
        let empty = pricing.cost(provider_type, provider_type, model, &Usage::default());
        assert_eq!(empty.total_cost, None, "{model}");
    }
}

#[test]
fn partial_prices_leave_the_unknown_side_unknown() {
    // An override on a self-hosted model that prices only input.
    let pricing = test_pricing().with_overrides(vec![PricingOverride {
        selector: "vllm/".into(),
        price: ModelPrice {
            input: Some(0.1),
            ..ModelPrice::default()
        },
    }]);
    let usage =
        openai_usage(r#"{"prompt_tokens":1000,"completion_tokens":100,"total_tokens":1100}"#);
    let cost = pricing.cost("vllm", "vllm", "llama", &usage);
    assert_cost(
        "input only",
        &cost,
        (Some(1000.0 * 0.1 / M), None, None),
        CostSource::Override,
    );
    assert_eq!(cost.caveat.as_deref(), Some("no output price"));
}

#[test]
fn cost_sources_as_stored() {
    assert_eq!(
        [
            CostSource::Catalog,
            CostSource::Override,
            CostSource::ProviderReported,
            CostSource::Unpriced
        ]
        .map(CostSource::as_str),
        ["catalog", "override", "provider_reported", "unpriced"]
    );
    assert_eq!(
        serde_json::to_string(&CostSource::ProviderReported).unwrap(),
        r#""provider_reported""#
    );
}
