//! The optional `config.yaml`: `${VAR}` / `${VAR:-default}` expansion, then parsing into
//! structs whose fields are all optional (a partial file keeps every other default).
//!
//! Scalars are read as strings and parsed later by the same functions as env vars, so
//! `port: 8080` and `port: "8080"` behave alike and errors look alike. Unknown keys are ignored
//! (GoModel's other sections are valid here even before this gateway implements them).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::source::EnvMap;

/// Files looked for, in order, when no `--config` is given (GoModel's order).
pub const DEFAULT_PATHS: [&str; 2] = ["config/config.yaml", "config.yaml"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlConfig {
    pub server: YamlServer,
    pub http: YamlHttp,
    pub models: YamlModels,
    pub cache: YamlCache,
    pub usage: YamlUsage,
    pub storage: YamlStorage,
    pub logging: YamlLogging,
    pub admin: YamlAdmin,
    pub metrics: YamlMetrics,
    pub providers: BTreeMap<String, YamlProvider>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlServer {
    pub port: Option<Scalar>,
    pub base_path: Option<Scalar>,
    pub master_key: Option<Scalar>,
    pub body_size_limit: Option<Scalar>,
    pub shutdown_timeout: Option<Scalar>,
    pub worker_threads: Option<Scalar>,
    pub enable_passthrough_routes: Option<Scalar>,
    pub allow_passthrough_v1_alias: Option<Scalar>,
    pub enabled_passthrough_providers: Option<StringList>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlHttp {
    pub timeout: Option<Scalar>,
    pub response_header_timeout: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlModels {
    pub configured_provider_models_mode: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlCache {
    pub model: YamlModelCache,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlModelCache {
    pub refresh_interval: Option<Scalar>,
    pub local: YamlLocalCache,
    pub model_list: YamlModelList,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlModelList {
    pub url: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlLocalCache {
    pub cache_dir: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlUsage {
    pub enforce_returning_usage_data: Option<Scalar>,
    pub enabled: Option<Scalar>,
    pub buffer_size: Option<Scalar>,
    pub flush_interval: Option<Scalar>,
    pub retention_days: Option<Scalar>,
    pub pricing_recalculation_enabled: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlStorage {
    #[serde(rename = "type")]
    pub kind: Option<Scalar>,
    pub sqlite: YamlSqlite,
    pub postgresql: YamlPostgres,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlSqlite {
    pub path: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlPostgres {
    pub url: Option<Scalar>,
    pub max_conns: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlLogging {
    pub enabled: Option<Scalar>,
    pub log_bodies: Option<Scalar>,
    pub log_headers: Option<Scalar>,
    pub buffer_size: Option<Scalar>,
    pub flush_interval: Option<Scalar>,
    pub retention_days: Option<Scalar>,
    pub only_model_interactions: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlAdmin {
    pub endpoints_enabled: Option<Scalar>,
    pub ui_enabled: Option<Scalar>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YamlMetrics {
    pub enabled: Option<Scalar>,
    pub endpoint: Option<Scalar>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct YamlProvider {
    #[serde(rename = "type")]
    pub kind: Option<Scalar>,
    pub api_key: Option<Scalar>,
    pub base_url: Option<Scalar>,
    pub api_version: Option<Scalar>,
    pub models: Option<Vec<YamlModel>>,
    /// Gemini and Vertex: `native` or `openai_compatible`.
    pub api_mode: Option<Scalar>,
    /// `type: gemini` with `backend: vertex` is a Vertex provider (GoModel's spelling).
    pub backend: Option<Scalar>,
    pub auth_type: Option<Scalar>,
    pub vertex_project: Option<Scalar>,
    pub vertex_location: Option<Scalar>,
    pub service_account_file: Option<Scalar>,
    pub service_account_json: Option<Scalar>,
    pub service_account_json_base64: Option<Scalar>,
    pub gcp_scope: Option<Scalar>,
}

/// A configured model: a bare id, or `{id: …, metadata: …}` (whose `pricing` is kept).
#[derive(Debug, Clone)]
pub struct YamlModel(pub String, pub Option<YamlPricing>);

/// `metadata.pricing` in GoModel's field names (USD per million tokens): the admin API's
/// pricing document, strict about unknown fields so a typo fails start-up.
pub type YamlPricing = crate::observe::pricing::PricingFields;

impl<'de> Deserialize<'de> for YamlModel {
    /// A visitor rather than an untagged enum, so that an error inside `{id, metadata}` (an
    /// unknown pricing field, a negative rate) reaches the operator as itself instead of as
    /// "data did not match any variant".
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Metadata {
            #[serde(default)]
            pricing: Option<YamlPricing>,
        }
        #[derive(Deserialize)]
        struct WithId {
            id: Scalar,
            #[serde(default)]
            metadata: Option<Metadata>,
        }
        struct ModelVisitor;
        impl<'de> Visitor<'de> for ModelVisitor {
            type Value = YamlModel;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a model id or {id: ..., metadata: ...}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<YamlModel, E> {
                Ok(YamlModel(v.to_owned(), None))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<YamlModel, E> {
                Ok(YamlModel(v, None))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<YamlModel, E> {
                Ok(YamlModel(v.to_string(), None))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<YamlModel, E> {
                Ok(YamlModel(v.to_string(), None))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<YamlModel, E> {
                Ok(YamlModel(v.to_string(), None))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<YamlModel, A::Error> {
                let WithId { id, metadata } =
                    WithId::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(YamlModel(id.0, metadata.and_then(|m| m.pricing)))
            }
        }
        deserializer.deserialize_any(ModelVisitor)
    }
}

/// A list given as a YAML sequence or as one comma-separated string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringList(pub Vec<String>);

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Many(Vec<Scalar>),
            One(Scalar),
        }
        Ok(StringList(match Either::deserialize(deserializer)? {
            Either::Many(items) => items
                .into_iter()
                .map(|s| s.0.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            Either::One(text) => super::values::parse_list(&text.0),
        }))
    }
}

/// Any YAML scalar, kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// Why the YAML file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid configuration YAML: {message}")]
    Parse { path: PathBuf, message: String },
}

/// Finds and loads the configuration file: `explicit` when given (it must exist), else the
/// first of [`DEFAULT_PATHS`] under `dir` that exists. `Ok(None)` when there is no file.
pub fn load(
    explicit: Option<&Path>,
    dir: &Path,
    env: &EnvMap,
) -> Result<Option<(PathBuf, YamlConfig)>, YamlError> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => match DEFAULT_PATHS
            .iter()
            .map(|p| dir.join(p))
            .find(|p| p.is_file())
        {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|source| YamlError::Read {
        path: path.clone(),
        source,
    })?;
    let expanded = expand_vars(&text, env);
    if expanded.trim().is_empty() {
        return Ok(Some((path, YamlConfig::default())));
    }
    let config =
        serde_saphyr::from_str::<YamlConfig>(&expanded).map_err(|err| YamlError::Parse {
            path: path.clone(),
            message: err.to_string(),
        })?;
    Ok(Some((path, config)))
}

/// Expands `${VAR}` and `${VAR:-default}`. An unset `${VAR}` without default stays literal
/// (GoModel does the same); the provider resolver then reports it by name.
pub fn expand_vars(text: &str, env: &EnvMap) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let expression = &after[..end];
        let (name, default) = match expression.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (expression, None),
        };
        let valid_name =
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        match (valid_name, env.get(name), default) {
            (true, Some(value), _) => out.push_str(value),
            (true, None, Some(default)) => out.push_str(default),
            _ => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_variables_with_defaults() {
        let env = EnvMap::from_pairs([("A", "1"), ("EMPTY", "")]);
        assert_eq!(
            expand_vars("x ${A} ${B:-two} ${EMPTY:-d} ${MISSING} ${", &env),
            "x 1 two d ${MISSING} ${"
        );
    }

    #[test]
    fn parses_partial_files_and_both_model_forms() {
        let text = "server:\n  port: 9090\n  body_size_limit: 5M\nproviders:\n  main:\n    type: openai\n    api_key: sk-x\n    models:\n      - gpt-4o\n      - id: gpt-4o-mini\n        metadata:\n          display_name: Mini\nworkflows:\n  anything: [1, 2]\n";
        let config: YamlConfig = serde_saphyr::from_str(text).unwrap();
        assert_eq!(config.server.port, Some(Scalar("9090".into())));
        assert_eq!(config.server.body_size_limit, Some(Scalar("5M".into())));
        let main = &config.providers["main"];
        assert_eq!(main.kind, Some(Scalar("openai".into())));
        let models: Vec<_> = main
            .models
            .as_ref()
            .unwrap()
            .iter()
            .map(|m| m.0.clone())
            .collect();
        assert_eq!(models, ["gpt-4o", "gpt-4o-mini"]);
    }
}
