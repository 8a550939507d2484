//! Finding a price despite dated, prefixed and resold model ids (shipped catalog; prices are
//! compared with the canonical entry's rather than written out, so price updates keep passing).

use super::super::{CostSource, ModelPrice, Pricing};

fn catalog_price(pricing: &Pricing, provider_type: &str, model: &str) -> Option<ModelPrice> {
    pricing
        .price_for(provider_type, provider_type, model)
        .map(|(price, source)| {
            assert_eq!(source, CostSource::Catalog, "{provider_type} {model}");
            price
        })
}

#[test]
fn dated_prefixed_and_resold_ids_find_the_canonical_price() {
    let pricing = Pricing::embedded();
    // (provider type, model as the request or response names it, canonical provider, id)
    let cases = [
        ("openai", "gpt-4o-2024-08-06", "openai", "gpt-4o"),
        ("openai", "gpt-4o-mini-2024-07-18", "openai", "gpt-4o-mini"),
        ("openai", "o3-2025-04-16", "openai", "o3"),
        ("openai", "gpt-5-2025-08-07", "openai", "gpt-5"),
        ("openai", "GPT-4o", "openai", "gpt-4o"),
        ("openai", "openai/gpt-4o", "openai", "gpt-4o"),
        (
            "anthropic",
            "claude-sonnet-4-5-20250929",
            "anthropic",
            "claude-sonnet-4-5",
        ),
        (
            "anthropic",
            "claude-haiku-4-5-20251001",
            "anthropic",
            "claude-haiku-4-5",
        ),
        (
            "anthropic",
            "claude-opus-4-1-20250805",
            "anthropic",
            "claude-opus-4-1",
        ),
        (
            "anthropic",
            "claude-sonnet-4-20250514",
            "anthropic",
            "claude-sonnet-4-0",
        ),
        (
            "anthropic",
            "anthropic/claude-opus-4-6",
            "anthropic",
            "claude-opus-4-6",
        ),
        (
            "gemini",
            "models/gemini-2.5-flash",
            "gemini",
            "gemini-2.5-flash",
        ),
        (
            "vertex",
            "claude-sonnet-4-5@20250929",
            "anthropic",
            "claude-sonnet-4-5",
        ),
        ("vertex", "gemini-2.5-pro", "gemini", "gemini-2.5-pro"),
        ("azure", "gpt-4o", "openai", "gpt-4o"),
        ("azure", "gpt-4.1-mini-2025-04-14", "openai", "gpt-4.1-mini"),
        (
            "openrouter",
            "openai/gpt-4.1-nano",
            "openai",
            "gpt-4.1-nano",
        ),
        (
            "openrouter",
            "anthropic/claude-opus-4.5",
            "anthropic",
            "claude-opus-4-5",
        ),
        (
            "openrouter",
            "google/gemini-3-flash-preview",
            "gemini",
            "gemini-3-flash-preview",
        ),
        (
            "openrouter",
            "x-ai/grok-4-fast-reasoning",
            "xai",
            "grok-4-fast-reasoning",
        ),
        ("oracle", "xai.grok-4", "xai", "grok-4"),
        (
            "bedrock",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "anthropic",
            "claude-sonnet-4-5",
        ),
        (
            "bedrock",
            "eu.anthropic.claude-sonnet-4-20250514-v1:0",
            "anthropic",
            "claude-sonnet-4-20250514",
        ),
        (
            "bedrock",
            "amazon.nova-pro-v1:0",
            "bedrock",
            "amazon.nova-pro",
        ),
        (
            "bedrock",
            "apac.amazon.nova-micro-v1:0",
            "bedrock",
            "amazon.nova-micro",
        ),
        ("minimax", "minimax-m2", "minimax", "MiniMax-M2"),
        ("groq", "openai/gpt-oss-120b", "groq", "openai/gpt-oss-120b"),
    ];
    for (provider_type, model, canonical_type, canonical) in cases {
        let want = catalog_price(&pricing, canonical_type, canonical);
        assert!(
            want.is_some(),
            "{canonical_type} {canonical} is in the catalog"
        );
        assert_eq!(
            catalog_price(&pricing, provider_type, model),
            want,
            "{provider_type} {model}"
        );
    }
}

#[test]
fn an_exact_dated_entry_beats_the_undated_one() {
    let pricing = Pricing::embedded();
    let old = catalog_price(&pricing, "openai", "gpt-4o-2024-05-13").unwrap();
    let current = catalog_price(&pricing, "openai", "gpt-4o").unwrap();
    assert_ne!(old, current);
    assert_eq!(old.input, Some(5.0));
}

#[test]
fn unknown_and_self_hosted_models_are_unpriced() {
    let pricing = Pricing::embedded();
    for (provider_type, model) in [
        // Self-hosted: nothing to pay per token unless the operator says so.
        ("ollama", "llama3.2"),
        ("ollama", "gpt-oss:20b"),
        ("vllm", "meta-llama/Llama-3.1-8B-Instruct"),
        ("vllm", "openai/gpt-oss-120b"),
        // An Azure deployment name that is not a model id.
        ("azure", "prod-chat-eu"),
        // A prefix that only the right provider's fallback may strip.
        ("openai", "xai.grok-4"),
        // Bedrock spellings are read only for Bedrock.
        ("openai", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        // Other vendors on Bedrock are priced by AWS, not by the first party.
        ("bedrock", "meta.llama3-3-70b-instruct-v1:0"),
        // OpenRouter vendors whose models third parties host at their own prices.
        ("openrouter", "meta-llama/llama-3.3-70b-instruct"),
        ("openai", "not-a-model"),
        ("nonexistent", "gpt-4o"),
    ] {
        assert_eq!(
            pricing.price_for(provider_type, provider_type, model),
            None,
            "{provider_type} {model}"
        );
    }
}
