//! Prometheus metrics settings (reference §1.3 and §4.15): `METRICS_ENABLED` and
//! `METRICS_ENDPOINT` (YAML `metrics.enabled`, `metrics.endpoint`).
//!
//! The endpoint is normalised like Go's `path.Clean` (a leading `/` added, `//`, `.` and `..`
//! resolved, no trailing `/`). The endpoint is served without authentication, so a path that
//! other routes live under (`/v1`, `/p`, `/admin`, `/health`, `/swagger`), `/openapi.json` or
//! the root is refused at start: GoModel silently fell back to `/metrics` for `/v1` and `/p`,
//! which hid the mistake (docs/decisions/0002), and a path another route uses would clash.

use super::Layers;
use super::values::{ConfigError, parse_bool};
use super::yaml::YamlConfig;

/// Where and whether `/metrics` is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// `METRICS_ENABLED` (default false, as in GoModel).
    pub enabled: bool,
    /// `METRICS_ENDPOINT`, normalised, relative to `BASE_PATH` (default `/metrics`).
    pub endpoint: String,
}

/// Path prefixes the metrics endpoint may not live under: they belong to other routes.
const RESERVED_PREFIXES: [&str; 5] = ["/v1", "/p", "/admin", "/health", "/swagger"];
/// Paths of other routes outside those prefixes.
const RESERVED_PATHS: [&str; 2] = ["/", "/openapi.json"];

pub(super) fn load(layer: &Layers<'_>, yaml: &YamlConfig) -> Result<MetricsConfig, ConfigError> {
    let enabled = layer
        .parse(
            "METRICS_ENABLED",
            "metrics.enabled",
            yaml.metrics.enabled.as_ref(),
            parse_bool,
        )?
        .unwrap_or(false);
    let endpoint = layer
        .parse(
            "METRICS_ENDPOINT",
            "metrics.endpoint",
            yaml.metrics.endpoint.as_ref(),
            parse_endpoint,
        )?
        .unwrap_or_else(|| "/metrics".to_owned());
    Ok(MetricsConfig { enabled, endpoint })
}

/// Normalises the endpoint and refuses one that would shadow or sit under another route.
fn parse_endpoint(key: &str, value: &str) -> Result<String, ConfigError> {
    let path = clean_path(value.trim());
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/".contains(c);
    if !path.chars().all(allowed) {
        return Err(ConfigError::new(
            key,
            value,
            "a URL path such as /metrics (letters, digits, - . _ ~ and /)",
        ));
    }
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if let Some(prefix) = RESERVED_PREFIXES.into_iter().find(|p| under(p)) {
        return Err(ConfigError::new(
            key,
            value,
            format!(
                "a path outside {prefix}: the metrics endpoint is served without authentication, and {prefix} belongs to other routes (use e.g. /metrics)"
            ),
        ));
    }
    if RESERVED_PATHS.contains(&path.as_str()) {
        return Err(ConfigError::new(
            key,
            value,
            format!("a path of its own such as /metrics ({path} is another route)"),
        ));
    }
    Ok(path)
}

/// Go's `path.Clean` for a rooted path: `//` collapsed, `.` dropped, `..` removes the segment
/// before it (never above the root), no trailing `/`.
fn clean_path(raw: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_env_and_yaml() {
        use crate::config::{Config, EnvMap};
        let config = Config::from_env(&EnvMap::default()).unwrap();
        assert_eq!(
            config.metrics,
            MetricsConfig {
                enabled: false,
                endpoint: "/metrics".into()
            }
        );
        let env = EnvMap::from_pairs([
            ("METRICS_ENABLED", "true"),
            ("METRICS_ENDPOINT", "ops//prom/"),
        ]);
        let config = Config::from_env(&env).unwrap();
        assert!(config.metrics.enabled);
        assert_eq!(config.metrics.endpoint, "/ops/prom");
        let env = EnvMap::from_pairs([("METRICS_ENABLED", "maybe")]);
        assert!(Config::from_env(&env).is_err());
    }

    #[test]
    fn yaml_keys_and_env_precedence() {
        use crate::config::{Config, EnvMap, LoadOptions};
        let dir = tempfile::tempdir().unwrap();
        let yaml = "metrics:\n  enabled: true\n  endpoint: /prom\n";
        std::fs::write(dir.path().join("config.yaml"), yaml).unwrap();
        let options = LoadOptions {
            config_file: None,
            working_dir: dir.path().to_path_buf(),
        };
        let config = Config::load(&EnvMap::default(), &options).unwrap();
        assert!(config.metrics.enabled);
        assert_eq!(config.metrics.endpoint, "/prom");
        let env = EnvMap::from_pairs([("METRICS_ENDPOINT", "/v1/prom")]);
        let err = Config::load(&env, &options).unwrap_err().to_string();
        assert!(err.contains("METRICS_ENDPOINT"), "{err}");
    }

    #[test]
    fn cleans_like_go_path_clean() {
        for (raw, clean) in [
            ("/metrics", "/metrics"),
            ("metrics", "/metrics"),
            ("/metrics/", "/metrics"),
            ("//ops//metrics", "/ops/metrics"),
            ("/ops/./metrics", "/ops/metrics"),
            ("/ops/../metrics", "/metrics"),
            ("/../../metrics", "/metrics"),
            ("", "/"),
        ] {
            assert_eq!(clean_path(raw), clean, "{raw}");
        }
    }

    #[test]
    fn refuses_paths_other_routes_own() {
        for path in [
            "/v1/metrics",
            "/v1",
            "v1/../v1/x",
            "/p/metrics",
            "/admin/metrics",
            "/",
            "/health",
            "/health/ready",
            "/openapi.json",
            "/swagger/metrics",
            "/metrics/{id}",
            "/me trics",
        ] {
            assert!(
                parse_endpoint("METRICS_ENDPOINT", path).is_err(),
                "{path} accepted"
            );
        }
        let err = parse_endpoint("METRICS_ENDPOINT", "/v1/metrics").unwrap_err();
        assert!(err.to_string().contains("METRICS_ENDPOINT"), "{err}");
        for (path, clean) in [
            ("/metrics", "/metrics"),
            ("/v1metrics", "/v1metrics"),
            ("/prometheus", "/prometheus"),
            ("/ops/metrics/", "/ops/metrics"),
            ("/v1/../metrics", "/metrics"),
        ] {
            assert_eq!(parse_endpoint("METRICS_ENDPOINT", path).unwrap(), clean);
        }
    }
}
