//! SIGTERM: stop accepting, drain in-flight requests (streams too), exit 0.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gomodel_fake_upstream::FakeOptions;
use serde_json::json;

use crate::harness::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn sigterm_drains_in_flight_requests_and_exits_zero() {
    let fake = fake_with(FakeOptions {
        chunk_delay: Duration::from_millis(100),
        stream_chunks: Some(10),
        ..FakeOptions::default()
    })
    .await;
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gomodel"))
        .current_dir(dir.path())
        .env_clear()
        .env("PORT", port.to_string())
        .env("GOMODEL_MASTER_KEY", MASTER_KEY)
        .env("OPENAI_API_KEY", PROVIDER_KEY)
        .env("OPENAI_BASE_URL", format!("{}/v1", fake.base_url()))
        .env("SHUTDOWN_TIMEOUT", "20s")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = client();
    wait_until_up(&client, &base).await;

    let slow = tokio::spawn({
        let (client, url) = (client.clone(), format!("{base}/v1/chat/completions"));
        async move {
            client
                .post(url)
                .bearer_auth(MASTER_KEY)
                .json(&chat_body("openai/fake-slow-1500"))
                .send()
                .await
        }
    });
    let stream = tokio::spawn({
        let (client, url) = (client.clone(), format!("{base}/v1/chat/completions"));
        let mut body = chat_body("gpt-4o-mini");
        body["stream"] = json!(true);
        async move {
            let response = client
                .post(url)
                .bearer_auth(MASTER_KEY)
                .json(&body)
                .send()
                .await?;
            response.text().await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        reqwest::Client::new()
            .get(format!("{base}/health"))
            .send()
            .await
            .is_err(),
        "new connections must be refused while draining"
    );

    let slow = slow.await.unwrap().expect("in-flight request failed");
    assert_eq!(slow.status(), 200);
    let streamed = stream.await.unwrap().expect("in-flight stream failed");
    assert!(
        streamed.ends_with("data: [DONE]\n\n"),
        "stream cut short: {streamed}"
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "gateway did not exit after draining"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status.code(), Some(0));
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    assert!(logs.contains("shutdown complete"), "{logs}");
    assert!(
        !logs.contains(PROVIDER_KEY) && !logs.contains(MASTER_KEY),
        "a secret reached the log"
    );
}
