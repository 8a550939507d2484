//! The gateway's own `/openapi.json` checked by two PyPI tools: openapi-spec-validator (the
//! document is valid OpenAPI 3.1) and schemathesis (property-based requests to every `/v1` and
//! admin operation; none may answer 5xx). `.ci/run` installs both in its venv and sets
//! `GOMODEL_TEST_PYTHON` (that venv's Python, which must then have the validator) and
//! `GOMODEL_TEST_SCHEMATHESIS` (the executable, or `required`); elsewhere a test whose tool is
//! missing says loudly on stderr that it was skipped.

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

/// The validator package pinned in `.ci/run`.
const VALIDATOR: &str = "openapi-spec-validator==0.9.0";

/// A Python that can `import openapi_spec_validator`: `GOMODEL_TEST_PYTHON` when set (it must
/// have it: CI installs it there), else `python3` when it has it, else `None` after a loud
/// skip notice.
fn python_with_validator() -> Option<PathBuf> {
    let has_validator = |python: &PathBuf| {
        Command::new(python)
            .args(["-c", "import openapi_spec_validator"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if let Some(python) = std::env::var_os("GOMODEL_TEST_PYTHON") {
        let python = PathBuf::from(python);
        assert!(
            has_validator(&python),
            "GOMODEL_TEST_PYTHON={} cannot import openapi_spec_validator: pip install '{VALIDATOR}' there (.ci/run does)",
            python.display()
        );
        return Some(python);
    }
    let python = PathBuf::from("python3");
    if has_validator(&python) {
        return Some(python);
    }
    eprintln!(
        "SKIPPED openapi-spec-validator: not installed (pip install '{VALIDATOR}', or set GOMODEL_TEST_PYTHON to a Python that has it)"
    );
    None
}

/// The served document, with every optional route on, is valid OpenAPI (3.1 schema and
/// semantic checks such as unique operation ids and declared path parameters).
#[tokio::test]
async fn openapi_document_passes_openapi_spec_validator() {
    let Some(python) = python_with_validator() else {
        return;
    };
    let fake = fake().await;
    let mut env = openai_env(&fake);
    for (k, v) in [
        ("SWAGGER_ENABLED", "true"),
        ("METRICS_ENABLED", "true"),
        ("ADMIN_UI_ENABLED", "true"),
        ("PASSTHROUGH_ENABLED_PROVIDERS", "openai"),
        ("BASE_PATH", "/gw"),
    ] {
        env.push((k.into(), v.into()));
    }
    let gateway = TestGateway::start(&as_refs(&env)).await;
    let response = gateway
        .client
        .get(gateway.url("/gw/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let document = response.bytes().await.unwrap();
    let output = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = Command::new(python)
            .args([
                "-c",
                "import json, sys\n\
                 from openapi_spec_validator import validate\n\
                 from openapi_spec_validator.versions.shortcuts import get_spec_version\n\
                 spec = json.load(sys.stdin)\n\
                 validate(spec)\n\
                 print(get_spec_version(spec))",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&document).unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "openapi-spec-validator rejects /openapi.json:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("3.1"), "validated as {stdout}");
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
