//! Pricing tests, table-driven. Cost arithmetic runs against a small fixed catalog (so a price
//! update in `catalog.json` does not change expected figures); catalog coverage and id lookup
//! run against the shipped one.

mod answers;
mod catalog;
mod cost;
mod fields;
mod lookup;
mod overrides;

use gomodel_protocol::Usage;
use serde_json::value::RawValue;

use super::{Cost, CostSource, ModelPrice, Pricing};

/// Prices the cost tests rely on.
const TEST_CATALOG: &str = r#"{
  "_source": "tests",
  "fallbacks": {
    "azure": [{ "provider": "openai" }],
    "openrouter": [{ "prefix": "openai/", "provider": "openai" }]
  },
  "providers": {
    "openai": {
      "gpt-5": { "input": 1.25, "cached_input": 0.125, "output": 10.0 },
      "gpt-4o": { "input": 2.5, "cached_input": 1.25, "output": 10.0, "batch_input": 1.25, "batch_output": 5.0 }
    },
    "anthropic": {
      "claude-sonnet-4-5": { "input": 3.0, "cached_input": 0.3, "cache_write": 3.75, "output": 15.0 },
      "claude-plain": { "input": 2.0, "output": 10.0 }
    },
    "zai": { "glm-plain": { "input": 1.0, "output": 2.0 } },
    "xai": { "grok-4": { "input": 3.0, "cached_input": 0.75, "output": 15.0 } },
    "openrouter": {
      "openai/gpt-4o-mini": { "input": 0.15, "cached_input": 0.075, "output": 0.6 }
    }
  }
}"#;

fn test_pricing() -> Pricing {
    Pricing::from_catalog_json(TEST_CATALOG).unwrap()
}

fn raw(json: &str) -> Box<RawValue> {
    RawValue::from_string(json.to_owned()).unwrap()
}

/// Usage as the OpenAI-compatible providers record it: parsed from the usage object, which
/// is kept as `raw`.
fn openai_usage(json: &str) -> Usage {
    gomodel_protocol::openai::parse_usage(&raw(json)).unwrap()
}

fn price(input: f64, output: f64) -> ModelPrice {
    ModelPrice {
        input: Some(input),
        output: Some(output),
        ..ModelPrice::default()
    }
}

fn close(actual: Option<f64>, want: Option<f64>) -> bool {
    match (actual, want) {
        (Some(a), Some(w)) => (a - w).abs() <= 1e-12 + w.abs() * 1e-9,
        (None, None) => true,
        _ => false,
    }
}

/// Expected input, output and total cost, and source.
#[track_caller]
fn assert_cost(
    label: &str,
    cost: &Cost,
    want: (Option<f64>, Option<f64>, Option<f64>),
    source: CostSource,
) {
    let (input, output, total) = want;
    assert!(
        close(cost.input_cost, input)
            && close(cost.output_cost, output)
            && close(cost.total_cost, total),
        "{label}: got {cost:?}, want input {input:?} output {output:?} total {total:?}"
    );
    assert_eq!(cost.source, source, "{label}: {cost:?}");
}
