//! The `fake-upstream` binary: starts, announces its address on one line, and serves.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::client::get;

#[tokio::test]
async fn binary_announces_its_address_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-upstream"))
        .args(["--port", "0", "--threads", "1", "--chunks", "2"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let result = async move {
        let url = line
            .trim()
            .strip_prefix("fake-upstream listening on http://")
            .unwrap();
        let addr = url.parse().unwrap();
        assert_eq!(get(addr, "/health").await.status, 200);
        let stats = get(addr, "/__stats").await.json();
        assert_eq!(stats["requests"], 0);
    };
    // Kill the child even when an assertion fails, so no server outlives the test.
    let outcome = tokio::spawn(result).await;
    child.kill().unwrap();
    child.wait().unwrap();
    outcome.unwrap();
}

#[test]
fn binary_rejects_unknown_arguments() {
    let output = Command::new(env!("CARGO_BIN_EXE_fake-upstream"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--bogus"));
}
