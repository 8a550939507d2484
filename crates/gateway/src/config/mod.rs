//! Configuration: read once at start into a typed [`Config`]; nothing else reads env vars.
//!
//! Precedence (GoModel's, reference §2.1): code defaults, then the optional YAML file
//! (`config/config.yaml` or `config.yaml`, `${VAR}` expanded), then environment variables, with
//! `.env` underneath the real environment. Every value is validated here; an invalid one stops
//! start-up with a [`ConfigError`] that names the variable (or YAML key) and what it accepts.
//! Unlike GoModel, `http.timeout` and `http.response_header_timeout` in YAML are honoured.

mod bedrock;
mod effective;
mod google;
mod metrics;
mod providers;
mod source;
mod storage;
mod values;
mod yaml;

use std::path::{Path, PathBuf};
use std::time::Duration;

use gomodel_protocol::report::Strictness;
use gomodel_providers::{ClientOptions, GlobalProviderOptions, ProviderSettings, Secret};

pub use effective::effective_config;
pub use metrics::MetricsConfig;
pub use source::EnvMap;
pub use storage::{RecordsConfig, StorageConfig};
pub use values::ConfigError;
use values::{parse_base_path, parse_bool, parse_duration, parse_port, parse_size};
use yaml::{Scalar, YamlConfig};

/// The gateway's whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub logging: LoggingConfig,
    pub http: ClientOptions,
    pub models: ModelsConfig,
    pub usage: UsageConfig,
    pub passthrough: PassthroughConfig,
    pub storage: StorageConfig,
    pub records: RecordsConfig,
    /// `METRICS_ENABLED`, `METRICS_ENDPOINT`: Prometheus `/metrics`.
    pub metrics: MetricsConfig,
    /// `MODEL_LIST_URL`: the price registry (GoModel's ai-model-list); `None` when disabled.
    pub model_list_url: Option<String>,
    /// Per-model prices from config.yaml, as (provider instance, model, price).
    pub configured_prices: Vec<(String, String, crate::observe::pricing::ModelPrice)>,
    pub providers: Vec<ProviderSettings>,
    pub provider_options: GlobalProviderOptions,
    /// The YAML file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// Non-fatal findings (skipped providers, ignored variables), logged at start.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub port: u16,
    /// `/` or `/prefix` (no trailing slash).
    pub base_path: String,
    /// `None` runs unauthenticated (logged loudly at start).
    pub master_key: Option<Secret>,
    pub body_size_limit: usize,
    /// How long SIGTERM waits for in-flight requests (streams included) before exiting.
    pub shutdown_timeout: Duration,
    /// Request-serving threads (`WORKER_THREADS`, default: the number of CPUs).
    pub worker_threads: usize,
    /// `SWAGGER_ENABLED`: Swagger UI at `/swagger/index.html` (off by default, as in GoModel).
    pub swagger_enabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Text on a terminal, JSON otherwise (GoModel's default).
    Auto,
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct LoggingConfig {
    pub level: LogLevel,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfiguredModelsMode {
    /// Configured lists are used only when the provider's `/models` fails or is empty.
    Fallback,
    /// Only configured lists are exposed; `/models` is not called for providers that have one.
    Allowlist,
}

#[derive(Debug, Clone)]
pub struct ModelsConfig {
    pub configured_provider_models_mode: ConfiguredModelsMode,
    pub refresh_interval: Duration,
    /// Where the model list is cached for warm starts (`<dir>/models.json`).
    pub cache_dir: PathBuf,
}

/// `/p/{provider}/...` routes (reference §1.5).
#[derive(Debug, Clone)]
pub struct PassthroughConfig {
    /// `ENABLE_PASSTHROUGH_ROUTES`.
    pub enabled: bool,
    /// `ALLOW_PASSTHROUGH_V1_ALIAS`: `/p/x/v1/...` is the same as `/p/x/...`.
    pub allow_v1_alias: bool,
    /// `ENABLED_PASSTHROUGH_PROVIDERS`: provider types (or instance names) allowed.
    pub enabled_providers: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct UsageConfig {
    /// Ask every provider for usage on streams, even when the client did not.
    pub enforce_returning_usage_data: bool,
}

/// Where to look for configuration.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--config <path>`: this file must exist.
    pub config_file: Option<PathBuf>,
    /// Directory searched for `config/config.yaml` and `config.yaml`.
    pub working_dir: PathBuf,
}

/// Loading failed: a bad value, or an unreadable/unparsable YAML file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Value(#[from] ConfigError),
    #[error(transparent)]
    Yaml(#[from] yaml::YamlError),
}

impl Config {
    /// Reads the YAML file (if any) and overlays `env`.
    pub fn load(env: &EnvMap, options: &LoadOptions) -> Result<Self, LoadError> {
        let loaded = yaml::load(options.config_file.as_deref(), &options.working_dir, env)?;
        let (config_file, yaml) = match loaded {
            Some((path, yaml)) => (Some(path), yaml),
            None => (None, YamlConfig::default()),
        };
        let mut config = Self::from_parts(env, &yaml)?;
        config.config_file = config_file;
        Ok(config)
    }

    /// Builds a config from env alone (tests, and `Config::load` without a file).
    pub fn from_env(env: &EnvMap) -> Result<Self, LoadError> {
        Ok(Self::from_parts(env, &YamlConfig::default())?)
    }

    fn from_parts(env: &EnvMap, yaml: &YamlConfig) -> Result<Self, ConfigError> {
        let layer = Layers {
            env,
            yaml_name: "config.yaml",
        };
        let server = ServerConfig {
            port: layer
                .parse("PORT", "server.port", yaml.server.port.as_ref(), parse_port)?
                .unwrap_or(8080),
            base_path: layer
                .parse(
                    "BASE_PATH",
                    "server.base_path",
                    yaml.server.base_path.as_ref(),
                    parse_base_path,
                )?
                .unwrap_or_else(|| "/".to_owned()),
            master_key: layer
                .text("GOMODEL_MASTER_KEY", yaml.server.master_key.as_ref())
                .filter(|k| !k.contains("${"))
                .map(Secret::new),
            body_size_limit: layer
                .parse(
                    "BODY_SIZE_LIMIT",
                    "server.body_size_limit",
                    yaml.server.body_size_limit.as_ref(),
                    parse_size,
                )?
                .unwrap_or(10 * 1024 * 1024),
            shutdown_timeout: layer
                .parse(
                    "SHUTDOWN_TIMEOUT",
                    "server.shutdown_timeout",
                    yaml.server.shutdown_timeout.as_ref(),
                    parse_duration,
                )?
                .unwrap_or(Duration::from_secs(30)),
            worker_threads: layer
                .parse(
                    "WORKER_THREADS",
                    "server.worker_threads",
                    yaml.server.worker_threads.as_ref(),
                    parse_threads,
                )?
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)),
            swagger_enabled: match env.get("SWAGGER_ENABLED") {
                Some(value) => values::parse_bool("SWAGGER_ENABLED", value)?,
                None => false,
            },
        };
        let logging = LoggingConfig {
            level: parse_log_level(env.get("LOG_LEVEL"))?,
            format: parse_log_format(env.get("LOG_FORMAT"))?,
        };
        let defaults = ClientOptions::default();
        let http = ClientOptions {
            timeout: layer
                .parse(
                    "HTTP_TIMEOUT",
                    "http.timeout",
                    yaml.http.timeout.as_ref(),
                    parse_positive_duration,
                )?
                .unwrap_or(defaults.timeout),
            response_header_timeout: layer
                .parse(
                    "HTTP_RESPONSE_HEADER_TIMEOUT",
                    "http.response_header_timeout",
                    yaml.http.response_header_timeout.as_ref(),
                    parse_positive_duration,
                )?
                .unwrap_or(defaults.response_header_timeout),
        };
        let models = ModelsConfig {
            configured_provider_models_mode: layer
                .parse(
                    "CONFIGURED_PROVIDER_MODELS_MODE",
                    "models.configured_provider_models_mode",
                    yaml.models.configured_provider_models_mode.as_ref(),
                    parse_models_mode,
                )?
                .unwrap_or(ConfiguredModelsMode::Fallback),
            refresh_interval: layer
                .parse(
                    "CACHE_REFRESH_INTERVAL",
                    "cache.model.refresh_interval",
                    yaml.cache.model.refresh_interval.as_ref(),
                    parse_positive_duration,
                )?
                .unwrap_or(Duration::from_secs(3600)),
            cache_dir: layer
                .text(
                    "GOMODEL_CACHE_DIR",
                    yaml.cache.model.local.cache_dir.as_ref(),
                )
                .map_or_else(|| PathBuf::from(".cache"), PathBuf::from),
        };
        let usage = UsageConfig {
            enforce_returning_usage_data: layer
                .parse(
                    "ENFORCE_RETURNING_USAGE_DATA",
                    "usage.enforce_returning_usage_data",
                    yaml.usage.enforce_returning_usage_data.as_ref(),
                    parse_bool,
                )?
                .unwrap_or(true),
        };
        let passthrough = PassthroughConfig {
            enabled: layer
                .parse(
                    "ENABLE_PASSTHROUGH_ROUTES",
                    "server.enable_passthrough_routes",
                    yaml.server.enable_passthrough_routes.as_ref(),
                    parse_bool,
                )?
                .unwrap_or(true),
            allow_v1_alias: layer
                .parse(
                    "ALLOW_PASSTHROUGH_V1_ALIAS",
                    "server.allow_passthrough_v1_alias",
                    yaml.server.allow_passthrough_v1_alias.as_ref(),
                    parse_bool,
                )?
                .unwrap_or(true),
            enabled_providers: match (
                env.get("ENABLED_PASSTHROUGH_PROVIDERS"),
                &yaml.server.enabled_passthrough_providers,
            ) {
                (Some(list), _) => values::parse_list(list),
                (None, Some(list)) => list.0.clone(),
                (None, None) => ["openai", "anthropic", "openrouter", "zai", "vllm"]
                    .map(str::to_owned)
                    .to_vec(),
            },
        };
        let defaults = GlobalProviderOptions::default();
        let provider_options = GlobalProviderOptions {
            openrouter_site_url: env
                .get("OPENROUTER_SITE_URL")
                .map_or(defaults.openrouter_site_url, str::to_owned),
            openrouter_app_name: env
                .get("OPENROUTER_APP_NAME")
                .map_or(defaults.openrouter_app_name, str::to_owned),
            anthropic_default_max_tokens: anthropic_max_tokens(
                env.get("ANTHROPIC_DEFAULT_MAX_TOKENS"),
            )?,
            strictness: parse_strictness(env.get("TRANSLATION_MODE"))?,
        };
        let (storage, mut records) = storage::load(&layer, yaml)?;
        let metrics = metrics::load(&layer, yaml)?;
        // An empty MODEL_LIST_URL disables the registry (GoModel's rule), so read it raw.
        let model_list_url = match env.get_raw("MODEL_LIST_URL") {
            Some(url) => Some(url.trim().to_owned()),
            None => yaml
                .cache
                .model
                .model_list
                .url
                .as_ref()
                .map(|u| u.0.trim().to_owned()),
        }
        .map_or_else(
            || Some(DEFAULT_MODEL_LIST_URL.to_owned()),
            |u| (!u.is_empty()).then_some(u),
        );
        let configured_prices = configured_prices(yaml)?;
        let (providers, mut warnings) = providers::resolve(&yaml.providers, env)?;
        if records.admin_ui_enabled && !records.admin_enabled {
            // GoModel's rule: the dashboard is nothing without the API it reads.
            records.admin_ui_enabled = false;
            warnings.push(
                "ADMIN_UI_ENABLED is ignored because ADMIN_ENDPOINTS_ENABLED=false: the dashboard reads the admin API".to_owned(),
            );
        }
        Ok(Self {
            server,
            logging,
            http,
            models,
            usage,
            passthrough,
            storage,
            records,
            metrics,
            model_list_url,
            configured_prices,
            providers,
            provider_options,
            config_file: None,
            warnings,
        })
    }
}

/// Env-over-YAML lookup for one field.
pub(super) struct Layers<'a> {
    env: &'a EnvMap,
    yaml_name: &'a str,
}

impl Layers<'_> {
    /// The winning raw value: the env var if set, else the YAML scalar if non-empty.
    fn text(&self, env_key: &str, yaml_value: Option<&Scalar>) -> Option<String> {
        self.env
            .get(env_key)
            .map(str::to_owned)
            .or_else(|| yaml_value.map(|s| s.0.clone()).filter(|v| !v.is_empty()))
    }

    /// Parses the winning value; errors name the env var, or the YAML key and file.
    fn parse<T>(
        &self,
        env_key: &str,
        yaml_key: &str,
        yaml_value: Option<&Scalar>,
        parse: impl Fn(&str, &str) -> Result<T, ConfigError>,
    ) -> Result<Option<T>, ConfigError> {
        if let Some(value) = self.env.get(env_key) {
            return parse(env_key, value).map(Some);
        }
        match yaml_value.map(|s| s.0.as_str()).filter(|v| !v.is_empty()) {
            Some(value) => parse(
                &format!("{yaml_key} in {} (env {env_key})", self.yaml_name),
                value,
            )
            .map(Some),
            None => Ok(None),
        }
    }
}

fn parse_positive_duration(key: &str, value: &str) -> Result<Duration, ConfigError> {
    match parse_duration(key, value)? {
        d if d.is_zero() => Err(ConfigError::new(key, value, "a duration greater than zero")),
        d => Ok(d),
    }
}

/// GoModel's default price registry.
pub const DEFAULT_MODEL_LIST_URL: &str =
    "https://raw.githubusercontent.com/ENTERPILOT/ai-model-list/refs/heads/main/models.min.json";

/// Per-model prices from config.yaml, checked as the admin API checks an override (at least
/// one rate, none negative, no field this gateway cannot price): a price that would not apply
/// fails start-up rather than leave the model silently unpriced.
fn configured_prices(
    yaml: &YamlConfig,
) -> Result<Vec<(String, String, crate::observe::pricing::ModelPrice)>, ConfigError> {
    let mut out = Vec::new();
    for (name, provider) in &yaml.providers {
        for model in provider.models.iter().flatten() {
            if let Some(pricing) = &model.1 {
                let price = pricing.validate().map_err(|err| {
                    ConfigError::new(
                        &format!(
                            "providers.{name}.models[{}].metadata.{}",
                            model.0, err.field
                        ),
                        "",
                        err.message,
                    )
                })?;
                out.push((name.clone(), model.0.clone(), price));
            }
        }
    }
    Ok(out)
}

fn anthropic_max_tokens(value: Option<&str>) -> Result<u64, ConfigError> {
    match value.map(str::trim) {
        None => Ok(4096),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ConfigError::new(
                "ANTHROPIC_DEFAULT_MAX_TOKENS",
                text,
                "a positive number of tokens",
            )),
        },
    }
}

fn parse_strictness(value: Option<&str>) -> Result<Strictness, ConfigError> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("lenient") => Ok(Strictness::Lenient),
        Some("strict") => Ok(Strictness::Strict),
        Some(_) => Err(ConfigError::new(
            "TRANSLATION_MODE",
            value.unwrap_or_default(),
            "strict or lenient",
        )),
    }
}

fn parse_threads(key: &str, value: &str) -> Result<usize, ConfigError> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(ConfigError::new(
            key,
            value,
            "a number of threads between 1 and 1024",
        )),
    }
}

fn parse_models_mode(key: &str, value: &str) -> Result<ConfiguredModelsMode, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "fallback" => Ok(ConfiguredModelsMode::Fallback),
        "allowlist" => Ok(ConfiguredModelsMode::Allowlist),
        _ => Err(ConfigError::new(key, value, "fallback or allowlist")),
    }
}

fn parse_log_level(value: Option<&str>) -> Result<LogLevel, ConfigError> {
    let Some(value) = value else {
        return Ok(LogLevel::Info);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "debug" | "dbg" => Ok(LogLevel::Debug),
        "info" | "inf" => Ok(LogLevel::Info),
        "warn" | "warning" => Ok(LogLevel::Warn),
        "error" | "err" => Ok(LogLevel::Error),
        _ => Err(ConfigError::new(
            "LOG_LEVEL",
            value,
            "debug, info, warn or error",
        )),
    }
}

fn parse_log_format(value: Option<&str>) -> Result<LogFormat, ConfigError> {
    let Some(value) = value else {
        return Ok(LogFormat::Auto);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(ConfigError::new("LOG_FORMAT", value, "text or json")),
    }
}

/// Loads `.env` from `dir` under the process environment.
pub fn process_env(dir: &Path) -> Result<EnvMap, std::io::Error> {
    EnvMap::from_process(&dir.join(".env"))
}

#[cfg(test)]
mod tests;
