//! The pricing document operators write (admin API, config.yaml, stored overrides): GoModel's
//! names, the old short names, and every way a document is refused.

use serde_json::json;

use super::super::{ModelPrice, PricingFields};

fn parse(value: serde_json::Value) -> Result<PricingFields, String> {
    serde_json::from_value(value).map_err(|err| err.to_string())
}

#[test]
fn gomodel_names_and_short_aliases_give_the_same_price() {
    let gomodel = parse(json!({
        "input_per_mtok": 1.0, "output_per_mtok": 2.0, "cached_input_per_mtok": 0.1,
        "cache_write_per_mtok": 1.25, "reasoning_output_per_mtok": 3.0,
        "batch_input_per_mtok": 0.5, "batch_output_per_mtok": 1.0
    }))
    .unwrap();
    let short = parse(json!({
        "input": 1.0, "output": 2.0, "cached_input": 0.1, "cache_write": 1.25,
        "reasoning": 3.0, "batch_input": 0.5, "batch_output": 1.0
    }))
    .unwrap();
    let want = ModelPrice {
        input: Some(1.0),
        output: Some(2.0),
        cached_input: Some(0.1),
        cache_write: Some(1.25),
        reasoning: Some(3.0),
        batch_input: Some(0.5),
        batch_output: Some(1.0),
    };
    assert_eq!(gomodel.validate().unwrap(), want);
    assert_eq!(short.validate().unwrap(), want);
    // Answers and stored documents use GoModel's names, the validated rates only.
    let written = serde_json::to_value(PricingFields::from_price(&want)).unwrap();
    assert_eq!(written["input_per_mtok"], 1.0);
    assert_eq!(written["reasoning_output_per_mtok"], 3.0);
    assert!(written.get("input").is_none() && written.get("currency").is_none());
    assert_eq!(parse(written).unwrap().to_price(), want);
}

#[test]
fn unknown_fields_are_refused_rather_than_stored_as_an_empty_override() {
    for (document, mentions) in [
        (json!({"input_cost": 1.0}), "input_cost"),
        (json!({"input_per_mtk": 1.0}), "input_per_mtk"),
        (json!({"pricing": {"input_per_mtok": 1.0}}), "pricing"),
    ] {
        let err = parse(document).unwrap_err();
        assert!(
            err.contains("unknown field") && err.contains(mentions),
            "{err}"
        );
    }
}

#[test]
fn documents_that_would_not_price_anything_as_written_are_refused() {
    // (document, field named in the error)
    let cases = [
        (json!({}), "pricing"),
        (json!({"input_per_mtok": null}), "pricing"),
        (json!({"input_per_mtok": -1.0}), "pricing.input_per_mtok"),
        (
            json!({"input_per_mtok": 1.0, "output_per_mtok": -0.5}),
            "pricing.output_per_mtok",
        ),
        (
            json!({"input_per_mtok": 1.0, "per_request": 0.01}),
            "pricing.per_request",
        ),
        (
            json!({"input_per_mtok": 1.0, "tiers": [{"up_to_mtok": 1, "input_per_mtok": 1}]}),
            "pricing.tiers",
        ),
        (
            json!({"input_per_mtok": 1.0, "currency": "EUR"}),
            "pricing.currency",
        ),
    ];
    for (document, field) in cases {
        let fields = parse(document.clone()).unwrap();
        let err = fields.validate().unwrap_err();
        assert_eq!(err.field, field, "{document}: {err}");
        assert!(!err.message.is_empty());
    }
    let unsupported = parse(json!({"output_per_mtok": 1.0, "per_image": 0.04}))
        .unwrap()
        .validate()
        .unwrap_err();
    assert!(
        unsupported.message.contains("not supported"),
        "{unsupported}"
    );
}

#[test]
fn usd_and_unsupported_fields_set_to_null_are_fine() {
    let fields = parse(json!({
        "currency": "usd", "input_per_mtok": 0.2, "output_per_mtok": 0.4, "per_image": null
    }))
    .unwrap();
    let price = fields.validate().unwrap();
    assert_eq!((price.input, price.output), (Some(0.2), Some(0.4)));
}
