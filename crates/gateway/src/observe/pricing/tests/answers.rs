//! What an answer cost when the provider reported no usage, and which costs count as unknown
//! (the unpriced counter and the once-per-model warning follow `Cost::unknown`).

use gomodel_protocol::Usage;

use super::super::{CostSource, USAGE_NOT_REPORTED, UnknownCost, selector_scope};
use super::{assert_cost, test_pricing};

fn usage(prompt: u64, completion: u64) -> Usage {
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        ..Usage::default()
    }
}

#[test]
fn a_successful_answer_without_usage_is_unknown_never_zero() {
    let pricing = test_pricing();
    // A priced model: the catalog would say $0 for zero tokens, but the tokens are unknown.
    let cost = pricing.answer_cost("openai", "openai", "gpt-4o", None, true);
    assert_cost("no usage", &cost, (None, None, None), CostSource::Unpriced);
    assert_eq!(cost.caveat.as_deref(), Some(USAGE_NOT_REPORTED));
    assert_eq!(cost.unknown, Some(UnknownCost::NoUsage));
    // Unpriced model, same answer.
    let cost = pricing.answer_cost("ollama", "ollama", "llama3.2", None, true);
    assert_eq!(cost.unknown, Some(UnknownCost::NoUsage));
    // No model named (a passthrough of `GET /models`): unknown, but neither counted nor warned.
    let cost = pricing.answer_cost("openai", "openai", "", None, true);
    assert_cost("no model", &cost, (None, None, None), CostSource::Unpriced);
    assert_eq!(cost.unknown, None);
}

#[test]
fn a_failed_answer_without_usage_used_no_tokens() {
    let pricing = test_pricing();
    let cost = pricing.answer_cost("openai", "openai", "gpt-4o", None, false);
    assert_cost(
        "refused, priced",
        &cost,
        (Some(0.0), Some(0.0), Some(0.0)),
        CostSource::Catalog,
    );
    assert_eq!(cost.unknown, None);
    let cost = pricing.answer_cost("ollama", "ollama", "llama3.2", None, false);
    assert_cost(
        "refused, unpriced",
        &cost,
        (None, None, None),
        CostSource::Unpriced,
    );
    assert_eq!(cost.unknown, None, "no tokens: nothing owed either way");
}

#[test]
fn reported_usage_is_priced_and_unknown_only_without_a_price() {
    let pricing = test_pricing();
    let cost = pricing.answer_cost("openai", "openai", "gpt-4o", Some(&usage(1000, 100)), true);
    assert_cost(
        "priced",
        &cost,
        (Some(0.0025), Some(0.001), Some(0.0035)),
        CostSource::Catalog,
    );
    assert_eq!(cost.unknown, None);
    let cost = pricing.answer_cost("ollama", "ollama", "llama3.2", Some(&usage(10, 5)), true);
    assert_eq!(cost.unknown, Some(UnknownCost::NoPrice));
    assert_eq!(cost.caveat, None);
    let cost = pricing.answer_cost("ollama", "ollama", "llama3.2", Some(&usage(0, 0)), true);
    assert_eq!(cost.unknown, None, "zero tokens owe nothing");
}

#[test]
fn selector_scopes_read_like_gomodel() {
    let configured = |name: &str| name == "openai" || name == "ollama";
    // (selector, kind, provider, model)
    let cases = [
        ("/", "global", None, None),
        ("openai/", "provider", Some("openai"), None),
        ("gpt-4o", "model", None, Some("gpt-4o")),
        (
            "openai/gpt-4o",
            "provider_model",
            Some("openai"),
            Some("gpt-4o"),
        ),
        // OpenRouter's id, with no provider named `meta-llama`: one model id.
        (
            "meta-llama/llama-3.3-70b",
            "model",
            None,
            Some("meta-llama/llama-3.3-70b"),
        ),
    ];
    for (selector, kind, provider, model) in cases {
        let scope = selector_scope(selector, configured);
        assert_eq!(
            (scope.kind, scope.provider, scope.model),
            (kind, provider, model),
            "{selector}"
        );
    }
}
