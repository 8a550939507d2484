//! Schemathesis (PyPI) against the gateway's own `/openapi.json`: property-based requests to
//! every `/v1` and admin operation; none may answer 5xx. `.ci/run` installs it and sets
//! `GOMODEL_TEST_SCHEMATHESIS` to its executable; elsewhere the test says loudly that it was
//! skipped (or fails, when that variable is `required`).

use std::path::PathBuf;
use std::process::Command;

use crate::harness::*;

fn schemathesis() -> Option<PathBuf> {
    match std::env::var("GOMODEL_TEST_SCHEMATHESIS") {
        Ok(path) if path != "required" => return Some(PathBuf::from(path)),
        Ok(_) => panic!("GOMODEL_TEST_SCHEMATHESIS=required but no schemathesis path was given"),
        Err(_) => {}
    }
    let on_path = Command::new("schemathesis").arg("--version").output();
    if on_path.is_ok_and(|o| o.status.success()) {
        return Some(PathBuf::from("schemathesis"));
    }
    eprintln!(
        "SKIPPED schemathesis: not installed (pip install schemathesis, or set GOMODEL_TEST_SCHEMATHESIS)"
    );
    None
}

#[tokio::test]
async fn schemathesis_finds_no_server_errors() {
    let Some(schemathesis) = schemathesis() else {
        return;
    };
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("st.db").display().to_string();
    let mut env = openai_env(&fake);
    env.push(("SQLITE_PATH".into(), db));
    env.push(("LOGGING_ENABLED".into(), "true".into()));
    let gateway = TestGateway::start(&as_refs(&env)).await;
    // Wait for the model list, so /v1 requests reach the fake rather than waiting.
    for _ in 0..100 {
        if gateway
            .client
            .get(gateway.url("/health/ready"))
            .send()
            .await
            .unwrap()
            .status()
            == 200
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let schema = gateway.url("/openapi.json");
    let base = gateway.base.clone();
    let report = dir.path().join("report");
    // Schemathesis keeps its example database in the working directory: a temporary one.
    let workdir = dir.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(schemathesis)
            .args([
                "run",
                &schema,
                "--url",
                &base,
                "--checks",
                "not_a_server_error",
                "-H",
                &format!("Authorization: Bearer {MASTER_KEY}"),
                "--include-path-regex",
                "^/(v1|admin/api)/",
                "--max-examples",
                "15",
                "--seed",
                "20261203",
                "--request-timeout",
                "20",
                "--report-dir",
                report.to_str().unwrap(),
            ])
            .env("NO_COLOR", "1")
            .current_dir(workdir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
