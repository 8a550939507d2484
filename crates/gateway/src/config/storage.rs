//! Storage, usage and audit settings (reference §2.2 "Storage" and "Audit log, usage").

use std::path::PathBuf;
use std::time::Duration;

use super::values::{ConfigError, parse_bool, parse_duration};
use super::yaml::YamlConfig;
use super::{Layers, Secret};

/// Rows the usage and audit queues hold by default (`USAGE_BUFFER_SIZE`, `LOGGING_BUFFER_SIZE`).
/// GoModel's 1,000 is ~30 ms of traffic at the 30,000 req/s we serve on two cores: one pause of
/// the SQLite writer longer than that (a bulk index merge, a checkpoint's fsync on a busy disk)
/// dropped rows in the benchmark. 10,000 rides out ~300 ms; the memory is only held while
/// storage is behind (docs/decisions/0006).
pub const DEFAULT_BUFFER_ROWS: usize = 10_000;

/// Where usage and audit rows are stored.
#[derive(Debug, Clone)]
pub enum StorageConfig {
    /// `STORAGE_TYPE=sqlite` (default), file at `SQLITE_PATH`.
    Sqlite { path: PathBuf },
    /// `STORAGE_TYPE=postgresql`, `POSTGRES_URL`, `POSTGRES_MAX_CONNS`.
    Postgres { url: Secret, max_connections: u32 },
}

/// How usage rows and audit rows are written.
#[derive(Debug, Clone)]
pub struct RecordsConfig {
    /// `USAGE_ENABLED`.
    pub usage_enabled: bool,
    pub usage_buffer_size: usize,
    pub usage_flush_interval: Duration,
    /// 0 keeps rows forever.
    pub usage_retention_days: u32,
    /// `USAGE_PRICING_RECALCULATION_ENABLED` (default true, as GoModel): whether
    /// `POST /admin/api/v1/usage/recalculate-pricing` may re-price stored rows.
    pub pricing_recalculation_enabled: bool,
    /// `LOGGING_ENABLED`: the audit log.
    pub audit_enabled: bool,
    pub audit_log_bodies: bool,
    pub audit_log_headers: bool,
    pub audit_buffer_size: usize,
    pub audit_flush_interval: Duration,
    pub audit_retention_days: u32,
    /// `LOGGING_ONLY_MODEL_INTERACTIONS`: audit only model routes (and passthrough).
    pub audit_only_model_interactions: bool,
    /// `ADMIN_ENDPOINTS_ENABLED`.
    pub admin_enabled: bool,
    /// `ADMIN_UI_ENABLED`: the web dashboard at `/admin/dashboard` (needs the admin API).
    pub admin_ui_enabled: bool,
}

pub(super) fn load(
    layer: &Layers<'_>,
    yaml: &YamlConfig,
) -> Result<(StorageConfig, RecordsConfig), ConfigError> {
    let kind = layer
        .text("STORAGE_TYPE", yaml.storage.kind.as_ref())
        .map(|k| k.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "sqlite".to_owned());
    let storage = match kind.as_str() {
        "sqlite" => StorageConfig::Sqlite {
            path: layer
                .text("SQLITE_PATH", yaml.storage.sqlite.path.as_ref())
                .map_or_else(|| PathBuf::from("data/gomodel.db"), PathBuf::from),
        },
        "postgresql" | "postgres" => {
            let Some(url) = layer.text("POSTGRES_URL", yaml.storage.postgresql.url.as_ref()) else {
                return Err(ConfigError::new(
                    "POSTGRES_URL",
                    "",
                    "a PostgreSQL URL such as postgres://user:password@host:5432/gomodel (required with STORAGE_TYPE=postgresql)",
                ));
            };
            StorageConfig::Postgres {
                url: Secret::new(url),
                max_connections: layer
                    .parse(
                        "POSTGRES_MAX_CONNS",
                        "storage.postgresql.max_conns",
                        yaml.storage.postgresql.max_conns.as_ref(),
                        |k, v| positive(k, v, 1000),
                    )?
                    .map_or(10, |n| n as u32),
            }
        }
        "mongodb" => {
            return Err(ConfigError::new(
                "STORAGE_TYPE",
                "mongodb",
                "sqlite or postgresql: MongoDB is not supported by this gateway; use postgresql for a shared database",
            ));
        }
        other => {
            return Err(ConfigError::new(
                "STORAGE_TYPE",
                other,
                "sqlite or postgresql",
            ));
        }
    };
    let flag = |env: &str, key: &str, value, default| -> Result<bool, ConfigError> {
        Ok(layer.parse(env, key, value, parse_bool)?.unwrap_or(default))
    };
    let size = |env: &str, key: &str, value, default| -> Result<usize, ConfigError> {
        Ok(layer
            .parse(env, key, value, |k, v| positive(k, v, 10_000_000))?
            .unwrap_or(default))
    };
    let interval = |env: &str, key: &str, value| -> Result<Duration, ConfigError> {
        Ok(layer
            .parse(env, key, value, parse_duration)?
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::from_secs(5)))
    };
    let days = |env: &str, key: &str, value, default| -> Result<u32, ConfigError> {
        Ok(layer.parse(env, key, value, retention)?.unwrap_or(default))
    };
    let usage = &yaml.usage;
    let logging = &yaml.logging;
    let records = RecordsConfig {
        usage_enabled: flag(
            "USAGE_ENABLED",
            "usage.enabled",
            usage.enabled.as_ref(),
            true,
        )?,
        usage_buffer_size: size(
            "USAGE_BUFFER_SIZE",
            "usage.buffer_size",
            usage.buffer_size.as_ref(),
            DEFAULT_BUFFER_ROWS,
        )?,
        usage_flush_interval: interval(
            "USAGE_FLUSH_INTERVAL",
            "usage.flush_interval",
            usage.flush_interval.as_ref(),
        )?,
        usage_retention_days: days(
            "USAGE_RETENTION_DAYS",
            "usage.retention_days",
            usage.retention_days.as_ref(),
            90,
        )?,
        pricing_recalculation_enabled: flag(
            "USAGE_PRICING_RECALCULATION_ENABLED",
            "usage.pricing_recalculation_enabled",
            usage.pricing_recalculation_enabled.as_ref(),
            true,
        )?,
        audit_enabled: flag(
            "LOGGING_ENABLED",
            "logging.enabled",
            logging.enabled.as_ref(),
            false,
        )?,
        audit_log_bodies: flag(
            "LOGGING_LOG_BODIES",
            "logging.log_bodies",
            logging.log_bodies.as_ref(),
            true,
        )?,
        audit_log_headers: flag(
            "LOGGING_LOG_HEADERS",
            "logging.log_headers",
            logging.log_headers.as_ref(),
            true,
        )?,
        audit_buffer_size: size(
            "LOGGING_BUFFER_SIZE",
            "logging.buffer_size",
            logging.buffer_size.as_ref(),
            DEFAULT_BUFFER_ROWS,
        )?,
        audit_flush_interval: interval(
            "LOGGING_FLUSH_INTERVAL",
            "logging.flush_interval",
            logging.flush_interval.as_ref(),
        )?,
        audit_retention_days: days(
            "LOGGING_RETENTION_DAYS",
            "logging.retention_days",
            logging.retention_days.as_ref(),
            30,
        )?,
        audit_only_model_interactions: flag(
            "LOGGING_ONLY_MODEL_INTERACTIONS",
            "logging.only_model_interactions",
            logging.only_model_interactions.as_ref(),
            true,
        )?,
        admin_enabled: flag(
            "ADMIN_ENDPOINTS_ENABLED",
            "admin.endpoints_enabled",
            yaml.admin.endpoints_enabled.as_ref(),
            true,
        )?,
        admin_ui_enabled: flag(
            "ADMIN_UI_ENABLED",
            "admin.ui_enabled",
            yaml.admin.ui_enabled.as_ref(),
            true,
        )?,
    };
    Ok((storage, records))
}

fn positive(key: &str, value: &str, max: usize) -> Result<usize, ConfigError> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::new(
            key,
            value,
            format!("a whole number between 1 and {max}"),
        )),
    }
}

fn retention(key: &str, value: &str) -> Result<u32, ConfigError> {
    value
        .trim()
        .parse::<u32>()
        .map_err(|_| ConfigError::new(key, value, "a number of days (0 keeps rows forever)"))
}
