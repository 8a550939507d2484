//! Prometheus `/metrics`: after known traffic the scrape, read by a text-format parser written
//! here, shows exactly the requests sent; labels never carry request text; the endpoint is
//! absent unless enabled and refused under `/v1`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use gomodel_gateway::config::{Config, EnvMap};
use serde_json::{Value, json};

use crate::harness::*;

/// One sample line.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed scrape: the samples and each family's declared type.
#[derive(Debug)]
struct Scrape {
    samples: Vec<Sample>,
    types: BTreeMap<String, String>,
}

impl Scrape {
    /// Parses the text exposition format 0.0.4, failing on anything malformed.
    fn parse(text: &str) -> Scrape {
        let mut samples = Vec::new();
        let mut types = BTreeMap::new();
        let mut helped = BTreeMap::new();
        for line in text.lines() {
            if line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').expect("HELP has a name and text");
                assert!(helped.insert(name.to_owned(), help.to_owned()).is_none());
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE has a name and a type");
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                    "{line}"
                );
                assert!(types.insert(name.to_owned(), kind.to_owned()).is_none());
                continue;
            }
            assert!(!line.starts_with('#'), "unexpected comment: {line}");
            let sample = parse_sample(line);
            let family = family_of(&sample.name, &types);
            assert!(
                types.contains_key(family) && helped.contains_key(family),
                "sample before its TYPE/HELP: {line}"
            );
            samples.push(sample);
        }
        Scrape { samples, types }
    }

    /// The value of the one sample with this name and exactly these labels (0 when absent).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let found: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| s.name == name && s.labels == wanted)
            .collect();
        assert!(found.len() <= 1, "duplicate series {name} {labels:?}");
        found.first().map_or(0.0, |s| s.value)
    }

    /// The sum over every sample of `name` whose labels include `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| {
                s.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }

    fn of(&self, name: &str) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(move |s| s.name == name)
    }
}

/// `name{label="value",...} value [timestamp]`, with `\\`, `\"` and `\n` escapes in values.
fn parse_sample(line: &str) -> Sample {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value: {line}"));
    let name = &line[..name_end];
    assert!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
        "bad metric name: {line}"
    );
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        let end = loop {
            let Some((start, c)) = chars.next() else {
                panic!("unterminated labels: {line}")
            };
            if c == '}' {
                break start + 1;
            }
            if c == ',' {
                continue;
            }
            let mut label = String::from(c);
            for (_, c) in chars.by_ref() {
                if c == '=' {
                    break;
                }
                label.push(c);
            }
            assert!(
                label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "bad label name {label:?}: {line}"
            );
            assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
            let mut value = String::new();
            loop {
                match chars.next().map(|(_, c)| c) {
                    Some('"') => break,
                    Some('\\') => match chars.next().map(|(_, c)| c) {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        other => panic!("bad escape {other:?}: {line}"),
                    },
                    Some(c) => value.push(c),
                    None => panic!("unterminated value: {line}"),
                }
            }
            assert!(
                labels.insert(label, value).is_none(),
                "repeated label: {line}"
            );
        };
        rest = &inner[end..];
    }
    let mut fields = rest.split_whitespace();
    let value = match fields.next().expect("a value") {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        text => text
            .parse()
            .unwrap_or_else(|_| panic!("bad value {text}: {line}")),
    };
    if let Some(timestamp) = fields.next() {
        timestamp.parse::<i64>().expect("timestamp");
    }
    assert!(fields.next().is_none(), "trailing text: {line}");
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

/// The family a sample belongs to (histogram samples carry a suffix).
fn family_of<'a>(name: &'a str, types: &BTreeMap<String, String>) -> &'a str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix)
            && types.get(base).map(String::as_str) == Some("histogram")
        {
            return base;
        }
    }
    name
}

async fn scrape(gateway: &TestGateway, path: &str) -> Scrape {
    // No Authorization header: the endpoint is public, as in GoModel.
    let response = gateway.client.get(gateway.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    Scrape::parse(&response.text().await.unwrap())
}

/// Requests are counted when their response body is done, which can be a moment after the
/// client has read it: scrape until `ready` holds (or give up and let the asserts say why).
async fn scrape_when(gateway: &TestGateway, path: &str, ready: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let scraped = scrape(gateway, path).await;
        if ready(&scraped) || Instant::now() > deadline {
            return scraped;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn usage_of(body: &Value) -> (f64, f64) {
    (
        body["usage"]["prompt_tokens"].as_f64().unwrap(),
        body["usage"]["completion_tokens"].as_f64().unwrap(),
    )
}

const CHAT: &str = "/v1/chat/completions";
const UNKNOWN_MODEL: &str = "no-such-model-from-a-client";
const SECRET_TEXT: &str = "confidential-prompt-text";

#[tokio::test]
async fn scrape_counts_exactly_the_requests_sent() {
    let fake = fake().await;
    let mut env = openai_env(&fake);
    env.push(("METRICS_ENABLED".into(), "true".into()));
    let gateway = TestGateway::start(&as_refs(&env)).await;

    let mut input_tokens = 0.0;
    let mut output_tokens = 0.0;
    let mut prompt = chat_body("openai/gpt-4o-mini");
    prompt["messages"][0]["content"] = json!(SECRET_TEXT);
    for _ in 0..3 {
        let response = gateway
            .client
            .post(gateway.url(CHAT))
            .bearer_auth(MASTER_KEY)
            .header("x-gomodel-user-path", "/team/secret-team")
            .json(&prompt)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let (input, output) = usage_of(&response.json().await.unwrap());
        input_tokens += input;
        output_tokens += output;
    }
    let mut stream = prompt.clone();
    stream["stream"] = json!(true);
    stream["stream_options"] = json!({"include_usage": true});
    for _ in 0..2 {
        let response = gateway.post(CHAT, &stream).await;
        assert_eq!(response.status(), 200);
        let events = sse_data(&response.text().await.unwrap());
        let usage: Value = events
            .iter()
            .filter_map(|e| serde_json::from_str::<Value>(e).ok())
            .find(|e| e["usage"].is_object())
            .expect("usage chunk");
        let (input, output) = usage_of(&usage);
        input_tokens += input;
        output_tokens += output;
    }
    let embeddings = gateway
        .post(
            "/v1/embeddings",
            &json!({"model": "openai/text-embedding-3-small", "input": SECRET_TEXT}),
        )
        .await;
    assert_eq!(embeddings.status(), 200);
    embeddings.bytes().await.unwrap();
    expect_error(
        gateway
            .post(CHAT, &chat_body("openai/fake-error-500"))
            .await,
        500,
    )
    .await;
    expect_error(gateway.post(CHAT, &chat_body(UNKNOWN_MODEL)).await, 400).await;
    let missing = gateway.get("/v1/secret-path-from-a-client").await;
    assert_eq!(missing.status(), 404);
    missing.bytes().await.unwrap();

    let http = "gomodel_http_requests_total";
    let chat_ok = [("route", CHAT), ("method", "POST"), ("status", "200")];
    let scraped = scrape_when(&gateway, "/metrics", |s| {
        s.value(http, &chat_ok) == 5.0
            && s.sum(http, &[("status", "404")]) == 1.0
            && s.sum(http, &[("route", "/v1/embeddings")]) == 1.0
            && s.sum(http, &[("status", "500")]) == 1.0
            && s.sum(http, &[("status", "400")]) == 1.0
    })
    .await;

    // Inbound requests by route template, method and status.
    assert_eq!(scraped.value(http, &chat_ok), 5.0);
    assert_eq!(
        scraped.value(
            http,
            &[("route", CHAT), ("method", "POST"), ("status", "500")]
        ),
        1.0
    );
    assert_eq!(
        scraped.value(
            http,
            &[("route", CHAT), ("method", "POST"), ("status", "400")]
        ),
        1.0
    );
    assert_eq!(
        scraped.value(
            http,
            &[
                ("route", "/v1/embeddings"),
                ("method", "POST"),
                ("status", "200")
            ]
        ),
        1.0
    );
    assert_eq!(
        scraped.value(
            http,
            &[("route", "unmatched"), ("method", "GET"), ("status", "404")]
        ),
        1.0
    );

    // Upstream calls (GoModel's series), with the instance name and its type.
    let requests = "gomodel_requests_total";
    let upstream = |model: &'static str, endpoint: &'static str, stream: &'static str| {
        vec![
            ("provider", "openai"),
            ("provider_type", "openai"),
            ("model", model),
            ("endpoint", endpoint),
            ("stream", stream),
        ]
    };
    let with_status = |mut labels: Vec<(&'static str, &'static str)>, code, kind| {
        labels.push(("status_code", code));
        labels.push(("status_type", kind));
        labels
    };
    let chat = upstream("gpt-4o-mini", CHAT, "false");
    let streamed = upstream("gpt-4o-mini", CHAT, "true");
    let embedded = upstream("text-embedding-3-small", "/v1/embeddings", "false");
    // A model the provider does not list is `other`, whatever the client sent.
    let failed = upstream("other", CHAT, "false");
    for (labels, count) in [
        (with_status(chat.clone(), "200", "success"), 3.0),
        (with_status(streamed.clone(), "200", "success"), 2.0),
        (with_status(embedded.clone(), "200", "success"), 1.0),
        (with_status(failed.clone(), "500", "error"), 1.0),
    ] {
        assert_eq!(scraped.value(requests, &labels), count, "{labels:?}");
    }
    assert_eq!(
        scraped.sum(requests, &[]),
        7.0,
        "the 400 never reached a provider"
    );
    let duration = "gomodel_request_duration_seconds_count";
    for (labels, count) in [
        (&chat, 3.0),
        (&streamed, 2.0),
        (&embedded, 1.0),
        (&failed, 1.0),
    ] {
        assert_eq!(scraped.value(duration, labels), count, "{labels:?}");
        let mut inf = labels.clone();
        inf.push(("le", "+Inf"));
        assert_eq!(
            scraped.value("gomodel_request_duration_seconds_bucket", &inf),
            count
        );
    }
    for sample in scraped.of("gomodel_requests_in_flight") {
        assert_eq!(sample.value, 0.0, "{sample:?}");
    }

    // Time to first byte and the gateway's own overhead, per request that called a provider.
    let ttfb = "gomodel_time_to_first_byte_seconds_count";
    assert_eq!(
        scraped.value(ttfb, &[("provider", "openai"), ("endpoint", CHAT)]),
        6.0
    );
    assert_eq!(
        scraped.value(
            ttfb,
            &[("provider", "openai"), ("endpoint", "/v1/embeddings")]
        ),
        1.0
    );
    let overhead = "gomodel_gateway_overhead_seconds_count";
    assert_eq!(scraped.value(overhead, &[("endpoint", CHAT)]), 6.0);
    assert_eq!(
        scraped.value(overhead, &[("endpoint", "/v1/embeddings")]),
        1.0
    );

    // Tokens as the responses reported them, and their cost (gpt-4o-mini is priced).
    let tokens = "gomodel_tokens_total";
    let mini = [("provider", "openai"), ("model", "gpt-4o-mini")];
    let typed = |kind| [mini[0], mini[1], ("type", kind)];
    assert!(input_tokens > 0.0);
    assert_eq!(scraped.value(tokens, &typed("input")), input_tokens);
    assert_eq!(scraped.value(tokens, &typed("output")), output_tokens);
    let cost = "gomodel_cost_usd_total";
    let expected_input_cost = input_tokens * 0.15 / 1_000_000.0;
    assert!((scraped.value(cost, &typed("input")) - expected_input_cost).abs() < 1e-12);
    assert!(scraped.value(cost, &typed("output")) > 0.0);
    assert_eq!(scraped.sum("gomodel_unpriced_requests_total", &mini), 0.0);

    // Errors of routed requests by fault domain; the 400 was never routed.
    assert_eq!(
        scraped.value(
            "gomodel_upstream_errors_total",
            &[("provider", "openai"), ("fault", "provider")]
        ),
        1.0
    );
    assert_eq!(scraped.sum("gomodel_upstream_errors_total", &[]), 1.0);

    // Storage queues (usage is on by default) and process facts.
    assert_eq!(scraped.types["gomodel_storage_queue_depth"], "gauge");
    assert_eq!(scraped.of("gomodel_storage_queue_depth").count(), 1);
    assert_eq!(
        scraped.value("gomodel_storage_dropped_rows_total", &[("kind", "usage")]),
        0.0
    );
    assert_eq!(scraped.of("gomodel_build_info").count(), 1);
    assert!(scraped.value("gomodel_process_start_time_seconds", &[]) > 1.7e9);
    for (name, kind) in [
        ("gomodel_requests_total", "counter"),
        ("gomodel_request_duration_seconds", "histogram"),
        ("gomodel_requests_in_flight", "gauge"),
        ("gomodel_time_to_first_byte_seconds", "histogram"),
        ("gomodel_gateway_overhead_seconds", "histogram"),
    ] {
        assert_eq!(scraped.types[name], kind);
    }

    // No label carries what a client sent: prompts, user paths, model ids, raw paths.
    for sample in &scraped.samples {
        for value in sample.labels.values() {
            for secret in [
                SECRET_TEXT,
                "secret-team",
                UNKNOWN_MODEL,
                "secret-path",
                "fake-error",
            ] {
                assert!(!value.contains(secret), "{sample:?} carries {secret}");
            }
        }
    }
}

/// A model the provider lists but no catalog prices: its requests, and only those, count as
/// unpriced, and no cost series appears for it (never $0).
#[tokio::test]
async fn unpriced_model_requests_are_counted_as_unpriced() {
    const UNPRICED: &str = "davinci-002";
    let fake = fake().await;
    let mut env = openai_env(&fake);
    env.push(("METRICS_ENABLED".into(), "true".into()));
    let gateway = TestGateway::start(&as_refs(&env)).await;
    let unpriced_selector = format!("openai/{UNPRICED}");
    for model in [
        unpriced_selector.as_str(),
        unpriced_selector.as_str(),
        "openai/gpt-4o-mini",
    ] {
        let response = gateway.chat(model).await;
        assert_eq!(response.status(), 200, "{model}");
        let body: Value = response.json().await.unwrap();
        assert!(body["usage"]["total_tokens"].as_u64().unwrap() > 0);
    }
    // The premise: listed (so labelled by its id, not `other`) and without a price.
    let models: Value = gateway
        .get("/admin/api/v1/models")
        .await
        .json()
        .await
        .unwrap();
    let listed = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == UNPRICED)
        .unwrap_or_else(|| panic!("{UNPRICED} is not listed"));
    assert!(listed["pricing"].is_null(), "{listed}");
    let unpriced = "gomodel_unpriced_requests_total";
    let labels = [("provider", "openai"), ("model", UNPRICED)];
    let scraped = scrape_when(&gateway, "/metrics", |s| s.value(unpriced, &labels) >= 2.0).await;
    assert_eq!(scraped.value(unpriced, &labels), 2.0);
    assert_eq!(
        scraped.sum(unpriced, &[]),
        2.0,
        "the priced request is not unpriced"
    );
    assert_eq!(scraped.sum("gomodel_cost_usd_total", &labels), 0.0);
    assert_eq!(
        scraped
            .of("gomodel_cost_usd_total")
            .filter(|s| s.labels.get("model").map(String::as_str) == Some(UNPRICED))
            .count(),
        0,
        "no cost series for an unpriced model"
    );
    assert!(
        scraped.sum(
            "gomodel_tokens_total",
            &[("model", UNPRICED), ("type", "input")]
        ) > 0.0,
        "its tokens are still counted"
    );
}

#[tokio::test]
async fn endpoint_moves_with_base_path_and_config() {
    let fake = fake().await;
    let mut env = openai_env(&fake);
    env.extend([
        ("METRICS_ENABLED".into(), "true".into()),
        ("METRICS_ENDPOINT".into(), "ops//prometheus/".into()),
        ("BASE_PATH".into(), "/gw".into()),
    ]);
    let gateway = TestGateway::start(&as_refs(&env)).await;
    let response = gateway
        .post("/gw/v1/chat/completions", &chat_body("gpt-4o-mini"))
        .await;
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap();
    let chat_ok = [("route", CHAT), ("method", "POST"), ("status", "200")];
    let scraped = scrape_when(&gateway, "/gw/ops/prometheus", |s| {
        s.value("gomodel_http_requests_total", &chat_ok) == 1.0
    })
    .await;
    // Route labels are templates without BASE_PATH.
    assert_eq!(scraped.value("gomodel_http_requests_total", &chat_ok), 1.0);
    for path in ["/metrics", "/ops/prometheus", "/gw/metrics"] {
        let response = gateway.client.get(gateway.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn endpoint_is_absent_unless_enabled() {
    let (gateway, _fake) = gateway_and_fake().await;
    let response = gateway
        .client
        .get(gateway.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[test]
fn endpoint_under_authenticated_routes_is_refused() {
    for endpoint in ["/v1/metrics", "/p/metrics", "/admin/metrics", "/v1"] {
        let env = EnvMap::from_pairs([("METRICS_ENABLED", "true"), ("METRICS_ENDPOINT", endpoint)]);
        let err = Config::from_env(&env).expect_err(endpoint).to_string();
        assert!(err.contains("METRICS_ENDPOINT"), "{err}");
    }
}
