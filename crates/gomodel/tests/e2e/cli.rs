//! The binary's CLI: `gomodel config` prints the effective configuration with secrets masked;
//! invalid values stop start-up with a message naming the variable.

use std::process::{Command, Output};

fn gomodel(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gomodel"));
    command.args(args).current_dir(dir).env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run gomodel")
}

#[test]
fn config_command_merges_yaml_env_and_dotenv_and_masks_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/config.yaml"),
        "server:\n  port: 9000\n  body_size_limit: 5M\nhttp:\n  timeout: 90s\nproviders:\n  primary:\n    type: openai\n    api_key: ${PRIMARY_KEY}\n    base_url: ${PRIMARY_URL:-http://primary.example/v1}\n    models: [gpt-4o]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "PRIMARY_KEY=sk-from-dotenv-secret-000111\nPORT=9100\nGOMODEL_MASTER_KEY=dotenv-master\n",
    )
    .unwrap();
    let output = gomodel(
        dir.path(),
        &["config"],
        &[
            ("PORT", "9200"),
            ("GOMODEL_MASTER_KEY", "env-master-secret-key-42"),
            ("GROQ_EAST_API_KEY", "gsk_secretsecretsecret99"),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        config["server"]["port"], 9200,
        "real env beats .env and YAML"
    );
    assert_eq!(config["server"]["body_size_limit"], 5 * 1024 * 1024);
    assert_eq!(config["http"]["timeout_seconds"], 90.0);
    let providers = config["providers"].as_array().unwrap();
    let names: Vec<&str> = providers
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["groq-east", "primary"]);
    assert_eq!(providers[1]["base_url"], "http://primary.example/v1");
    for secret in [
        "sk-from-dotenv-secret",
        "env-master-secret",
        "gsk_secretsecret",
        "dotenv-master",
    ] {
        assert!(!text.contains(secret), "{secret} printed: {text}");
    }
    assert_eq!(config["server"]["master_key"], "***y-42");
}

#[test]
fn invalid_values_stop_start_up_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value, expected) in [
        ("PORT", "eighty", "TCP port"),
        ("BODY_SIZE_LIMIT", "200M", "1K and 100M"),
        ("LOG_LEVEL", "verbose", "debug, info, warn or error"),
        ("HTTP_TIMEOUT", "forever", "duration"),
    ] {
        let output = gomodel(dir.path(), &["serve"], &[(key, value)]);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(key) && stderr.contains(value) && stderr.contains(expected),
            "{stderr}"
        );
    }
    let output = gomodel(dir.path(), &["bogus"], &[]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn version_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let version = gomodel(dir.path(), &["version"], &[]);
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("gomodel "));
    let help = gomodel(dir.path(), &["--help"], &[]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("config"));
}

/// A port another process listens on is refused at start-up with a message naming it, rather
/// than shared: the workers' `SO_REUSEPORT` would otherwise let the kernel split connections
/// between the two processes.
#[test]
fn a_port_in_use_stops_start_up() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    // A listener that allows sharing, as a running gateway's workers do.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    drop(taken);
    let shared = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_reuseport(true).unwrap();
        socket
            .bind(format!("127.0.0.1:{port}").parse().unwrap())
            .unwrap();
        socket.listen(16).unwrap()
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gomodel.db").display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gomodel"))
        .current_dir(dir.path())
        .env_clear()
        .envs([
            ("PORT", port.as_str()),
            ("SQLITE_PATH", db.as_str()),
            ("MODEL_LIST_URL", ""),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Before the check the gateway started and served (sharing the port); stop it then.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    drop(shared);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(":{port}")) && stderr.contains("cannot listen"),
        "{stderr}"
    );
}
