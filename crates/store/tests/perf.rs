//! How the dashboard queries scale: 1,000,000 usage rows over 30 days, then each report timed.
//!
//! Not a pass/fail test (timings depend on the machine), so it is `#[ignore]`d; run it in release
//! mode, where SQLite itself is compiled with optimizations:
//!
//! ```text
//! cargo test --release -p gomodel-store --test perf -- --ignored --nocapture
//! ```
//!
//! `sqlite_one_million_rows` always runs on a temp file (set `GOMODEL_PERF_DB=/path/x.db` to
//! keep the file for `EXPLAIN QUERY PLAN`); `postgres_one_million_rows` runs when
//! `GOMODEL_TEST_POSTGRES_URL` is set, in a scratch schema it drops afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // the perf knobs are test-only environment variables

use std::future::Future;
use std::time::Instant;

use gomodel_store::{Store, StoreConfig, StoreError, UsageFilter, UsageRow};
use sqlx::Connection;

const ROWS: i64 = 1_000_000;
const DAY_US: i64 = 86_400_000_000;
/// 2025-06-01T00:00:00Z.
const START: i64 = 1_748_736_000_000_000;
const SPAN: i64 = 30 * DAY_US;
const INSERT_CHUNK: usize = 10_000;

const PROVIDERS: [(&str, &str); 5] = [
    ("openai", "openai"),
    ("anthropic", "anthropic"),
    ("azure-eu", "azure"),
    ("groq", "groq"),
    ("local", "ollama"),
];

/// xorshift64*: deterministic data without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Row `i` of the synthetic month: 5 providers x 4 models, 60 user paths three levels deep,
/// ~5% unpriced, ~2% errors, timestamps evenly spread with jitter.
fn row(i: i64, rng: &mut Rng) -> UsageRow {
    let (provider_name, provider_type) = PROVIDERS[rng.below(5) as usize];
    let model_n = rng.below(4);
    let team = rng.below(6);
    let member = rng.below(10);
    let user_path = match member {
        0 => format!("/team{team}"),
        _ => format!("/team{team}/user{member}"),
    };
    let input = 50 + rng.below(4_000) as i64;
    let output = 10 + rng.below(1_000) as i64;
    let unpriced = rng.below(20) == 0;
    let input_cost = (!unpriced).then_some(input as f64 * 0.000_002_5);
    let output_cost = (!unpriced).then_some(output as f64 * 0.000_01);
    let step = SPAN / ROWS;
    UsageRow {
        id: format!("{:016x}{:016x}", rng.next(), i),
        request_id: format!("req-{i:08}"),
        provider_response_id: Some(format!("chatcmpl-{i}")),
        ts_us: START + i * step + rng.below(step as u64) as i64,
        provider_name: provider_name.into(),
        provider_type: provider_type.into(),
        requested_model: format!("{provider_type}-model-{model_n}"),
        model: format!("{provider_type}-model-{model_n}-2025-01-01"),
        endpoint: "/v1/chat/completions".into(),
        user_path,
        stream: rng.below(2) == 0,
        status_code: if rng.below(50) == 0 { 500 } else { 200 },
        latency_ms: 100.0 + rng.below(5_000) as f64,
        ttfb_ms: Some(50.0 + rng.below(500) as f64),
        input_tokens: input,
        output_tokens: output,
        total_tokens: input + output,
        cached_input_tokens: input / 4,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
        raw_usage: gomodel_store::RawJson::from_value(
            &serde_json::json!({"prompt_tokens": input, "completion_tokens": output}),
        ),
        input_cost,
        output_cost,
        total_cost: input_cost.zip(output_cost).map(|(a, b)| a + b),
        cost_source: if unpriced { "unpriced" } else { "catalog" }.into(),
        cost_caveat: None,
        error_code: None,
    }
}

/// Runs the query three times and reports the fastest and slowest run (the machine is shared,
/// so one sample says little).
async fn timed<T, F, Fut>(label: &str, query: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..3 {
        let started = Instant::now();
        out = Some(query().await.unwrap());
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    eprintln!("{label:<44} {:>8.1} ms  (max {:>7.1})", times[0], times[2]);
    out.unwrap()
}

async fn fill(store: &Store) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(INSERT_CHUNK);
    for i in 0..ROWS {
        batch.push(row(i, &mut rng));
        if batch.len() == INSERT_CHUNK {
            store.insert_usage(&batch).await.unwrap();
            batch.clear();
        }
    }
    store.insert_usage(&batch).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "insert {ROWS} rows ({INSERT_CHUNK} per call)              {:>9.1} s  ({:.0} rows/s)",
        secs,
        ROWS as f64 / secs
    );
}

async fn report(store: &Store) {
    let month = UsageFilter {
        from_us: Some(START),
        to_us: Some(START + SPAN),
        ..Default::default()
    };
    let last_day = UsageFilter {
        from_us: Some(START + SPAN - DAY_US),
        ..month.clone()
    };
    let one_model = UsageFilter {
        model: Some("anthropic-model-2-2025-01-01".into()),
        ..month.clone()
    };
    let one_team = UsageFilter {
        user_path: Some("/team3".into()),
        ..month.clone()
    };
    let search = UsageFilter {
        search: Some("user7".into()),
        ..last_day.clone()
    };

    // Warm the page cache once so every line measures the query, not the first disk read.
    store.usage_summary(&month).await.unwrap();

    let s = timed("summary, 30 days", || store.usage_summary(&month)).await;
    assert_eq!(s.total_requests, ROWS);
    timed("summary, last 24 h", || store.usage_summary(&last_day)).await;
    timed("summary, 30 days, one model", || {
        store.usage_summary(&one_model)
    })
    .await;
    timed("summary, 30 days, user path /team3 subtree", || {
        store.usage_summary(&one_team)
    })
    .await;
    let m = timed("by_model, 30 days", || store.usage_by_model(&month)).await;
    assert_eq!(m.len(), 20);
    timed("by_model, last 24 h", || store.usage_by_model(&last_day)).await;
    let u = timed("by_user_path, 30 days", || store.usage_by_user_path(&month)).await;
    assert_eq!(u.len(), 60);
    let b = timed("buckets 15 min, 30 days", || {
        store.usage_buckets(&month, 900)
    })
    .await;
    assert_eq!(b.len(), 30 * 96);
    timed("buckets 15 min, 30 days, one model", || {
        store.usage_buckets(&one_model, 900)
    })
    .await;
    timed("usage_log first page (50), 30 days", || {
        store.usage_log(&month, 50, 0)
    })
    .await;
    timed("usage_log page 200 (offset 10,000)", || {
        store.usage_log(&month, 50, 10_000)
    })
    .await;
    timed("usage_log first page, one model", || {
        store.usage_log(&one_model, 50, 0)
    })
    .await;
    timed("usage_log first page, /team3 subtree", || {
        store.usage_log(&one_team, 50, 0)
    })
    .await;
    timed("usage_log search 'user7', last 24 h", || {
        store.usage_log(&search, 50, 0)
    })
    .await;
    timed("usage_for_repricing page (1,000 by key)", || {
        store.usage_for_repricing(&month, Some((0, "8")), 1_000)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "1M-row benchmark; run with --release -- --ignored --nocapture"]
async fn sqlite_one_million_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = match std::env::var("GOMODEL_PERF_DB") {
        Ok(path) => {
            let _ = std::fs::remove_file(&path);
            path.into()
        }
        Err(_) => dir.path().join("perf.db"),
    };
    let store = Store::connect(&StoreConfig::Sqlite { path: path.clone() })
        .await
        .unwrap();
    eprintln!("\n== SQLite, {} ==", path.display());
    fill(&store).await;
    report(&store).await;
    store.close().await;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!("database file: {} MiB", size / (1 << 20));
    explain_sqlite(&path).await;
}

/// The plans SQLite (the bundled build the store uses) picks for the report and log queries,
/// written out with literal values; they mirror the statements in src/reports.rs and
/// src/usage.rs (`usage` is a view over `usage_records` on SQLite).
async fn explain_sqlite(path: &std::path::Path) {
    let (from, to) = (START, START + SPAN);
    let day = to - DAY_US;
    let aggregates = "SUM(requests), SUM(input_tokens), SUM(output_tokens), SUM(total_tokens), \
        SUM(cached_input_tokens), SUM(input_cost), SUM(output_cost), SUM(total_cost), \
        SUM(unpriced), SUM(errors)";
    let rollup_range = format!("bucket_us >= {from} AND bucket_us < {to}");
    let range = format!("ts_us >= {from} AND ts_us < {to}");
    let queries = [
        (
            "summary (rollups)",
            format!("SELECT {aggregates} FROM usage_rollup WHERE {rollup_range}"),
        ),
        (
            "buckets (rollups)",
            format!(
                "SELECT bucket_us, {aggregates} FROM usage_rollup WHERE {rollup_range} \
                 GROUP BY 1 ORDER BY 1"
            ),
        ),
        (
            "by_model (rollups)",
            format!(
                "SELECT provider_name, provider_type, model, {aggregates} FROM usage_rollup \
                 WHERE {rollup_range} GROUP BY provider_name, provider_type, model"
            ),
        ),
        (
            "by_model, 24 h (rollups)",
            format!(
                "SELECT provider_name, provider_type, model, {aggregates} FROM usage_rollup \
                 WHERE bucket_us >= {day} AND bucket_us < {to} \
                 GROUP BY provider_name, provider_type, model"
            ),
        ),
        (
            "usage_log page",
            format!("SELECT * FROM usage WHERE {range} ORDER BY ts_us DESC, id DESC LIMIT 50"),
        ),
        (
            "usage_log, one model",
            format!(
                "SELECT * FROM usage WHERE {range} AND (model = 'm' OR requested_model = 'm') \
                 ORDER BY ts_us DESC, id DESC LIMIT 50"
            ),
        ),
    ];
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    for (label, sql) in queries {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let plan: Vec<String> = rows.into_iter().map(|r| r.3).collect();
        eprintln!("plan {label:<28} {}", plan.join(" | "));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "1M-row benchmark; run with --release -- --ignored --nocapture"]
async fn postgres_one_million_rows() {
    let Ok(admin_url) = std::env::var("GOMODEL_TEST_POSTGRES_URL") else {
        eprintln!("SKIPPED: set GOMODEL_TEST_POSTGRES_URL to run the PostgreSQL benchmark");
        return;
    };
    let schema = format!("gm_perf_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{separator}options[search_path]={schema}");
    let store = Store::connect(&StoreConfig::Postgres {
        url,
        max_connections: 4,
    })
    .await
    .unwrap();
    eprintln!("\n== PostgreSQL, schema {schema} ==");
    fill(&store).await;
    // What autovacuum would do shortly after a bulk load; without statistics the planner guesses.
    sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {schema}.usage")))
        .execute(&mut admin)
        .await
        .unwrap();
    report(&store).await;
    store.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .unwrap();
}

/// Audit entries kept: as many as a day of a busy gateway with bodies on might hold locally.
const AUDIT_ENTRIES: i64 = 200_000;

/// Entry `i`: a chat request with ~1.2 KB of headers and bodies, ~2% errors, 1 in 50 on the
/// Responses API continuing the previous one.
fn audit_entry(i: i64, rng: &mut Rng) -> gomodel_store::AuditRow {
    let (provider_name, provider_type) = PROVIDERS[rng.below(5) as usize];
    let ts_us = START + i * (SPAN / AUDIT_ENTRIES) + rng.below(1_000) as i64;
    let responses = i % 50 == 0;
    let status_code = if rng.below(50) == 0 { 502 } else { 200 };
    let body = format!(
        r#"{{"request_body":{{"model":"{provider_name}/model-{m}","messages":[{{"role":"user","content":"question {i} {pad}"}}]}},"response_body":{{"id":"chatcmpl-{i}","object":"chat.completion","choices":[{{"index":0,"message":{{"role":"assistant","content":"answer {i} {pad}{pad}"}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":24,"completion_tokens":30,"total_tokens":54}}}},"request_headers":{{"authorization":"[REDACTED]","content-type":"application/json"}},"response_headers":{{"content-type":"application/json"}}}}"#,
        m = rng.below(4),
        pad = "lorem ipsum dolor sit amet ".repeat(8),
    );
    gomodel_store::AuditRow {
        id: format!("{:016x}{:016x}", ts_us, rng.next()),
        request_id: format!("req-{i}"),
        ts_us,
        duration_ms: 100.0 + rng.below(1000) as f64,
        requested_model: Some(format!("{provider_name}/model-{}", rng.below(4))),
        resolved_model: Some(format!("model-{}", rng.below(4))),
        provider_type: Some(provider_type.into()),
        provider_name: Some(provider_name.into()),
        status_code,
        method: "POST".into(),
        path: if responses {
            "/v1/responses"
        } else {
            "/v1/chat/completions"
        }
        .into(),
        user_path: format!("/team{}", rng.below(6)),
        stream: rng.below(3) == 0,
        client_ip: Some("10.0.0.7".into()),
        error_type: (status_code >= 400).then(|| "provider_error".into()),
        response_id: Some(if responses {
            format!("resp_{i}")
        } else {
            format!("chatcmpl-{i}")
        }),
        previous_response_id: (responses && i >= 50).then(|| format!("resp_{}", i - 50)),
        auth_method: Some("master_key".into()),
        data: gomodel_store::RawJson::parse(&body).unwrap(),
        usage: None,
    }
}

/// The audit log's reads over 200,000 entries with bodies: the dashboard's pages and filters,
/// one entry by id, and a conversation. SQLite stores them in compressed segments (migration 8):
/// filters other than time decode every segment in their range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "200k-entry benchmark; run with --release -- --ignored --nocapture"]
async fn sqlite_audit_entries() {
    use gomodel_store::AuditFilter;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let store = Store::connect(&StoreConfig::Sqlite { path: path.clone() })
        .await
        .unwrap();
    eprintln!("\n== SQLite audit log, {AUDIT_ENTRIES} entries ==");
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(1_000);
    let mut probe = None;
    for i in 0..AUDIT_ENTRIES {
        let entry = audit_entry(i, &mut rng);
        if i == AUDIT_ENTRIES / 2 {
            probe = Some(entry.id.clone());
        }
        batch.push(entry);
        if batch.len() == 1_000 {
            store.insert_audit(&batch).await.unwrap();
            batch.clear();
        }
    }
    store.insert_audit(&batch).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "insert {AUDIT_ENTRIES} entries (1,000 per call)       {secs:>9.1} s  ({:.0} entries/s)",
        AUDIT_ENTRIES as f64 / secs
    );
    let all = AuditFilter::default();
    let last_day = AuditFilter {
        from_us: Some(START + SPAN - DAY_US),
        ..Default::default()
    };
    let errors = AuditFilter {
        status_code: Some(502),
        ..Default::default()
    };
    let one_model = AuditFilter {
        model: Some("model-2".into()),
        ..Default::default()
    };
    let search = AuditFilter {
        search: Some("req-1999".into()),
        ..last_day.clone()
    };
    store.audit_log(&all, 50, 0).await.unwrap();
    let page = timed("audit_log first page (50)", || store.audit_log(&all, 50, 0)).await;
    assert_eq!(page.total, AUDIT_ENTRIES);
    timed("audit_log page 200 (offset 10,000)", || {
        store.audit_log(&all, 50, 10_000)
    })
    .await;
    timed("audit_log first page, last 24 h", || {
        store.audit_log(&last_day, 50, 0)
    })
    .await;
    timed("audit_log first page, status 502", || {
        store.audit_log(&errors, 50, 0)
    })
    .await;
    timed("audit_log first page, one model", || {
        store.audit_log(&one_model, 50, 0)
    })
    .await;
    timed("audit_log search 'req-1999', last 24 h", || {
        store.audit_log(&search, 50, 0)
    })
    .await;
    let probe = probe.unwrap();
    let entry = timed("audit_entry by id", || store.audit_entry(&probe)).await;
    assert!(entry.is_some());
    let last_responses = (AUDIT_ENTRIES - 1) / 50 * 50;
    let page = store
        .audit_log(
            &AuditFilter {
                search: Some(format!("resp_{last_responses}")),
                ..Default::default()
            },
            1,
            0,
        )
        .await
        .unwrap();
    let tail = page.items[0].id.clone();
    let thread = timed("audit_conversation (40 turns)", || {
        store.audit_conversation(&tail, 40)
    })
    .await;
    assert_eq!(thread.len(), 40);
    store.close().await;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!("database file: {} MiB", size / (1 << 20));
}
