//! Usage rows: inserts, the log, filters, re-pricing and retention.

use gomodel_store::{CostUpdate, RawJson, UsageFilter, UsageRow};
use serde_json::json;

use crate::fixtures::{HOUR, MINUTE, T0, unpriced, usage};
use crate::harness::Target;

fn ids(rows: &[UsageRow]) -> Vec<&str> {
    rows.iter().map(|r| r.id.as_str()).collect()
}

pub async fn insert_round_trips_and_reinsert_is_idempotent(t: &Target) {
    let store = t.connect().await;
    let full = UsageRow {
        stream: true,
        status_code: 502,
        error_code: Some("upstream_error".into()),
        cost_caveat: Some("tiered pricing approximated".into()),
        raw_usage: RawJson::from_value(
            &json!({"input_tokens": 7, "nested": {"a": [1, 2.5, null, "x"]}}),
        ),
        user_path: "/team/alice".into(),
        reasoning_tokens: 9,
        cache_write_tokens: 3,
        ..usage("full", T0)
    };
    let sparse = UsageRow {
        provider_response_id: None,
        ttfb_ms: None,
        raw_usage: None,
        ..unpriced("sparse", T0 + 1)
    };
    let third = usage("third", T0 + 2);
    store
        .insert_usage(&[full.clone(), sparse.clone(), third.clone()])
        .await
        .unwrap();

    // A retried batch, plus one new row: duplicates are skipped, the new row lands.
    let changed_retry = UsageRow {
        model: "should-not-overwrite".into(),
        ..full.clone()
    };
    store
        .insert_usage(&[changed_retry, usage("fourth", T0 + 3)])
        .await
        .unwrap();
    store.insert_usage(&[]).await.unwrap();

    let page = store
        .usage_log(&UsageFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(ids(&page.items), ["fourth", "third", "sparse", "full"]);
    assert_eq!(page.items[3], full, "every column round-trips");
    assert_eq!(page.items[2], sparse, "NULLs stay NULL");
    assert_eq!(page.items[1], third);
}

pub async fn large_inserts_span_batches(t: &Target) {
    let store = t.connect().await;
    let rows: Vec<UsageRow> = (0..1_201)
        .map(|i| usage(&format!("r{i:05}"), T0 + i))
        .collect();
    store.insert_usage(&rows).await.unwrap();
    store.insert_usage(&rows[..700]).await.unwrap();
    let summary = store.usage_summary(&UsageFilter::default()).await.unwrap();
    assert_eq!(summary.total_requests, 1_201);
    assert_eq!(summary.input_tokens, 1_201 * 100);
}

pub async fn usage_log_pages_newest_first_with_totals(t: &Target) {
    let store = t.connect().await;
    let rows: Vec<UsageRow> = (0..25)
        .map(|i| usage(&format!("p{i:02}"), T0 + i * MINUTE))
        .collect();
    store.insert_usage(&rows).await.unwrap();
    let all = UsageFilter::default();

    let first = store.usage_log(&all, 10, 0).await.unwrap();
    assert_eq!(first.total, 25);
    assert_eq!(first.items.len(), 10);
    assert_eq!(first.items[0].id, "p24");
    assert_eq!(first.items[9].id, "p15");

    let last = store.usage_log(&all, 10, 20).await.unwrap();
    assert_eq!(
        (last.total, ids(&last.items)),
        (25, vec!["p04", "p03", "p02", "p01", "p00"])
    );

    let beyond = store.usage_log(&all, 10, 30).await.unwrap();
    assert_eq!((beyond.total, beyond.items.len()), (25, 0));

    let filtered = UsageFilter {
        from_us: Some(T0 + 20 * MINUTE),
        ..Default::default()
    };
    let page = store.usage_log(&filtered, 2, 0).await.unwrap();
    assert_eq!((page.total, ids(&page.items)), (5, vec!["p24", "p23"]));
}

pub async fn usage_filters_select_the_right_rows(t: &Target) {
    let store = t.connect().await;
    let at = |i: i64| T0 + i * HOUR;
    store
        .insert_usage(&[
            UsageRow {
                user_path: "/team".into(),
                ..usage("team", at(0))
            },
            UsageRow {
                user_path: "/team/alice".into(),
                ..usage("alice", at(1))
            },
            UsageRow {
                user_path: "/team/alice/bot".into(),
                ..usage("bot", at(2))
            },
            UsageRow {
                user_path: "/teamx".into(),
                ..usage("teamx", at(3))
            },
            UsageRow {
                user_path: "/team-b".into(),
                ..usage("team-b", at(4))
            },
            UsageRow {
                provider_name: "claude-eu".into(),
                provider_type: "anthropic".into(),
                requested_model: "sonnet".into(),
                model: "claude-sonnet-4-20250514".into(),
                request_id: "REQ-Special-42".into(),
                ..usage("claude", at(5))
            },
            UsageRow {
                requested_model: "fast".into(),
                ..usage("alias", at(6))
            },
            UsageRow {
                request_id: "odd%_id".into(),
                ..usage("odd", at(7))
            },
        ])
        .await
        .unwrap();

    let matching = |filter: UsageFilter| {
        let store = store.clone();
        async move {
            let page = store.usage_log(&filter, 100, 0).await.unwrap();
            assert_eq!(page.total as usize, page.items.len());
            let mut ids: Vec<String> = page.items.into_iter().map(|r| r.id).collect();
            ids.sort();
            ids
        }
    };

    // Time range: from inclusive, to exclusive.
    let range = UsageFilter {
        from_us: Some(at(1)),
        to_us: Some(at(3)),
        ..Default::default()
    };
    assert_eq!(matching(range).await, ["alice", "bot"]);

    // User-path subtree, with and without a trailing slash; siblings sharing a prefix excluded.
    for path in ["/team", "/team/"] {
        let f = UsageFilter {
            user_path: Some(path.into()),
            ..Default::default()
        };
        assert_eq!(matching(f).await, ["alice", "bot", "team"], "{path}");
    }
    let f = UsageFilter {
        user_path: Some("/team/alice".into()),
        ..Default::default()
    };
    assert_eq!(matching(f).await, ["alice", "bot"]);
    let f = UsageFilter {
        user_path: Some("/".into()),
        ..Default::default()
    };
    assert_eq!(matching(f).await.len(), 8, "the root matches everything");
    let f = UsageFilter {
        user_path: Some("/nobody".into()),
        ..Default::default()
    };
    assert!(matching(f).await.is_empty());

    // Model: the resolved id or the requested name.
    let f = UsageFilter {
        model: Some("claude-sonnet-4-20250514".into()),
        ..Default::default()
    };
    assert_eq!(matching(f).await, ["claude"]);
    let f = UsageFilter {
        model: Some("sonnet".into()),
        ..Default::default()
    };
    assert_eq!(matching(f).await, ["claude"]);
    let f = UsageFilter {
        model: Some("fast".into()),
        ..Default::default()
    };
    assert_eq!(matching(f).await, ["alias"]);

    // Provider: the instance name or the type.
    let f = UsageFilter {
        provider: Some("claude-eu".into()),
        ..Default::default()
    };
    assert_eq!(matching(f).await, ["claude"]);
    let f = UsageFilter {
        provider: Some("anthropic".into()),
        ..Default::default()
    };
    assert_eq!(matching(f).await, ["claude"]);
    let f = UsageFilter {
        provider: Some("openai".into()),
        ..Default::default()
    };
    assert_eq!(matching(f).await.len(), 7);

    // Search: case-insensitive substring over request id, models, provider name, user path;
    // LIKE wildcards in the needle are literal.
    let search = |s: &str| UsageFilter {
        search: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(matching(search("special-4")).await, ["claude"]);
    assert_eq!(matching(search("SONNET-4")).await, ["claude"]);
    assert_eq!(matching(search("EU")).await, ["claude"]);
    assert_eq!(matching(search("alice/b")).await, ["bot"]);
    assert_eq!(matching(search("%_")).await, ["odd"]);
    assert_eq!(
        matching(search("")).await.len(),
        8,
        "an empty search is no filter"
    );

    // Filters combine.
    let f = UsageFilter {
        user_path: Some("/team".into()),
        from_us: Some(at(1)),
        search: Some("bot".into()),
        ..Default::default()
    };
    assert_eq!(matching(f).await, ["bot"]);
}

pub async fn repricing_pages_by_id_and_updates_costs(t: &Target) {
    let store = t.connect().await;
    let mut rows: Vec<UsageRow> = (0..7)
        .map(|i| unpriced(&format!("id{i}"), T0 + i))
        .collect();
    rows.push(UsageRow {
        model: "other".into(),
        ..unpriced("id7", T0 + 7)
    });
    store.insert_usage(&rows).await.unwrap();

    let filter = UsageFilter {
        model: Some("gpt-4o-mini-2024-07-18".into()),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut after: Option<(i64, String)> = None;
    loop {
        let page = store
            .usage_for_repricing(&filter, after.as_ref().map(|(t, i)| (*t, i.as_str())), 3)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        after = page.last().map(|r| (r.ts_us, r.id.clone()));
        seen.extend(page.into_iter().map(|r| r.id));
    }
    assert_eq!(seen, ["id0", "id1", "id2", "id3", "id4", "id5", "id6"]);

    let updates = vec![
        CostUpdate {
            id: "id1".into(),
            ts_us: T0 + 1,
            input_cost: Some(0.5),
            output_cost: Some(0.25),
            total_cost: Some(0.75),
            cost_source: "override".into(),
            cost_caveat: None,
        },
        CostUpdate {
            id: "id2".into(),
            ts_us: T0 + 2,
            input_cost: Some(1.0),
            output_cost: None,
            total_cost: None,
            cost_source: "unpriced".into(),
            cost_caveat: Some("output price unknown".into()),
        },
        CostUpdate {
            id: "missing".into(),
            ts_us: T0,
            input_cost: Some(9.0),
            output_cost: Some(9.0),
            total_cost: Some(18.0),
            cost_source: "catalog".into(),
            cost_caveat: None,
        },
    ];
    assert_eq!(store.update_usage_costs(&updates).await.unwrap(), 2);
    assert_eq!(store.update_usage_costs(&[]).await.unwrap(), 0);

    // The reports (served from the rollups) see the new costs at once.
    let summary = store.usage_summary(&UsageFilter::default()).await.unwrap();
    assert_eq!(summary.total_requests, 8);
    assert_eq!(summary.total_cost, 0.75);
    assert_eq!(summary.input_cost, 1.5, "id2 keeps its input cost");
    assert_eq!(summary.unpriced_requests, 7);

    let page = store
        .usage_for_repricing(&UsageFilter::default(), Some((T0, "id0")), 2)
        .await
        .unwrap();
    assert_eq!(ids(&page), ["id1", "id2"]);
    let (one, two) = (&page[0], &page[1]);
    assert_eq!(
        (
            one.input_cost,
            one.output_cost,
            one.total_cost,
            one.cost_source.as_str(),
            &one.cost_caveat
        ),
        (Some(0.5), Some(0.25), Some(0.75), "override", &None)
    );
    assert_eq!(
        (
            two.input_cost,
            two.output_cost,
            two.total_cost,
            two.cost_source.as_str()
        ),
        (Some(1.0), None, None, "unpriced")
    );
    assert_eq!(two.cost_caveat.as_deref(), Some("output price unknown"));
    assert_eq!(
        one.model, "gpt-4o-mini-2024-07-18",
        "other columns untouched"
    );

    let summary = store.usage_summary(&UsageFilter::default()).await.unwrap();
    assert_eq!((summary.total_cost, summary.unpriced_requests), (0.75, 7));
}

pub async fn retention_deletes_only_older_rows(t: &Target) {
    let store = t.connect().await;
    // More old rows than one delete batch, so the batching loop runs more than once.
    let old: Vec<UsageRow> = (0..5_500)
        .map(|i| usage(&format!("old{i:05}"), T0 - HOUR - i))
        .collect();
    store.insert_usage(&old).await.unwrap();
    store
        .insert_usage(&[usage("edge", T0), usage("new", T0 + HOUR)])
        .await
        .unwrap();

    assert_eq!(store.delete_usage_before(T0).await.unwrap(), 5_500);
    assert_eq!(store.delete_usage_before(T0).await.unwrap(), 0);
    let page = store
        .usage_log(&UsageFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        ids(&page.items),
        ["new", "edge"],
        "the cut-off itself is kept"
    );
}
