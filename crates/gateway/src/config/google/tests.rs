use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;

use gomodel_providers::ProviderSettings;
use serde_json::json;

use super::*;
use crate::config::Config;

fn draft(pairs: &[(&str, &str)]) -> GoogleDraft {
    let mut draft = GoogleDraft::default();
    for (field, value) in pairs {
        assert!(draft.set(field, value));
    }
    draft
}

#[test]
fn api_mode_from_field_or_legacy_toggle() {
    let env = EnvMap::default();
    assert_eq!(
        api_mode("GEMINI", &draft(&[]), &env).unwrap(),
        ApiMode::Native
    );
    assert_eq!(
        api_mode("GEMINI", &draft(&[("API_MODE", "openai")]), &env).unwrap(),
        ApiMode::OpenAiCompatible
    );
    assert!(api_mode("GEMINI", &draft(&[("API_MODE", "grpc")]), &env).is_err());
    let legacy = EnvMap::from_pairs([("USE_GOOGLE_GEMINI_NATIVE_API", "false")]);
    assert_eq!(
        api_mode("GEMINI", &draft(&[]), &legacy).unwrap(),
        ApiMode::OpenAiCompatible
    );
}

#[test]
fn vertex_needs_project_and_location_and_readable_keys() {
    let env = EnvMap::default();
    let err = vertex(
        "VERTEX",
        &draft(&[("PROJECT", "p")]),
        Some("http://127.0.0.1:9"),
        &env,
    )
    .unwrap_err();
    assert!(err.contains("VERTEX_LOCATION"), "{err}");
    let err = vertex(
        "VERTEX_US",
        &draft(&[
            ("PROJECT", "p"),
            ("LOCATION", "us-east1"),
            ("SERVICE_ACCOUNT_FILE", "/nope.json"),
        ]),
        None,
        &env,
    )
    .unwrap_err();
    assert!(
        err.starts_with("VERTEX_US_SERVICE_ACCOUNT_FILE (/nope.json) cannot be read"),
        "{err}"
    );
    let err = vertex(
        "VERTEX",
        &draft(&[
            ("PROJECT", "p"),
            ("LOCATION", "global"),
            (
                "SERVICE_ACCOUNT_JSON",
                r#"{"type":"service_account","private_key":"SECRET"}"#,
            ),
        ]),
        None,
        &env,
    )
    .unwrap_err();
    assert!(
        err.contains("client_email") && !err.contains("SECRET"),
        "{err}"
    );
    let adc = vertex(
        "VERTEX",
        &draft(&[("PROJECT", "p"), ("LOCATION", "global")]),
        None,
        &EnvMap::from_pairs([("GCE_METADATA_HOST", "127.0.0.1:9")]),
    )
    .unwrap();
    assert!(
        matches!(adc.credentials, GoogleCredentialSource::MetadataServer { ref host } if host == "127.0.0.1:9")
    );
    let err = vertex(
        "VERTEX",
        &draft(&[
            ("PROJECT", "p"),
            ("LOCATION", "l"),
            ("AUTH_TYPE", "api_key"),
        ]),
        None,
        &env,
    )
    .unwrap_err();
    assert!(err.contains("gcp_adc"));
}

#[test]
fn base64_variants() {
    assert_eq!(decode_base64("e30=").as_deref(), Some("{}"));
    assert_eq!(decode_base64("e30").as_deref(), Some("{}"));
    assert_eq!(decode_base64("!!"), None);
}

/// A PKCS#8 PEM RSA key made by `openssl` for this test run (as the e2e tests do: no key is
/// checked in); start-up checks parse it, so it must be real.
static PEM: LazyLock<String> = LazyLock::new(|| {
    let output = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("openssl is needed for the Vertex key tests (apt install openssl)");
    assert!(output.status.success(), "openssl genpkey failed");
    String::from_utf8(output.stdout).unwrap()
});

/// A service-account key file; `email` tells which source a resolved key came from.
fn service_account(email: &str) -> String {
    json!({"type": "service_account", "project_id": "p", "private_key_id": "k1",
        "private_key": *PEM, "client_email": email, "token_uri": "http://127.0.0.1:9/token"})
    .to_string()
}

/// What `gcloud auth application-default login` writes.
fn authorized_user(client_id: &str) -> String {
    json!({"type": "authorized_user", "client_id": client_id, "client_secret": "s",
        "refresh_token": "r", "quota_project_id": "q"})
    .to_string()
}

fn write(path: &Path, text: &str) -> String {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, text).unwrap();
    path.display().to_string()
}

/// The whole load from `pairs` (plus project and location): the Vertex instance `name`, or
/// the warnings when it was skipped.
fn load(name: &str, pairs: &[(&str, &str)]) -> Result<ProviderSettings, Vec<String>> {
    let mut env = vec![
        ("VERTEX_PROJECT", "p"),
        ("VERTEX_LOCATION", "us-central1"),
        ("VERTEX_EU_PROJECT", "p"),
        ("VERTEX_EU_LOCATION", "europe-west4"),
    ];
    env.extend_from_slice(pairs);
    let config = Config::from_env(&EnvMap::from_pairs(env)).unwrap();
    config
        .providers
        .into_iter()
        .find(|p| p.name == name)
        .ok_or(config.warnings)
}

/// The key a Vertex instance resolved: (the key file's `client_email` or `client_id`, where
/// it was read from).
fn key_of(settings: &ProviderSettings) -> (String, String) {
    match &settings.vertex.as_ref().unwrap().credentials {
        GoogleCredentialSource::KeyJson { json, origin } => {
            let file: serde_json::Value = serde_json::from_str(json.expose()).unwrap();
            let who = file["client_email"]
                .as_str()
                .or(file["client_id"].as_str())
                .unwrap();
            (who.to_owned(), origin.clone())
        }
        other => panic!("not a key: {other:?}"),
    }
}

fn metadata_host(settings: &ProviderSettings) -> String {
    match &settings.vertex.as_ref().unwrap().credentials {
        GoogleCredentialSource::MetadataServer { host } => host.clone(),
        other => panic!("not the metadata server: {other:?}"),
    }
}

#[test]
fn each_service_account_variable_resolves_to_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir.path().join("sa.json"), &service_account("file@p"));
    let vertex = load("vertex", &[("VERTEX_SERVICE_ACCOUNT_FILE", &path)]).unwrap();
    assert_eq!(
        key_of(&vertex),
        (
            "file@p".to_owned(),
            format!("VERTEX_SERVICE_ACCOUNT_FILE ({path})")
        )
    );

    let json = service_account("json@p");
    let vertex = load("vertex", &[("VERTEX_SERVICE_ACCOUNT_JSON", &json)]).unwrap();
    assert_eq!(
        key_of(&vertex),
        (
            "json@p".to_owned(),
            "VERTEX_SERVICE_ACCOUNT_JSON".to_owned()
        )
    );

    // Standard base64 wrapped at 76 columns (`base64 sa.json`), and URL-safe without padding.
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let encoded = STANDARD.encode(service_account("base64@p"));
    let wrapped: Vec<String> = encoded
        .as_bytes()
        .chunks(76)
        .map(|line| String::from_utf8(line.to_vec()).unwrap())
        .collect();
    for value in [
        wrapped.join("\n"),
        URL_SAFE_NO_PAD.encode(service_account("base64@p")),
    ] {
        let vertex = load("vertex", &[("VERTEX_SERVICE_ACCOUNT_JSON_BASE64", &value)]).unwrap();
        assert_eq!(
            key_of(&vertex),
            (
                "base64@p".to_owned(),
                "VERTEX_SERVICE_ACCOUNT_JSON_BASE64".to_owned()
            )
        );
    }

    // A suffixed instance names its own variable.
    let vertex = load(
        "vertex-eu",
        &[("VERTEX_EU_SERVICE_ACCOUNT_JSON_BASE64", &encoded)],
    )
    .unwrap();
    assert_eq!(key_of(&vertex).1, "VERTEX_EU_SERVICE_ACCOUNT_JSON_BASE64");
}

#[test]
fn service_account_sources_in_the_documented_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir.path().join("sa.json"), &service_account("file@p"));
    let json = service_account("json@p");
    let encoded = base64::engine::general_purpose::STANDARD.encode(service_account("base64@p"));
    let file = ("VERTEX_SERVICE_ACCOUNT_FILE", path.as_str());
    let inline = ("VERTEX_SERVICE_ACCOUNT_JSON", json.as_str());
    let base64 = ("VERTEX_SERVICE_ACCOUNT_JSON_BASE64", encoded.as_str());
    // _JSON_BASE64, then _JSON, then _FILE (GoModel's order).
    let who = |pairs: &[(&str, &str)]| key_of(&load("vertex", pairs).unwrap()).0;
    assert_eq!(who(&[file, inline, base64]), "base64@p");
    assert_eq!(who(&[file, inline]), "json@p");
    assert_eq!(who(&[file]), "file@p");
    // A source that loses is not read: a stale file path does not stop the instance.
    assert_eq!(
        who(&[("VERTEX_SERVICE_ACCOUNT_FILE", "/nope.json"), inline]),
        "json@p"
    );
    // A key implies gcp_service_account; an explicit gcp_adc ignores it.
    let host = ("GCE_METADATA_HOST", "127.0.0.1:9");
    let explicit = ("VERTEX_AUTH_TYPE", "gcp_service_account");
    assert_eq!(who(&[explicit, inline, host]), "json@p");
    let adc = load("vertex", &[("VERTEX_AUTH_TYPE", "gcp_adc"), inline, host]).unwrap();
    assert_eq!(metadata_host(&adc), "127.0.0.1:9");
    // gcp_service_account without a key skips the instance, saying which variables to set.
    let warnings = load("vertex", &[explicit]).unwrap_err();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("VERTEX_SERVICE_ACCOUNT_FILE, _JSON or _JSON_BASE64")),
        "{warnings:?}"
    );
}

#[test]
fn adc_reads_the_variable_then_gclouds_file_then_the_metadata_server() {
    let dir = tempfile::tempdir().unwrap();
    let account = write(&dir.path().join("sa.json"), &service_account("adc@p"));
    let gcloud = dir.path().join("gcloud");
    write(
        &gcloud.join("application_default_credentials.json"),
        &authorized_user("gcloud-config"),
    );
    let gcloud = gcloud.display().to_string();
    let home = dir.path().join("home");
    let home_file = write(
        &home.join(".config/gcloud/application_default_credentials.json"),
        &authorized_user("gcloud-home"),
    );
    let home = home.display().to_string();
    let empty = dir.path().join("empty").display().to_string();
    let key = |pairs: &[(&str, &str)]| key_of(&load("vertex", pairs).unwrap());

    // GOOGLE_APPLICATION_CREDENTIALS (here a service account) comes first.
    assert_eq!(
        key(&[
            ("GOOGLE_APPLICATION_CREDENTIALS", &account),
            ("CLOUDSDK_CONFIG", &gcloud),
            ("HOME", &home),
        ]),
        (
            "adc@p".to_owned(),
            format!("GOOGLE_APPLICATION_CREDENTIALS ({account})")
        )
    );
    // Then gcloud's well-known file: in $CLOUDSDK_CONFIG when set, else ~/.config/gcloud.
    assert_eq!(
        key(&[("CLOUDSDK_CONFIG", &gcloud), ("HOME", &home)]).0,
        "gcloud-config"
    );
    assert_eq!(
        key(&[("HOME", &home)]),
        (
            "gcloud-home".to_owned(),
            format!("gcloud's application default credentials ({home_file})")
        )
    );
    // A CLOUDSDK_CONFIG without the file hides ~/.config/gcloud, as in gcloud itself.
    let settings = load("vertex", &[("CLOUDSDK_CONFIG", &empty), ("HOME", &home)]).unwrap();
    assert_eq!(metadata_host(&settings), "metadata.google.internal");
    // No file anywhere: the metadata server, at GCE_METADATA_HOST when set.
    let settings = load("vertex", &[("HOME", &empty)]).unwrap();
    assert_eq!(metadata_host(&settings), "metadata.google.internal");
    let settings = load("vertex", &[("GCE_METADATA_HOST", "127.0.0.1:9")]).unwrap();
    assert_eq!(metadata_host(&settings), "127.0.0.1:9");
    // A variable naming a missing file skips the instance rather than falling back.
    let warnings = load(
        "vertex",
        &[
            ("GOOGLE_APPLICATION_CREDENTIALS", "/nope.json"),
            ("HOME", &home),
        ],
    )
    .unwrap_err();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("GOOGLE_APPLICATION_CREDENTIALS (/nope.json) cannot be read")),
        "{warnings:?}"
    );
}
