//! The effective configuration as JSON, for `gomodel config`: every value the gateway will use,
//! with every secret masked.

use serde_json::{Value, json};

use gomodel_providers::google_auth::GoogleCredentialSource;
use gomodel_providers::{ApiMode, BedrockAuth, ProviderKind};

use super::{Config, ConfiguredModelsMode, LogFormat, LogLevel};

pub fn effective_config(config: &Config) -> Value {
    let providers: Vec<Value> = config
        .providers
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "type": p.kind.as_str(),
                "base_url": p.base_url,
                "api_key": p.api_key.masked(),
                "api_version": p.api_version,
                "models": p.models,
                "api_mode": matches!(p.kind, ProviderKind::Gemini | ProviderKind::Vertex).then(|| match p.api_mode {
                    ApiMode::Native => "native",
                    ApiMode::OpenAiCompatible => "openai_compatible",
                }),
                // Where the credential comes from, never the credential.
                "vertex": p.vertex.as_ref().map(|v| json!({
                    "project": v.project,
                    "location": v.location,
                    "credentials": match &v.credentials {
                        GoogleCredentialSource::KeyJson { origin, .. } => origin.clone(),
                        GoogleCredentialSource::MetadataServer { host } => format!("metadata server ({host})"),
                    },
                })),
                "bedrock": p.bedrock.as_ref().map(|b| json!({
                    "region": b.region,
                    "control_url": b.control_url,
                    "credentials": match &b.auth {
                        BedrockAuth::ApiKey(key) => format!("Bedrock API key {}", key.masked()),
                        BedrockAuth::Aws(source) => source.describe(),
                    },
                })),
            })
        })
        .collect();
    json!({
        "config_file": config.config_file.as_ref().map(|p| p.display().to_string()),
        "server": {
            "port": config.server.port,
            "base_path": config.server.base_path,
            "master_key": config.server.master_key.as_ref().map(|k| k.masked()),
            "body_size_limit": config.server.body_size_limit,
            "shutdown_timeout_seconds": config.server.shutdown_timeout.as_secs_f64(),
            "worker_threads": config.server.worker_threads,
        },
        "logging": {
            "level": match config.logging.level {
                LogLevel::Debug => "debug",
                LogLevel::Info => "info",
                LogLevel::Warn => "warn",
                LogLevel::Error => "error",
            },
            "format": match config.logging.format {
                LogFormat::Auto => "auto",
                LogFormat::Text => "text",
                LogFormat::Json => "json",
            },
        },
        "http": {
            "timeout_seconds": config.http.timeout.as_secs_f64(),
            "response_header_timeout_seconds": config.http.response_header_timeout.as_secs_f64(),
        },
        "models": {
            "configured_provider_models_mode": match config.models.configured_provider_models_mode {
                ConfiguredModelsMode::Fallback => "fallback",
                ConfiguredModelsMode::Allowlist => "allowlist",
            },
            "refresh_interval_seconds": config.models.refresh_interval.as_secs_f64(),
            "cache_dir": config.models.cache_dir.display().to_string(),
        },
        "usage": {
            "enforce_returning_usage_data": config.usage.enforce_returning_usage_data,
        },
        "storage": match &config.storage {
            super::StorageConfig::Sqlite { path } => json!({"type": "sqlite", "path": path.display().to_string()}),
            super::StorageConfig::Postgres { url, max_connections } => json!({
                "type": "postgresql", "url": url.masked(), "max_connections": max_connections,
            }),
        },
        "records": {
            "usage_enabled": config.records.usage_enabled,
            "usage_buffer_size": config.records.usage_buffer_size,
            "usage_flush_interval_seconds": config.records.usage_flush_interval.as_secs_f64(),
            "usage_retention_days": config.records.usage_retention_days,
            "pricing_recalculation_enabled": config.records.pricing_recalculation_enabled,
            "audit_enabled": config.records.audit_enabled,
            "audit_log_bodies": config.records.audit_log_bodies,
            "audit_log_headers": config.records.audit_log_headers,
            "audit_retention_days": config.records.audit_retention_days,
            "audit_only_model_interactions": config.records.audit_only_model_interactions,
            "admin_enabled": config.records.admin_enabled,
            "admin_ui_enabled": config.records.admin_ui_enabled,
        },
        "metrics": {
            "enabled": config.metrics.enabled,
            "endpoint": config.metrics.endpoint,
        },
        "model_list_url": config.model_list_url,
        "configured_prices": config.configured_prices.len(),
        "passthrough": {
            "enabled": config.passthrough.enabled,
            "allow_v1_alias": config.passthrough.allow_v1_alias,
            "enabled_providers": config.passthrough.enabled_providers,
        },
        "translation_mode": match config.provider_options.strictness {
            gomodel_protocol::report::Strictness::Strict => "strict",
            gomodel_protocol::report::Strictness::Lenient => "lenient",
        },
        "anthropic_default_max_tokens": config.provider_options.anthropic_default_max_tokens,
        "providers": providers,
        "openrouter": {
            "site_url": config.provider_options.openrouter_site_url,
            "app_name": config.provider_options.openrouter_app_name,
        },
        "warnings": config.warnings,
    })
}
