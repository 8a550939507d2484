//! Aggregates: summary, buckets, per model, per user path.

use gomodel_store::{StoreError, UsageFilter, UsageRow, UsageSummary};

use crate::fixtures::{DAY, HOUR, MINUTE, T0, costing, unpriced, usage};
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

/// Varied rows across models, user paths, statuses, prices and quarter hours.
fn varied_rows() -> Vec<UsageRow> {
    let mut rows = Vec::new();
    for i in 0..120_i64 {
        let id = format!("v{i:03}");
        let ts = T0 - 2 * HOUR + i * 7 * MINUTE + i;
        let mut row = match i % 4 {
            0 => unpriced(&id, ts),
            1 => costing(&id, ts, 0.001 * i as f64),
            2 => costing(&id, ts, 0.0),
            _ => usage(&id, ts),
        };
        row.model = ["gpt-4o", "claude-sonnet-4", "gemini-2.5-pro"][(i % 3) as usize].into();
        row.requested_model = if i % 5 == 0 {
            "smart".into()
        } else {
            row.model.clone()
        };
        row.provider_name = ["openai", "anthropic", "openai-eu"][(i % 3) as usize].into();
        row.user_path = ["/", "/team", "/team/alice", "/teamx"][(i % 4) as usize].into();
        row.status_code = if i % 11 == 0 { 502 } else { 200 };
        row.input_tokens = i * 3;
        row.output_tokens = i;
        row.total_tokens = i * 4;
        rows.push(row);
    }
    rows
}

/// The reports answer from the quarter-hour rollups when the filter allows and from the
/// per-request rows otherwise (an off-grid bound, a search); both must give the same answers.
pub async fn rollups_agree_with_per_request_rows(t: &Target) {
    let store = t.connect().await;
    let rows = varied_rows();
    // In three batches, the middle one retried with a few new rows added (a retry after a
    // commit whose acknowledgement was lost): nothing may be counted twice.
    store.insert_usage(&rows[..50]).await.unwrap();
    store.insert_usage(&rows[40..90]).await.unwrap();
    store.insert_usage(&rows[40..90]).await.unwrap();
    store.insert_usage(&rows[90..]).await.unwrap();

    let filters = [
        UsageFilter::default(),
        UsageFilter {
            model: Some("smart".into()),
            ..Default::default()
        },
        UsageFilter {
            provider: Some("openai".into()),
            ..Default::default()
        },
        UsageFilter {
            user_path: Some("/team".into()),
            ..Default::default()
        },
        UsageFilter {
            from_us: Some(T0 - HOUR),
            to_us: Some(T0 + 3 * HOUR),
            ..Default::default()
        },
    ];
    for rollup_filter in filters {
        // One microsecond off the grid forces the per-request table; the range still holds
        // every row of the rollup filter's range.
        let row_filter = UsageFilter {
            from_us: Some(rollup_filter.from_us.unwrap_or(T0 - DAY) - 1),
            to_us: Some(rollup_filter.to_us.unwrap_or(T0 + DAY) - 1),
            ..rollup_filter.clone()
        };
        let a = store.usage_summary(&rollup_filter).await.unwrap();
        let b = store.usage_summary(&row_filter).await.unwrap();
        assert!(a.total_requests > 0, "{rollup_filter:?}");
        assert_eq!(
            (
                a.total_requests,
                a.input_tokens,
                a.output_tokens,
                a.total_tokens,
                a.unpriced_requests
            ),
            (
                b.total_requests,
                b.input_tokens,
                b.output_tokens,
                b.total_tokens,
                b.unpriced_requests
            ),
            "{rollup_filter:?}"
        );
        assert!(close(a.total_cost, b.total_cost), "{a:?} vs {b:?}");

        let a = store.usage_by_model(&rollup_filter).await.unwrap();
        let b = store.usage_by_model(&row_filter).await.unwrap();
        let key = |m: &gomodel_store::ModelUsage| {
            (
                m.provider_name.clone(),
                m.model.clone(),
                m.requests,
                m.total_tokens,
                m.unpriced_requests,
            )
        };
        assert_eq!(
            a.iter().map(key).collect::<Vec<_>>(),
            b.iter().map(key).collect::<Vec<_>>(),
            "same groups in the same order"
        );

        let a = store.usage_by_user_path(&rollup_filter).await.unwrap();
        let b = store.usage_by_user_path(&row_filter).await.unwrap();
        let key =
            |u: &gomodel_store::UserPathUsage| (u.user_path.clone(), u.requests, u.total_tokens);
        assert_eq!(
            a.iter().map(key).collect::<Vec<_>>(),
            b.iter().map(key).collect::<Vec<_>>()
        );

        let a = store.usage_buckets(&rollup_filter, 3600).await.unwrap();
        let b = store.usage_buckets(&row_filter, 3600).await.unwrap();
        let key = |u: &gomodel_store::UsageBucket| {
            (u.bucket_start_us, u.requests, u.errors, u.total_tokens)
        };
        assert_eq!(
            a.iter().map(key).collect::<Vec<_>>(),
            b.iter().map(key).collect::<Vec<_>>()
        );

        let a = store.usage_log(&rollup_filter, 5, 0).await.unwrap();
        let b = store.usage_log(&row_filter, 5, 0).await.unwrap();
        assert_eq!(
            a.total, b.total,
            "the log's total comes from the rollups too"
        );
    }

    // Retention drops the rollups of the quarter hours it emptied.
    store.delete_usage_before(T0).await.unwrap();
    let all = store.usage_summary(&UsageFilter::default()).await.unwrap();
    let remaining = rows.iter().filter(|r| r.ts_us >= T0).count() as i64;
    assert_eq!(all.total_requests, remaining);
}
