//! Price overrides: upsert, list, delete.

use gomodel_store::PricingOverrideRow;
use serde_json::json;

use crate::fixtures::T0;
use crate::harness::Target;

pub async fn pricing_override_crud(t: &Target) {
    let store = t.connect().await;
    assert!(store.list_pricing_overrides().await.unwrap().is_empty());

    let mini = PricingOverrideRow {
        selector: "openai/gpt-4o-mini".into(),
        pricing: json!({"input_per_mtok": 0.15, "output_per_mtok": 0.6}),
        updated_at_us: T0,
    };
    let claude = PricingOverrideRow {
        selector: "anthropic/claude-sonnet-4".into(),
        pricing: json!({"input_per_mtok": 3.0, "output_per_mtok": 15.0, "tiers": [{"above": 200000}]}),
        updated_at_us: T0 + 1,
    };
    store.put_pricing_override(&mini).await.unwrap();
    store.put_pricing_override(&claude).await.unwrap();
    assert_eq!(
        store.list_pricing_overrides().await.unwrap(),
        vec![claude.clone(), mini.clone()],
        "ordered by selector"
    );

    let repriced = PricingOverrideRow {
        pricing: json!({"input_per_mtok": 0.1}),
        updated_at_us: T0 + 2,
        ..mini.clone()
    };
    store.put_pricing_override(&repriced).await.unwrap();
    assert_eq!(
        store.list_pricing_overrides().await.unwrap(),
        vec![claude.clone(), repriced],
        "put replaces"
    );

    assert!(store.delete_pricing_override(&mini.selector).await.unwrap());
    assert!(!store.delete_pricing_override(&mini.selector).await.unwrap());
    assert_eq!(store.list_pricing_overrides().await.unwrap(), vec![claude]);
}
