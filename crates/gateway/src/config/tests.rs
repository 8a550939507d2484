//! Tests of the whole load: defaults, YAML, env precedence, errors.

use std::time::Duration;

use super::*;

fn load_with_yaml(yaml: &str, env: &EnvMap) -> Result<Config, LoadError> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(dir.path().join("config/config.yaml"), yaml).unwrap();
    Config::load(
        env,
        &LoadOptions {
            config_file: None,
            working_dir: dir.path().to_path_buf(),
        },
    )
}

#[test]
fn defaults_without_anything() {
    let config = Config::from_env(&EnvMap::default()).unwrap();
    assert_eq!(config.server.port, 8080);
    assert_eq!(config.server.base_path, "/");
    assert_eq!(config.server.body_size_limit, 10 * 1024 * 1024);
    assert!(config.server.master_key.is_none());
    assert_eq!(config.http.timeout, Duration::from_secs(600));
    assert_eq!(config.models.refresh_interval, Duration::from_secs(3600));
    assert_eq!(
        config.models.configured_provider_models_mode,
        ConfiguredModelsMode::Fallback
    );
    assert!(config.usage.enforce_returning_usage_data);
    assert!(config.providers.is_empty());
}

#[test]
fn env_wins_over_yaml_and_yaml_http_timeouts_work() {
    let yaml = "server:\n  port: 9000\n  base_path: /yaml\n  master_key: ${MK:-from-default}\nhttp:\n  timeout: 45s\n  response_header_timeout: 20\nproviders:\n  openai:\n    type: openai\n    api_key: ${OPENAI_KEY_FROM_ENV}\n";
    let env = EnvMap::from_pairs([("PORT", "9100"), ("OPENAI_KEY_FROM_ENV", "sk-123")]);
    let config = load_with_yaml(yaml, &env).unwrap();
    assert_eq!(config.server.port, 9100);
    assert_eq!(config.server.base_path, "/yaml");
    assert_eq!(
        config.server.master_key.as_ref().unwrap().expose(),
        "from-default"
    );
    assert_eq!(config.http.timeout, Duration::from_secs(45));
    assert_eq!(config.http.response_header_timeout, Duration::from_secs(20));
    assert_eq!(config.providers[0].api_key.expose(), "sk-123");
    assert!(config.config_file.unwrap().ends_with("config/config.yaml"));
}

#[test]
fn invalid_values_name_the_variable_and_what_it_accepts() {
    let cases = [
        ("PORT", "http", "TCP port"),
        ("BODY_SIZE_LIMIT", "huge", "size"),
        ("LOG_LEVEL", "loud", "debug, info"),
        ("LOG_FORMAT", "xml", "text or json"),
        ("HTTP_TIMEOUT", "0", "greater than zero"),
        ("HTTP_RESPONSE_HEADER_TIMEOUT", "soon", "duration"),
        (
            "CONFIGURED_PROVIDER_MODELS_MODE",
            "some",
            "fallback or allowlist",
        ),
        ("CACHE_REFRESH_INTERVAL", "often", "duration"),
        ("ENFORCE_RETURNING_USAGE_DATA", "perhaps", "true or false"),
    ];
    for (key, value, expected) in cases {
        let err = Config::from_env(&EnvMap::from_pairs([(key, value)]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(key) && err.contains(value) && err.contains(expected),
            "{err}"
        );
    }
}

#[test]
fn yaml_errors_name_the_key_and_file() {
    let err = load_with_yaml("server:\n  port: many\n", &EnvMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("server.port") && err.contains("config.yaml"),
        "{err}"
    );
    let err = load_with_yaml("server: [unclosed\n", &EnvMap::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("not valid configuration YAML"), "{err}");
}

#[test]
fn effective_config_masks_every_secret() {
    let env = EnvMap::from_pairs([
        ("GOMODEL_MASTER_KEY", "master-secret-value-1234"),
        ("OPENAI_API_KEY", "sk-provider-secret-value-9876"),
    ]);
    let config = Config::from_env(&env).unwrap();
    let text = effective_config(&config).to_string();
    assert!(
        !text.contains("master-secret-value") && !text.contains("sk-provider-secret"),
        "{text}"
    );
    assert!(text.contains("***1234") && text.contains("***9876"));
}

#[test]
fn storage_settings() {
    let config = Config::from_env(&EnvMap::default()).unwrap();
    assert!(
        matches!(&config.storage, StorageConfig::Sqlite { path } if path.ends_with("data/gomodel.db"))
    );
    assert!(config.records.usage_enabled && !config.records.audit_enabled);
    let env = EnvMap::from_pairs([
        ("STORAGE_TYPE", "postgresql"),
        ("POSTGRES_URL", "postgres://u:pw@db/g"),
        ("POSTGRES_MAX_CONNS", "4"),
    ]);
    let config = Config::from_env(&env).unwrap();
    assert!(matches!(
        &config.storage,
        StorageConfig::Postgres {
            max_connections: 4,
            ..
        }
    ));
    let text = effective_config(&config).to_string();
    assert!(!text.contains("pw@db"), "{text}");
    let err = Config::from_env(&EnvMap::from_pairs([("STORAGE_TYPE", "mongodb")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("use postgresql"), "{err}");
    let err = Config::from_env(&EnvMap::from_pairs([("STORAGE_TYPE", "postgresql")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("POSTGRES_URL"), "{err}");
    let err = Config::from_env(&EnvMap::from_pairs([("USAGE_BUFFER_SIZE", "0")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("USAGE_BUFFER_SIZE"), "{err}");

    // Queues default to 10,000 rows (not GoModel's 1,000: docs/decisions/0006); set ones win.
    let config = Config::from_env(&EnvMap::from_pairs([("LOGGING_BUFFER_SIZE", "1000")])).unwrap();
    assert_eq!(config.records.usage_buffer_size, 10_000);
    assert_eq!(config.records.audit_buffer_size, 1000);
}

#[test]
fn yaml_model_pricing_and_model_list_url() {
    let yaml = "providers:\n  local:\n    type: vllm\n    base_url: http://gpu:8000/v1\n    models:\n      - id: my-llama\n        metadata:\n          pricing:\n            input_per_mtok: 0.2\n            output_per_mtok: 0.4\n      - plain-model\n";
    let config = load_with_yaml(yaml, &EnvMap::default()).unwrap();
    assert_eq!(config.configured_prices.len(), 1);
    let (provider, model, price) = &config.configured_prices[0];
    assert_eq!(
        (provider.as_str(), model.as_str(), price.input, price.output),
        ("local", "my-llama", Some(0.2), Some(0.4))
    );
    assert_eq!(config.providers[0].models, ["my-llama", "plain-model"]);
    assert_eq!(
        config.model_list_url.as_deref(),
        Some(DEFAULT_MODEL_LIST_URL)
    );
    let disabled = Config::from_env(&EnvMap::from_pairs([("MODEL_LIST_URL", "")])).unwrap();
    assert_eq!(disabled.model_list_url, None);
}

#[test]
fn yaml_model_pricing_is_checked_like_an_override() {
    let with = |pricing: &str| {
        format!(
            "providers:\n  local:\n    type: vllm\n    base_url: http://gpu:8000/v1\n    models:\n      - id: my-llama\n        metadata:\n          pricing:\n{pricing}"
        )
    };
    // GoModel's currency key and the full set of token fields.
    let config = load_with_yaml(
        &with("            currency: USD\n            input_per_mtok: 0.2\n            output_per_mtok: 0.4\n            cached_input_per_mtok: 0.05\n            cache_write_per_mtok: 0.25\n            reasoning_output_per_mtok: 0.5\n            batch_input_per_mtok: 0.1\n            batch_output_per_mtok: 0.2\n"),
        &EnvMap::default(),
    )
    .unwrap();
    let (_, _, price) = &config.configured_prices[0];
    assert_eq!(
        (
            price.cached_input,
            price.cache_write,
            price.reasoning,
            price.batch_output
        ),
        (Some(0.05), Some(0.25), Some(0.5), Some(0.2))
    );
    // (pricing lines, what the error names)
    for (pricing, names) in [
        ("            input_per_mtk: 0.2\n", "input_per_mtk"),
        ("            input_per_mtok: -1\n", "pricing.input_per_mtok"),
        (
            "            input_per_mtok: 1\n            per_request: 0.01\n",
            "per_request",
        ),
        (
            "            currency: EUR\n            input_per_mtok: 1\n",
            "currency",
        ),
    ] {
        let err = load_with_yaml(&with(pricing), &EnvMap::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(names), "{pricing}: {err}");
    }
}

#[test]
fn pricing_recalculation_flag() {
    let config = Config::from_env(&EnvMap::default()).unwrap();
    assert!(
        config.records.pricing_recalculation_enabled,
        "GoModel's default"
    );
    let config = Config::from_env(&EnvMap::from_pairs([(
        "USAGE_PRICING_RECALCULATION_ENABLED",
        "false",
    )]))
    .unwrap();
    assert!(!config.records.pricing_recalculation_enabled);
    let config = load_with_yaml(
        "usage:\n  pricing_recalculation_enabled: false\n",
        &EnvMap::default(),
    )
    .unwrap();
    assert!(!config.records.pricing_recalculation_enabled);
    let err = Config::from_env(&EnvMap::from_pairs([(
        "USAGE_PRICING_RECALCULATION_ENABLED",
        "maybe",
    )]))
    .unwrap_err()
    .to_string();
    assert!(err.contains("USAGE_PRICING_RECALCULATION_ENABLED"), "{err}");
}

#[test]
fn dashboard_flag_needs_the_admin_api() {
    let config = Config::from_env(&EnvMap::default()).unwrap();
    assert!(config.records.admin_enabled && config.records.admin_ui_enabled);
    let config = Config::from_env(&EnvMap::from_pairs([("ADMIN_UI_ENABLED", "false")])).unwrap();
    assert!(config.records.admin_enabled && !config.records.admin_ui_enabled);
    let config = load_with_yaml("admin:\n  ui_enabled: false\n", &EnvMap::default()).unwrap();
    assert!(!config.records.admin_ui_enabled);
    let config =
        Config::from_env(&EnvMap::from_pairs([("ADMIN_ENDPOINTS_ENABLED", "false")])).unwrap();
    assert!(!config.records.admin_ui_enabled, "forced off with the API");
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.contains("ADMIN_UI_ENABLED")),
        "{:?}",
        config.warnings
    );
}
