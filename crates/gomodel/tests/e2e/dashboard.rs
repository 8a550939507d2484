//! The web dashboard: the page and its assets served with strict headers under `BASE_PATH`,
//! absent when disabled, its pure JS helpers under Node, and the whole thing driven in headless
//! Chromium (`tests/dashboard/run.mjs`, playwright-core) over traffic sent through the gateway in
//! the same test.
//!
//! The browser test needs Debian's `chromium` (or `CHROMIUM_PATH`) and `npm ci` in
//! `tests/dashboard`; `.ci/run` installs both. Without them it prints a SKIPPED line, unless
//! `GOMODEL_TEST_DASHBOARD=required` (set by `.ci/run`), which makes a missing tool a failure.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::harness::*;

/// The browser run: sign-in, seven pages, two themes, a dozen screenshots.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(240);

fn repo_root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .nth(2)
        .map_or_else(|| crate_dir.join("../.."), Path::to_path_buf)
}

/// Reports a missing tool: a SKIPPED line on stderr, or a failure when CI requires the test.
fn skip(reason: &str) {
    if std::env::var("GOMODEL_TEST_DASHBOARD").is_ok_and(|v| v == "required") {
        panic!("GOMODEL_TEST_DASHBOARD=required, but {reason}");
    }
    eprintln!(
        "\n*** SKIPPED dashboard browser test: {reason}.\n*** Run `bash .ci/run`, or install chromium \
         and run `npm ci` in tests/dashboard, to enable it.\n"
    );
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn node() -> Option<PathBuf> {
    std::env::var_os("GOMODEL_TEST_NODE")
        .map(PathBuf::from)
        .or_else(|| find_in_path("node"))
}

fn chromium() -> Option<PathBuf> {
    std::env::var_os("CHROMIUM_PATH")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/bin/chromium")).filter(|p| p.is_file()))
        .or_else(|| find_in_path("chromium"))
        .filter(|p| p.is_file())
}

/// Runs a command to completion (or kills it at `timeout`), returning success and its output.
async fn run(mut command: Command, timeout: Duration) -> (bool, String) {
    // Blocking waits go to the blocking pool: the gateway under test runs on this runtime.
    tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut text = String::new();
            stdout.read_to_string(&mut text).ok();
            text
        });
        let err = std::thread::spawn(move || {
            let mut text = String::new();
            stderr.read_to_string(&mut text).ok();
            text
        });
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() > deadline {
                child.kill().ok();
                child.wait().ok();
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let output = format!(
            "{}{}{}",
            out.join().unwrap_or_default(),
            err.join().unwrap_or_default(),
            if status.is_none() {
                format!("\n(killed after {timeout:?})")
            } else {
                String::new()
            }
        );
        (status.is_some_and(|s| s.success()), output)
    })
    .await
    .unwrap()
}

async fn get_anonymous(gateway: &TestGateway, path: &str) -> reqwest::Response {
    gateway.client.get(gateway.url(path)).send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn page_and_assets_are_served_without_a_key_with_strict_headers() {
    let (gateway, _fake) = gateway_and_fake().await;
    let page = get_anonymous(&gateway, "/admin/dashboard").await;
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&page, "cache-control"), "no-cache");
    let csp = header(&page, "content-security-policy").to_owned();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "font-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<meta name="gomodel-auth" content="key">"#));
    assert!(html.contains(r#"<meta name="gomodel-base" content="">"#));
    assert!(!html.contains("{{"), "unfilled placeholder");
    assert_eq!(
        get_anonymous(&gateway, "/admin/dashboard/").await.status(),
        200
    );
    assert_eq!(
        get_anonymous(&gateway, "/admin/dashboard/usage")
            .await
            .status(),
        200,
        "old deep links still open the page"
    );

    // The entry module, linked with the asset version: cached for a year, revalidated by ETag.
    let start = html.find("/admin/static/js/main.js?v=").unwrap();
    let main_url = &html[start..html[start..].find('"').unwrap() + start];
    let main = get_anonymous(&gateway, main_url).await;
    assert_eq!(main.status(), 200);
    assert_eq!(
        header(&main, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        header(&main, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    let etag = header(&main, "etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() == 18, "{etag}");
    assert!(main.text().await.unwrap().contains("import"));
    let again = gateway
        .client
        .get(gateway.url(main_url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // Modules imported by relative URL carry no version: they must revalidate.
    let api = get_anonymous(&gateway, "/admin/static/js/api.js").await;
    assert_eq!(api.status(), 200);
    assert_eq!(header(&api, "cache-control"), "no-cache");
    let stale = get_anonymous(&gateway, "/admin/static/js/api.js?v=0000000000000000").await;
    assert_eq!(header(&stale, "cache-control"), "no-cache");
    let css = get_anonymous(&gateway, "/admin/static/css/app.css").await;
    assert_eq!(header(&css, "content-type"), "text/css; charset=utf-8");
    let svg = get_anonymous(&gateway, "/admin/static/favicon.svg").await;
    assert_eq!(header(&svg, "content-type"), "image/svg+xml");
    for missing in [
        "/admin/static/js/nope.js",
        "/admin/static/../Cargo.toml",
        "/admin/static/index.html",
    ] {
        assert_eq!(
            get_anonymous(&gateway, missing).await.status(),
            404,
            "{missing}"
        );
    }
    // The data is not anonymous.
    assert_eq!(
        get_anonymous(&gateway, "/admin/api/v1/dashboard/config")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn base_path_moves_the_dashboard_and_ui_flags_remove_it() {
    let fake = fake().await;
    let mut env = openai_env(&fake);
    env.push(("BASE_PATH".into(), "/gw".into()));
    let gateway = TestGateway::start(&as_refs(&env)).await;
    let page = get_anonymous(&gateway, "/gw/admin/dashboard").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<meta name="gomodel-base" content="/gw">"#));
    assert!(html.contains(r#"src="/gw/admin/static/js/main.js?v="#));
    assert_eq!(
        get_anonymous(&gateway, "/gw/admin/static/js/main.js")
            .await
            .status(),
        200
    );
    assert_eq!(
        get_anonymous(&gateway, "/admin/dashboard").await.status(),
        404
    );

    for flag in ["ADMIN_UI_ENABLED", "ADMIN_ENDPOINTS_ENABLED"] {
        let mut env = openai_env(&fake);
        env.push((flag.into(), "false".into()));
        let gateway = TestGateway::start(&as_refs(&env)).await;
        for path in ["/admin/dashboard", "/admin/static/js/main.js"] {
            assert_eq!(
                get_anonymous(&gateway, path).await.status(),
                404,
                "{flag}=false {path}"
            );
        }
        let api = gateway.get("/admin/api/v1/dashboard/config").await.status();
        assert_eq!(
            api,
            if flag == "ADMIN_UI_ENABLED" { 200 } else { 404 },
            "{flag}=false leaves the API as it is"
        );
    }

    // No master key: the page says so, and tells the browser the API is loopback-only.
    let env: Vec<(String, String)> = openai_env(&fake)
        .into_iter()
        .filter(|(k, _)| k != "GOMODEL_MASTER_KEY")
        .collect();
    let open = TestGateway::start(&as_refs(&env)).await;
    let html = get_anonymous(&open, "/admin/dashboard")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<meta name="gomodel-auth" content="loopback">"#));
}

#[tokio::test]
async fn javascript_helpers_pass_their_unit_tests() {
    let Some(node) = node() else {
        skip("node is not installed");
        return;
    };
    let mut command = Command::new(node);
    command
        .arg("--test")
        .arg("unit.test.mjs")
        .current_dir(repo_root().join("tests/dashboard"));
    let (ok, output) = run(command, Duration::from_secs(60)).await;
    assert!(ok, "node --test failed:\n{output}");
}

/// Sends the traffic the browser test looks for; returns the number of requests sent.
async fn send_traffic(gateway: &TestGateway, prefix: &str) -> (i64, String) {
    let post = |path: &str, body: Value, user_path: Option<&str>| {
        let mut request = gateway
            .client
            .post(gateway.url(&format!("{prefix}{path}")))
            .bearer_auth(MASTER_KEY)
            .json(&body);
        if let Some(user_path) = user_path {
            request = request.header("x-gomodel-user-path", user_path);
        }
        request.send()
    };
    let mut sent = 0;
    for _ in 0..2 {
        let response = post(
            "/v1/chat/completions",
            chat_body("openai/gpt-4o-mini"),
            Some("/team/alpha"),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 200);
        sent += 1;
    }
    let mut stream = chat_body("openai/gpt-4o-mini");
    stream["stream"] = json!(true);
    let response = post("/v1/chat/completions", stream, Some("/team/beta"))
        .await
        .unwrap();
    response.text().await.unwrap();
    let embedding = json!({"model": "openai/text-embedding-3-small", "input": "hello"});
    assert_eq!(
        post("/v1/embeddings", embedding, None)
            .await
            .unwrap()
            .status(),
        200
    );
    // No price is known for a self-hosted model: the dashboard must say "unpriced", not $0.
    assert_eq!(
        post("/v1/chat/completions", chat_body("ollama/llama3.2"), None)
            .await
            .unwrap()
            .status(),
        200
    );
    // One failing request.
    assert_eq!(
        post(
            "/v1/chat/completions",
            chat_body("openai/fake-error-400"),
            None
        )
        .await
        .unwrap()
        .status(),
        400
    );
    sent += 4;

    // A three-turn conversation linked by previous_response_id: the audit thread.
    let mut messages = vec![json!({"role": "user", "content": "Turn one: what is a gateway?"})];
    let mut previous: Option<String> = None;
    let last_question = "Turn three: and how does it keep secrets out of logs?";
    for question in [
        None,
        Some("Turn two: why route models?"),
        Some(last_question),
    ] {
        if let Some(question) = question {
            messages.push(json!({"role": "user", "content": question}));
        }
        let mut body = json!({"model": "openai/gpt-4o-mini", "messages": messages});
        if let Some(id) = &previous {
            body["previous_response_id"] = json!(id);
        }
        let reply: Value = post("/v1/chat/completions", body, Some("/team/chat"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        previous = reply["id"].as_str().map(str::to_owned);
        messages.push(reply["choices"][0]["message"].clone());
        sent += 1;
    }
    (sent, last_question.to_owned())
}

/// Waits until the usage rows and the audit rows of `expected` requests are readable.
async fn wait_for_rows(gateway: &TestGateway, prefix: &str, expected: i64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut counts = Vec::new();
        for path in ["/usage/summary", "/audit/log?limit=1"] {
            let body: Value = gateway
                .get(&format!("{prefix}/admin/api/v1{path}"))
                .await
                .json()
                .await
                .unwrap();
            counts.push(
                body["total_requests"]
                    .as_i64()
                    .or(body["total"].as_i64())
                    .unwrap_or(0),
            );
        }
        if counts.iter().all(|&n| n == expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "rows never arrived: {counts:?}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    target.join("dashboard-screenshots").join(stamp.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_headless_chromium_over_real_traffic() {
    let dir = repo_root().join("tests/dashboard");
    let Some(node) = node() else {
        skip("node is not installed");
        return;
    };
    if !dir
        .join("node_modules/playwright-core/package.json")
        .is_file()
    {
        skip("tests/dashboard/node_modules has no playwright-core (run `npm ci` there)");
        return;
    }
    let Some(chromium) = chromium() else {
        skip("chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH)");
        return;
    };

    let fake = fake().await;
    let upstream = format!("{}/v1", fake.base_url());
    // Under a BASE_PATH, so the page has to build every URL from it.
    let prefix = "/gateway";
    let gateway = TestGateway::start(&[
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("OPENAI_API_KEY", PROVIDER_KEY),
        ("OPENAI_BASE_URL", &upstream),
        ("OLLAMA_BASE_URL", &upstream),
        ("BASE_PATH", prefix),
        ("ADMIN_UI_ENABLED", "true"),
        ("LOGGING_ENABLED", "true"),
        ("LOGGING_LOG_BODIES", "true"),
        ("LOGGING_FLUSH_INTERVAL", "100ms"),
        ("USAGE_FLUSH_INTERVAL", "100ms"),
    ])
    .await;
    let (sent, last_question) = send_traffic(&gateway, prefix).await;
    wait_for_rows(&gateway, prefix, sent).await;

    let shots = screenshot_dir();
    eprintln!("dashboard screenshots: {}", shots.display());
    let expect = json!({
        "requests": sent,
        "model": "gpt-4o-mini",
        "unpriced_model": "llama3.2",
        "provider": "openai",
        "conversation_user_path": "/team/chat",
        "conversation_turns": 3,
        "conversation_text": last_question,
    });
    let mut command = Command::new(node);
    command
        .arg("run.mjs")
        .arg(gateway.url(prefix))
        .arg(MASTER_KEY)
        .arg(&shots)
        .arg(expect.to_string())
        .env("CHROMIUM_PATH", &chromium)
        .current_dir(&dir);
    let (ok, output) = run(command, BROWSER_TIMEOUT).await;
    eprintln!("{output}");
    assert!(
        ok,
        "the dashboard browser test failed (screenshots in {}):\n{output}",
        shots.display()
    );
    let taken = std::fs::read_dir(&shots).unwrap().count();
    assert!(
        taken >= 10,
        "only {taken} screenshots in {}",
        shots.display()
    );
}
