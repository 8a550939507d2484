//! Starting gateways and fakes for a test, and small request helpers.

use std::net::SocketAddr;

use gomodel_fake_upstream::{FakeOptions, FakeUpstream};
use gomodel_gateway::Gateway;
use gomodel_gateway::config::{Config, EnvMap};
use serde_json::{Value, json};

pub const MASTER_KEY: &str = "gm-test-master-key-0123456789";
pub const PROVIDER_KEY: &str = "sk-test-provider-key-abcdefghijklmnop";

/// A gateway running in this process, stopped on drop of the test (or explicitly).
pub struct TestGateway {
    pub gateway: Option<Gateway>,
    pub base: String,
    pub client: reqwest::Client,
    _cache_dir: tempfile::TempDir,
}

impl TestGateway {
    /// Starts a gateway configured by `env` (plus a private model-cache dir).
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let cache_dir = tempfile::tempdir().unwrap();
        Self::start_with_cache(env, cache_dir).await
    }

    pub async fn start_with_cache(env: &[(&str, &str)], cache_dir: tempfile::TempDir) -> Self {
        let mut pairs: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !env.iter().any(|(k, _)| *k == "GOMODEL_CACHE_DIR") {
            pairs.push((
                "GOMODEL_CACHE_DIR".into(),
                cache_dir.path().display().to_string(),
            ));
        }
        // No price registry fetches from tests (the network may be closed).
        if !env.iter().any(|(k, _)| *k == "MODEL_LIST_URL") {
            pairs.push(("MODEL_LIST_URL".into(), String::new()));
        }
        // Each gateway gets its own database file (never one under the source tree).
        if !env.iter().any(|(k, _)| *k == "SQLITE_PATH") {
            pairs.push((
                "SQLITE_PATH".into(),
                cache_dir.path().join("gomodel.db").display().to_string(),
            ));
        }
        let config = Config::from_env(&EnvMap::from_pairs(pairs)).expect("config");
        let gateway = Gateway::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("start");
        let base = format!("http://{}", gateway.local_addr());
        Self {
            gateway: Some(gateway),
            base,
            client: client(),
            _cache_dir: cache_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POST JSON with the master key.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(MASTER_KEY)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// `POST /v1/chat/completions` with a one-line prompt to `model`.
    pub async fn chat(&self, model: &str) -> reqwest::Response {
        self.post("/v1/chat/completions", &chat_body(model)).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(MASTER_KEY)
            .send()
            .await
            .unwrap()
    }

    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(gateway) = self.gateway.take() {
            gateway.shutdown().await;
        }
        self._cache_dir
    }
}

pub fn client() -> reqwest::Client {
    gomodel_gateway::providers::install_crypto_provider();
    reqwest::Client::builder().build().unwrap()
}

/// A fake with default options.
pub async fn fake() -> FakeUpstream {
    FakeUpstream::start().await.unwrap()
}

pub async fn fake_with(options: FakeOptions) -> FakeUpstream {
    FakeUpstream::start_with(options).await.unwrap()
}

/// The env for one OpenAI provider pointed at `fake`, with the master key set.
pub fn openai_env(fake: &FakeUpstream) -> Vec<(String, String)> {
    vec![
        ("GOMODEL_MASTER_KEY".into(), MASTER_KEY.into()),
        ("OPENAI_API_KEY".into(), PROVIDER_KEY.into()),
        ("OPENAI_BASE_URL".into(), format!("{}/v1", fake.base_url())),
    ]
}

pub fn as_refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// A gateway with one OpenAI provider in front of a fresh default fake.
pub async fn gateway_and_fake() -> (TestGateway, FakeUpstream) {
    let fake = fake().await;
    let env = openai_env(&fake);
    let gateway = TestGateway::start(&as_refs(&env)).await;
    (gateway, fake)
}

pub fn chat_body(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "Say hello"}]})
}

/// Reads an error response and checks the OpenAI envelope; returns `error`.
pub async fn expect_error(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let body: Value = response.json().await.expect("error body is JSON");
    let error = body
        .get("error")
        .cloned()
        .unwrap_or_else(|| panic!("no error envelope: {body}"));
    for field in ["message", "type", "param", "code"] {
        assert!(error.get(field).is_some(), "error lacks {field}: {body}");
    }
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    error
}

/// Splits an SSE body into its `data:` payloads.
pub fn sse_data(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter_map(|event| {
            event
                .lines()
                .find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
        })
        .map(str::to_owned)
        .collect()
}

/// The last request the fake received on a path ending with `suffix`.
pub fn last_to(fake: &FakeUpstream, suffix: &str) -> gomodel_fake_upstream::ReceivedRequest {
    fake.received()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with(suffix))
        .unwrap_or_else(|| panic!("no request to …{suffix}"))
}

/// Waits until a gateway process started by the test answers `GET {base}/health` (10 s).
pub async fn wait_until_up(client: &reqwest::Client, base: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while client.get(format!("{base}/health")).send().await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "gateway did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The body of `GET {base}/admin/api/v1{path}` with the master key, from a gateway process
/// started by the test.
pub async fn admin_text(client: &reqwest::Client, base: &str, path: &str) -> String {
    client
        .get(format!("{base}/admin/api/v1{path}"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// [`admin_text`], parsed.
pub async fn admin_json(client: &reqwest::Client, base: &str, path: &str) -> Value {
    serde_json::from_str(&admin_text(client, base, path).await).unwrap()
}

/// The env of [`openai_env`] with Anthropic on the same fake and the audit log on (flushed
/// every 100 ms), plus `extra`.
pub fn audited_env(fake: &FakeUpstream, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = openai_env(fake);
    env.extend([
        ("ANTHROPIC_API_KEY".into(), PROVIDER_KEY.into()),
        (
            "ANTHROPIC_BASE_URL".into(),
            format!("{}/v1", fake.base_url()),
        ),
        ("LOGGING_ENABLED".into(), "true".into()),
        ("LOGGING_FLUSH_INTERVAL".into(), "100ms".into()),
    ]);
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}

/// The `data:` chunks of a finished OpenAI stream (which must end with `[DONE]`), parsed.
pub fn done_chunks(text: &str) -> Vec<Value> {
    let data = sse_data(text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"), "{text}");
    data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

/// A streamed chat through `gateway`: asserts a 200 and returns its [`done_chunks`] with the
/// raw text (for assertion messages).
pub async fn stream_chat(gateway: &TestGateway, body: &Value) -> (Vec<Value>, String) {
    let response = gateway.post("/v1/chat/completions", body).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    (done_chunks(&text), text)
}
