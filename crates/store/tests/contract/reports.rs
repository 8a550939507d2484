//! Aggregates: summary, buckets, per model, per user path.

use gomodel_store::{StoreError, UsageFilter, UsageRow, UsageSummary};

use crate::fixtures::{DAY, MINUTE, T0, costing, unpriced, usage};
use crate::harness::Target;

const QUARTER: i64 = 15 * MINUTE;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

pub async fn aggregates_over_nothing_are_zero(t: &Target) {
    let store = t.connect().await;
    let empty = UsageFilter::default();
    assert_eq!(
        store.usage_summary(&empty).await.unwrap(),
        UsageSummary::default()
    );
    assert!(store.usage_buckets(&empty, 900).await.unwrap().is_empty());
    assert!(store.usage_by_model(&empty).await.unwrap().is_empty());
    assert!(store.usage_by_user_path(&empty).await.unwrap().is_empty());

    // Rows exist, but none in range.
    store.insert_usage(&[usage("u", T0)]).await.unwrap();
    let later = UsageFilter {
        from_us: Some(T0 + 1),
        ..Default::default()
    };
    assert_eq!(
        store.usage_summary(&later).await.unwrap(),
        UsageSummary::default()
    );
    assert!(store.usage_by_model(&later).await.unwrap().is_empty());
}

pub async fn summary_counts_unpriced_without_adding_zero(t: &Target) {
    let store = t.connect().await;
    store
        .insert_usage(&[
            costing("a", T0, 0.5),
            costing("b", T0 + 1, 0.25),
            UsageRow {
                input_tokens: 1_000,
                output_tokens: 1,
                total_tokens: 1_001,
                ..unpriced("free", T0 + 2)
            },
        ])
        .await
        .unwrap();

    let all = store.usage_summary(&UsageFilter::default()).await.unwrap();
    assert_eq!(all.total_requests, 3);
    assert_eq!(all.unpriced_requests, 1);
    assert_eq!(
        (all.input_tokens, all.output_tokens, all.total_tokens),
        (1_200, 41, 1_241)
    );
    assert_eq!(all.cached_input_tokens, 30);
    assert!(close(all.total_cost, 0.75), "{}", all.total_cost);
    assert!(close(all.input_cost, 0.45), "{}", all.input_cost);
    assert!(close(all.output_cost, 0.30), "{}", all.output_cost);

    // Only the unpriced row: counted, and its cost is not a priced $0 but no priced rows at all.
    let only_unpriced = UsageFilter {
        from_us: Some(T0 + 2),
        ..Default::default()
    };
    let s = store.usage_summary(&only_unpriced).await.unwrap();
    assert_eq!(
        (s.total_requests, s.unpriced_requests, s.total_cost),
        (1, 1, 0.0)
    );
}

pub async fn buckets_group_by_utc_width(t: &Target) {
    let store = t.connect().await;
    store
        .insert_usage(&[
            costing("q0a", T0, 1.0),
            costing("q0b", T0 + QUARTER - 1, 2.0),
            UsageRow {
                status_code: 429,
                ..unpriced("q1", T0 + QUARTER)
            },
            UsageRow {
                status_code: 500,
                ..costing("q3", T0 + 3 * QUARTER + 5, 4.0)
            },
            costing("d29", T0 + 29 * DAY, 8.0),
        ])
        .await
        .unwrap();

    let month = UsageFilter {
        from_us: Some(T0),
        to_us: Some(T0 + 30 * DAY),
        ..Default::default()
    };
    let buckets = store.usage_buckets(&month, 900).await.unwrap();
    let starts: Vec<i64> = buckets.iter().map(|b| b.bucket_start_us).collect();
    assert_eq!(
        starts,
        [T0, T0 + QUARTER, T0 + 3 * QUARTER, T0 + 29 * DAY],
        "empty buckets omitted"
    );
    let b0 = &buckets[0];
    assert_eq!(
        (
            b0.requests,
            b0.input_tokens,
            b0.output_tokens,
            b0.total_tokens
        ),
        (2, 200, 40, 240)
    );
    assert!(close(b0.total_cost, 3.0) && close(b0.input_cost, 1.8) && close(b0.output_cost, 1.2));
    assert_eq!((b0.errors, b0.unpriced_requests), (0, 0));
    let b1 = &buckets[1];
    assert_eq!(
        (b1.requests, b1.errors, b1.unpriced_requests, b1.total_cost),
        (1, 1, 1, 0.0)
    );
    assert_eq!(buckets[2].errors, 1);

    // Daily buckets are aligned to UTC midnight.
    let daily = store.usage_buckets(&month, 86_400).await.unwrap();
    let day_start = T0 - T0.rem_euclid(DAY);
    assert_eq!(daily[0].bucket_start_us, day_start);
    assert_eq!((daily[0].requests, daily[1].requests), (4, 1));
    assert_eq!(daily[1].bucket_start_us, day_start + 29 * DAY);

    // Filters apply to buckets too.
    let errors_only = UsageFilter {
        search: Some("q3".into()),
        ..month.clone()
    };
    let b = store.usage_buckets(&errors_only, 900).await.unwrap();
    assert_eq!(b.len(), 1);

    for width in [0, -900, i64::MAX] {
        let err = store.usage_buckets(&month, width).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Unsupported(_)),
            "{width}: {err:?}"
        );
    }
}

pub async fn by_model_orders_by_cost_then_requests(t: &Target) {
    let store = t.connect().await;
    let on = |provider: &str, kind: &str, model: &str, row: UsageRow| UsageRow {
        provider_name: provider.into(),
        provider_type: kind.into(),
        model: model.into(),
        ..row
    };
    store
        .insert_usage(&[
            on("openai", "openai", "cheap", costing("c1", T0, 2.0)),
            on("openai", "openai", "pricey", costing("p1", T0, 5.0)),
            on("openai", "openai", "busy-same-cost", costing("b1", T0, 1.0)),
            on("openai", "openai", "busy-same-cost", costing("b2", T0, 1.0)),
            on("local", "ollama", "free", costing("f1", T0, 0.0)),
            on("local", "ollama", "mystery", unpriced("m1", T0)),
            on("local", "ollama", "mystery", unpriced("m2", T0)),
            on("local", "ollama", "mystery", unpriced("m3", T0)),
            // Same model id under another provider instance is its own group.
            on("azure", "azure", "pricey", costing("az", T0, 0.5)),
            // A partly priced group: the priced row counts, the unpriced one is counted apart.
            on("openai", "openai", "mixed", costing("x1", T0, 0.75)),
            on("openai", "openai", "mixed", unpriced("x2", T0)),
        ])
        .await
        .unwrap();

    let groups = store.usage_by_model(&UsageFilter::default()).await.unwrap();
    let order: Vec<(&str, &str)> = groups
        .iter()
        .map(|g| (g.provider_name.as_str(), g.model.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("openai", "pricey"),
            ("openai", "busy-same-cost"), // 2.0 with 2 requests beats 2.0 with 1
            ("openai", "cheap"),
            ("openai", "mixed"),
            ("azure", "pricey"),
            ("local", "free"),    // a priced $0 ranks above
            ("local", "mystery"), // no price at all, despite most requests
        ]
    );
    let mystery = &groups[6];
    assert_eq!(
        (
            mystery.requests,
            mystery.unpriced_requests,
            mystery.total_cost
        ),
        (3, 3, 0.0)
    );
    assert_eq!(mystery.provider_type, "ollama");
    let mixed = &groups[3];
    assert_eq!((mixed.requests, mixed.unpriced_requests), (2, 1));
    assert!(close(mixed.total_cost, 0.75) && close(mixed.input_cost, 0.45));
    assert_eq!(
        (mixed.input_tokens, mixed.output_tokens, mixed.total_tokens),
        (200, 40, 240)
    );

    let filtered = UsageFilter {
        provider: Some("ollama".into()),
        ..Default::default()
    };
    let names: Vec<String> = store
        .usage_by_model(&filtered)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.model)
        .collect();
    assert_eq!(names, ["free", "mystery"]);
}

pub async fn by_user_path_groups_exact_paths(t: &Target) {
    let store = t.connect().await;
    let at = |path: &str, row: UsageRow| UsageRow {
        user_path: path.into(),
        ..row
    };
    store
        .insert_usage(&[
            at("/team", costing("t1", T0, 1.0)),
            at("/team/alice", costing("a1", T0, 3.0)),
            at("/team/alice", costing("a2", T0, 3.0)),
            at("/team/bob", unpriced("b1", T0)),
            at("/teamx", costing("x1", T0, 10.0)),
        ])
        .await
        .unwrap();

    let all = store
        .usage_by_user_path(&UsageFilter::default())
        .await
        .unwrap();
    let order: Vec<&str> = all.iter().map(|g| g.user_path.as_str()).collect();
    assert_eq!(order, ["/teamx", "/team/alice", "/team", "/team/bob"]);
    let alice = &all[1];
    assert_eq!(
        (
            alice.requests,
            alice.input_tokens,
            alice.output_tokens,
            alice.total_tokens
        ),
        (2, 200, 40, 240)
    );
    assert!(close(alice.total_cost, 6.0));
    assert_eq!((all[3].unpriced_requests, all[3].total_cost), (1, 0.0));

    let team = UsageFilter {
        user_path: Some("/team".into()),
        ..Default::default()
    };
    let order: Vec<String> = store
        .usage_by_user_path(&team)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.user_path)
        .collect();
    assert_eq!(order, ["/team/alice", "/team", "/team/bob"]);
}
