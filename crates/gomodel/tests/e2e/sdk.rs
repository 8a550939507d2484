//! The official OpenAI Python SDK against the gateway: chat, streaming chat, embeddings, and
//! the errors it raises. The SDK comes from PyPI: `.ci/run` installs it and sets
//! `GOMODEL_TEST_PYTHON`; otherwise this test creates a venv under the target dir and installs
//! it there (network to PyPI needed once).

use std::path::PathBuf;
use std::process::Command;

use crate::harness::*;

/// A Python interpreter that can `import openai`.
fn python_with_openai() -> PathBuf {
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
