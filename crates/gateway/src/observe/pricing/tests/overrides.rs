//! Override precedence, partial overrides, and selector validation.

use super::super::{CostSource, ModelPrice, PricingError, PricingOverride, validate_selector};
use super::{price, test_pricing};

fn over(selector: &str, price: ModelPrice) -> PricingOverride {
    PricingOverride {
        selector: selector.to_owned(),
        price,
    }
}

fn only_input(input: f64) -> ModelPrice {
    ModelPrice {
        input: Some(input),
        ..ModelPrice::default()
    }
}

fn only_output(output: f64) -> ModelPrice {
    ModelPrice {
        output: Some(output),
        ..ModelPrice::default()
    }
}

#[test]
fn the_most_specific_override_wins_and_unset_fields_come_from_the_catalog() {
    let pricing = test_pricing().with_overrides(vec![
        over("/", price(1.0, 1.0)),
        over("openai/", price(2.0, 2.0)),
        over("eu-openai/", price(7.0, 7.0)),
        over("gpt-4o", only_input(3.0)),
        over("openai/gpt-4o", only_output(4.0)),
        over("eu-openai/gpt-5", only_input(8.0)),
    ]);
    // (provider name, provider type, model, (input, output), source)
    let cases = [
        // provider/model (by type) beats model; input from the catalog's gpt-4o (2.5).
        (
            "openai",
            "openai",
            "gpt-4o",
            (2.5, 4.0),
            CostSource::Override,
        ),
        // ...also for the dated id the response names.
        (
            "openai",
            "openai",
            "gpt-4o-2024-08-06",
            (2.5, 4.0),
            CostSource::Override,
        ),
        // model beats provider/: output from the catalog (10).
        (
            "azure-eu",
            "azure",
            "gpt-4o",
            (3.0, 10.0),
            CostSource::Override,
        ),
        // provider/ by type, a model without a narrower override; the override is complete.
        (
            "openai",
            "openai",
            "gpt-5",
            (2.0, 2.0),
            CostSource::Override,
        ),
        // provider/model by name beats everything else for that provider.
        (
            "eu-openai",
            "openai",
            "gpt-5",
            (8.0, 10.0),
            CostSource::Override,
        ),
        // provider/ by name beats provider/ by type.
        (
            "eu-openai",
            "openai",
            "gpt-4.1",
            (7.0, 7.0),
            CostSource::Override,
        ),
        // "/" prices everything else, self-hosted included.
        (
            "local",
            "ollama",
            "llama3.2",
            (1.0, 1.0),
            CostSource::Override,
        ),
        ("xai", "xai", "grok-4", (1.0, 1.0), CostSource::Override),
    ];
    for (name, provider_type, model, (input, output), source) in cases {
        let (got, got_source) = pricing.price_for(name, provider_type, model).unwrap();
        assert_eq!(
            (got.input, got.output, got_source),
            (Some(input), Some(output), source),
            "{name} ({provider_type}) {model}"
        );
    }
}

#[test]
fn partial_override_keeps_the_rest_of_the_catalog_price() {
    let pricing = test_pricing().with_overrides(vec![over("gpt-4o", only_input(3.0))]);
    let (got, source) = pricing.price_for("openai", "openai", "gpt-4o").unwrap();
    assert_eq!(source, CostSource::Override);
    assert_eq!(
        got,
        ModelPrice {
            input: Some(3.0),
            output: Some(10.0),
            cached_input: Some(1.25),
            batch_input: Some(1.25),
            batch_output: Some(5.0),
            ..ModelPrice::default()
        }
    );
    // Without overrides the same lookup is the catalog's.
    assert_eq!(
        test_pricing()
            .price_for("openai", "openai", "gpt-4o")
            .unwrap()
            .1,
        CostSource::Catalog
    );
}

#[test]
fn a_slash_selector_matches_as_provider_model_and_as_a_model_id() {
    let pricing = test_pricing().with_overrides(vec![over("openai/gpt-4o-mini", price(9.0, 9.0))]);
    // OpenRouter's model id `openai/gpt-4o-mini`...
    let (openrouter, _) = pricing
        .price_for("openrouter", "openrouter", "openai/gpt-4o-mini")
        .unwrap();
    // ...and OpenAI's `gpt-4o-mini`.
    let (openai, _) = pricing
        .price_for("openai", "openai", "gpt-4o-mini")
        .unwrap();
    assert_eq!((openrouter.input, openai.input), (Some(9.0), Some(9.0)));
    // Not Groq's gpt-4o-mini (were there one): the provider part must match.
    assert_eq!(pricing.price_for("groq", "groq", "gpt-4o-mini"), None);
}

#[test]
fn selectors_match_case_insensitively() {
    let pricing = test_pricing().with_overrides(vec![over("OpenAI/GPT-4o", only_output(4.0))]);
    let (got, _) = pricing.price_for("openai", "OPENAI", "gpt-4O").unwrap();
    assert_eq!(got.output, Some(4.0));
}

#[test]
fn invalid_overrides_are_skipped() {
    let pricing = test_pricing().with_overrides(vec![
        over("//", price(1.0, 1.0)),
        over(" gpt-4o", price(1.0, 1.0)),
        over(
            "gpt-4o",
            ModelPrice {
                input: Some(-1.0),
                output: Some(f64::NAN),
                cached_input: Some(0.5),
                ..ModelPrice::default()
            },
        ),
    ]);
    let (got, source) = pricing.price_for("openai", "openai", "gpt-4o").unwrap();
    assert_eq!(source, CostSource::Override);
    // The bad rates fell back to the catalog; the good one stayed.
    assert_eq!(
        (got.input, got.output, got.cached_input),
        (Some(2.5), Some(10.0), Some(0.5))
    );
}

#[test]
fn an_override_without_input_or_output_does_not_price_an_unknown_model() {
    let pricing = test_pricing().with_overrides(vec![over(
        "ollama/",
        ModelPrice {
            cached_input: Some(0.1),
            ..ModelPrice::default()
        },
    )]);
    assert_eq!(pricing.price_for("ollama", "ollama", "llama3.2"), None);
}

#[test]
fn with_overrides_replaces_and_shares_the_catalog() {
    let base = test_pricing();
    let first = base.with_overrides(vec![over("/", price(1.0, 1.0))]);
    let second = first.with_overrides(Vec::new());
    assert!(first.price_for("ollama", "ollama", "x").is_some());
    assert_eq!(second.price_for("ollama", "ollama", "x"), None);
    assert_eq!(second.model_count(), base.model_count());
    assert!(std::sync::Arc::ptr_eq(&base.catalog, &second.catalog));
}

#[test]
fn selector_validation() {
    let valid = [
        "/",
        "openai/",
        "my-provider_2/",
        "gpt-4o",
        "openai/gpt-4o",
        "openrouter/openai/gpt-4o-mini",
        "deepseek/deepseek-r1:free",
        "claude-sonnet-4-5@20250929",
        "MiniMax-M2",
    ];
    for selector in valid {
        assert!(validate_selector(selector).is_ok(), "{selector:?}");
    }
    let long = "a".repeat(600);
    let invalid = [
        "",
        " ",
        "/gpt-4o",
        "//",
        "openai//gpt-4o",
        "openai/gpt-4o/",
        "gpt 4o",
        " gpt-4o",
        "gpt-4o\n",
        "gpt-4o\t",
        long.as_str(),
    ];
    for selector in invalid {
        assert!(
            matches!(
                validate_selector(selector),
                Err(PricingError::InvalidSelector(_))
            ),
            "{selector:?}"
        );
    }
}
