//! The shipped catalog: it parses, every entry is a usable price, the required models are in
//! it; and malformed catalogs are refused.

use super::super::catalog::Catalog;
use super::super::types::valid_rate;
use super::super::{EMBEDDED_CATALOG, Pricing, PricingError};

#[test]
fn shipped_catalog_parses_and_every_entry_has_input_and_output() {
    let catalog = Catalog::parse(EMBEDDED_CATALOG).unwrap();
    let mut count = 0;
    for (provider, model, price) in catalog.iter() {
        count += 1;
        assert!(
            price.input.is_some() && price.output.is_some(),
            "{provider}/{model}: {price:?}"
        );
        for rate in [
            price.input,
            price.output,
            price.cached_input,
            price.cache_write,
            price.reasoning,
            price.batch_input,
            price.batch_output,
        ]
        .into_iter()
        .flatten()
        {
            assert!(valid_rate(rate), "{provider}/{model}: {price:?}");
        }
        // A cache read never costs more than an uncached token.
        if let (Some(cached), Some(input)) = (price.cached_input, price.input) {
            assert!(cached <= input, "{provider}/{model}: {price:?}");
        }
    }
    assert_eq!(Pricing::embedded().model_count(), count);
    assert!(count >= 90, "{count} models");
}

#[test]
fn shipped_catalog_covers_every_supported_provider() {
    let pricing = Pricing::embedded();
    let required = [
        (
            "openai",
            &[
                "gpt-5",
                "gpt-5-mini",
                "gpt-5-nano",
                "gpt-4.1",
                "gpt-4.1-mini",
                "gpt-4.1-nano",
                "gpt-4o",
                "gpt-4o-mini",
                "o3",
                "o4-mini",
                "text-embedding-3-small",
                "text-embedding-3-large",
            ][..],
        ),
        (
            "anthropic",
            &[
                "claude-opus-4-6",
                "claude-sonnet-4-5",
                "claude-haiku-4-5",
                "claude-sonnet-4-20250514",
            ],
        ),
        (
            "gemini",
            &[
                "gemini-2.5-pro",
                "gemini-2.5-flash",
                "gemini-2.5-flash-lite",
            ],
        ),
        ("xai", &["grok-4", "grok-3-mini"]),
        ("deepseek", &["deepseek-chat", "deepseek-reasoner"]),
        (
            "groq",
            &[
                "llama-3.3-70b-versatile",
                "llama-3.1-8b-instant",
                "openai/gpt-oss-120b",
            ],
        ),
        ("zai", &["glm-4.6"]),
        ("minimax", &["MiniMax-M2"]),
        (
            "openrouter",
            &[
                "openai/gpt-4o-mini",
                "anthropic/claude-sonnet-4.5",
                "google/gemini-2.5-flash",
            ],
        ),
        ("azure", &["gpt-4o", "gpt-5"]),
        ("vertex", &["gemini-2.5-flash", "claude-sonnet-4-5"]),
        ("oracle", &["xai.grok-4"]),
        (
            "bedrock",
            &[
                "amazon.nova-pro-v1:0",
                "us.amazon.nova-lite-v1:0",
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "anthropic.claude-haiku-4-5-20251001-v1:0",
            ],
        ),
    ];
    for (provider_type, models) in required {
        for model in models {
            assert!(
                pricing
                    .price_for(provider_type, provider_type, model)
                    .is_some(),
                "{provider_type} {model} is priced"
            );
        }
    }
}

#[test]
fn malformed_catalogs_are_refused() {
    let cases = [
        ("not json", "{"),
        ("not an object", "[]"),
        ("unknown top-level key", r#"{"providers":{},"extra":1}"#),
        ("providers not an object", r#"{"providers":[]}"#),
        (
            "unknown price field",
            r#"{"providers":{"openai":{"m":{"input":1,"output":1,"cache_input":1}}}}"#,
        ),
        (
            "negative price",
            r#"{"providers":{"openai":{"m":{"input":-1,"output":1}}}}"#,
        ),
        (
            "price as a string",
            r#"{"providers":{"openai":{"m":{"input":"1","output":1}}}}"#,
        ),
        (
            "missing output",
            r#"{"providers":{"openai":{"m":{"input":1}}}}"#,
        ),
        (
            "duplicate id",
            r#"{"providers":{"minimax":{"M2":{"input":1,"output":1},"m2":{"input":1,"output":1}}}}"#,
        ),
        (
            "fallback to nothing",
            r#"{"providers":{"openai":{}},"fallbacks":{"azure":[{"provider":"nope"}]}}"#,
        ),
        (
            "fallback without provider",
            r#"{"providers":{"openai":{}},"fallbacks":{"azure":[{"prefix":"x/"}]}}"#,
        ),
        (
            "fallback unknown field",
            r#"{"providers":{"openai":{}},"fallbacks":{"azure":[{"provider":"openai","to":"x"}]}}"#,
        ),
    ];
    for (label, json) in cases {
        assert!(
            matches!(
                Pricing::from_catalog_json(json),
                Err(PricingError::InvalidCatalog(_))
            ),
            "{label}"
        );
    }
}

#[test]
fn notes_are_skipped_everywhere() {
    let json = r#"{
        "_source": "x", "_as_of": "2026-01-01",
        "fallbacks": { "_doc": "x", "azure": [{ "provider": "openai", "_why": "x" }] },
        "providers": { "_note": "x", "openai": { "_note": "x", "m": { "input": 1, "output": 2, "_note": "x" } } }
    }"#;
    let pricing = Pricing::from_catalog_json(json).unwrap();
    assert_eq!(pricing.model_count(), 1);
    assert!(pricing.price_for("azure", "azure", "m").is_some());
}
