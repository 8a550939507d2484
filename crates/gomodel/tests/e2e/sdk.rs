//! The official OpenAI Python SDK against the gateway: chat, streaming chat, embeddings, and
//! the errors it raises. The SDK comes from PyPI: `.ci/run` installs it and sets
//! `GOMODEL_TEST_PYTHON`; otherwise this test creates a venv under the target dir and installs
//! it there (network to PyPI needed once).

use std::path::PathBuf;
use std::process::Command;

use crate::harness::*;

/// A Python interpreter that can `import openai`.
pub(crate) fn python_with_openai() -> PathBuf {
    if let Some(python) = std::env::var_os("GOMODEL_TEST_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("py-sdk");
    let python = venv.join("bin/python");
    let has_openai = |python: &PathBuf| {
        Command::new(python)
            .args(["-c", "import openai"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if has_openai(&python) {
        return python;
    }
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status();
    assert!(
        created.is_ok_and(|s| s.success()),
        "python3 -m venv failed: install python3 (with venv) to run the SDK test"
    );
    let installed = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "openai", "anthropic"])
        .status();
    assert!(
        installed.is_ok_and(|s| s.success()),
        "pip install openai failed"
    );
    assert!(has_openai(&python));
    python
}

#[tokio::test]
async fn official_openai_python_sdk_works_against_the_gateway() {
    let python = python_with_openai();
    let (gateway, fake) = gateway_and_fake().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/sdk_openai.py");
    let base = gateway.url("/v1");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args([
                script,
                &base,
                MASTER_KEY,
                "gpt-4o-mini",
                "text-embedding-3-small",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "SDK script failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["chat_content"], "Hello, World!");
    assert!(result["chat_usage_total"].as_u64().unwrap() > 0);
    assert_eq!(result["stream_content"], "Hello, World!");
    assert!(result["stream_usage_total"].as_u64().unwrap() > 0);
    assert_eq!(result["embedding_count"], 2);
    assert_eq!(result["embedding_dim"], 1536);
    assert_eq!(result["bad_model_error"], "model_not_found");
    assert_eq!(result["bad_key_error"], 401);
    assert!(
        fake.received()
            .iter()
            .all(|r| r.header("authorization") != Some(&format!("Bearer {MASTER_KEY}")))
    );
}

fn run_script(python: PathBuf, script: &'static str, args: Vec<String>) -> serde_json::Value {
    let output = Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A gateway with an Anthropic provider and an OpenAI provider on one fake.
async fn anthropic_gateway() -> (TestGateway, gomodel_fake_upstream::FakeUpstream) {
    let fake = fake().await;
    let base = format!("{}/v1", fake.base_url());
    let gateway = TestGateway::start(&[
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("ANTHROPIC_API_KEY", PROVIDER_KEY),
        ("ANTHROPIC_BASE_URL", &base),
        ("OPENAI_API_KEY", PROVIDER_KEY),
        ("OPENAI_BASE_URL", &base),
    ])
    .await;
    (gateway, fake)
}

#[tokio::test]
async fn official_anthropic_python_sdk_against_messages_and_passthrough() {
    let python = python_with_openai();
    let (gateway, _fake) = anthropic_gateway().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/sdk_anthropic.py");
    for (base, model) in [
        (gateway.base.clone(), "anthropic/claude-sonnet-4-5"),
        (gateway.base.clone(), "openai/gpt-4o-mini"),
        (gateway.url("/p/anthropic"), "claude-sonnet-4-5"),
    ] {
        let args = vec![base.clone(), MASTER_KEY.to_owned(), model.to_owned()];
        let python = python.clone();
        let result = tokio::task::spawn_blocking(move || run_script(python, script, args))
            .await
            .unwrap();
        let label = format!("{base} {model}");
        assert!(
            result["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Hello")),
            "{label}: {result}"
        );
        assert_eq!(result["stop_reason"], "end_turn", "{label}");
        assert!(
            result["stream_text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Hello")),
            "{label}: {result}"
        );
        assert_eq!(result["stream_stop_reason"], "end_turn", "{label}");
        assert_eq!(result["tool_stop_reason"], "tool_use", "{label}: {result}");
        let calls = result["tool_calls"].as_array().unwrap();
        assert!(
            !calls.is_empty() && calls.iter().all(|c| c["input"]["location"].is_string()),
            "{label}: {result}"
        );
        assert!(result["followup_stop_reason"].is_string(), "{label}");
        assert_eq!(
            result["bad_model_error"],
            if base.ends_with("/p/anthropic") {
                serde_json::Value::Null
            } else {
                serde_json::json!(400)
            },
            "{label}: {result}"
        );
    }
}

#[tokio::test]
async fn official_openai_python_sdk_against_an_anthropic_model() {
    let python = python_with_openai();
    let (gateway, _fake) = anthropic_gateway().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/sdk_openai.py");
    let args = vec![
        gateway.url("/v1"),
        MASTER_KEY.to_owned(),
        "anthropic/claude-sonnet-4-5".to_owned(),
        "openai/text-embedding-3-small".to_owned(),
    ];
    let result = tokio::task::spawn_blocking(move || run_script(python, script, args))
        .await
        .unwrap();
    assert_eq!(result["chat_content"], "Hello World");
    assert_eq!(result["stream_content"], "Hello World");
    assert!(result["stream_usage_total"].as_u64().unwrap() > 0);
}
