//! Provider instances from YAML `providers:` and `<TYPE>_*` env vars (reference §2.4).
//!
//! - Unsuffixed vars (`OPENAI_API_KEY`) overlay the YAML entry named after the type, else the
//!   only YAML entry of that type, else create a provider named after the type.
//! - Suffixed vars (`OPENAI_EAST_API_KEY`) register `openai-east` (suffix lowercased, `_` to
//!   `-`), overlaying a YAML entry of that name and type.
//! - Env wins per field; `_MODELS` replaces the YAML list.
//! - A provider without the key or base URL it needs is skipped with a warning that names the
//!   variable to set. GoModel drops such providers silently (limitation L8).
//! - Gemini and Vertex take more fields (API mode, project, location, credentials); they are
//!   resolved in `google.rs`.

use std::collections::BTreeMap;

use gomodel_providers::{ProviderKind, ProviderSettings, Secret};

use super::bedrock;
use super::google::{self, GoogleDraft, VERTEX_FIELDS};
use super::source::EnvMap;
use super::values::{ConfigError, parse_list};
use super::yaml::YamlProvider;

const FIELDS: [&str; 4] = ["API_KEY", "BASE_URL", "MODELS", "API_VERSION"];

/// The env fields a type reads: the common four, plus Google's for Gemini and Vertex.
fn fields_of(kind: ProviderKind) -> Vec<&'static str> {
    let mut fields: Vec<&'static str> = match kind {
        ProviderKind::Vertex => VERTEX_FIELDS.to_vec(),
        ProviderKind::Gemini => vec!["API_MODE"],
        _ => Vec::new(),
    };
    fields.extend(FIELDS);
    // Longest first: a suffixed name must match its longest field.
    fields.sort_by_key(|f| std::cmp::Reverse(f.len()));
    fields
}

#[derive(Debug, Default, Clone)]
struct Draft {
    kind: Option<ProviderKind>,
    api_key: Option<String>,
    base_url: Option<String>,
    api_version: Option<String>,
    models: Option<Vec<String>>,
    /// Gemini and Vertex only.
    google: GoogleDraft,
    /// Where the fields came from, for warnings ("OPENAI_EAST_*" or "providers.main").
    origin: String,
}

/// Resolves every provider instance; returns them with the warnings to log at start.
pub fn resolve(
    yaml: &BTreeMap<String, YamlProvider>,
    env: &EnvMap,
) -> Result<(Vec<ProviderSettings>, Vec<String>), ConfigError> {
    let mut warnings = Vec::new();
    let mut drafts: BTreeMap<String, Draft> = BTreeMap::new();
    for (name, entry) in yaml {
        if let Some(draft) = yaml_draft(name, entry)? {
            drafts.insert(name.clone(), draft);
        }
    }
    overlay_env(&mut drafts, env, &mut warnings);
    let mut providers = Vec::new();
    for (name, draft) in drafts {
        if let Some(settings) = finish(name, draft, env, &mut warnings) {
            providers.push(settings);
        }
    }
    Ok((providers, warnings))
}

fn yaml_draft(name: &str, entry: &YamlProvider) -> Result<Option<Draft>, ConfigError> {
    let key = format!("providers.{name}.type");
    let Some(kind_text) = entry.kind.as_ref().map(|k| k.0.trim().to_ascii_lowercase()) else {
        return Err(ConfigError::new(
            &key,
            "",
            format!("one of {}", kind_list()),
        ));
    };
    // GoModel's alternative spelling of a Vertex provider.
    let backend = entry
        .backend
        .as_ref()
        .map(|b| b.0.trim().to_ascii_lowercase());
    let kind_text = if kind_text == "gemini" && backend.as_deref() == Some("vertex") {
        "vertex".to_owned()
    } else {
        kind_text
    };
    let Some(kind) = ProviderKind::parse(&kind_text) else {
        return Err(ConfigError::new(
            &key,
            &kind_text,
            format!("one of {}", kind_list()),
        ));
    };
    if !is_valid_name(name) {
        return Err(ConfigError::new(
            &format!("providers.{name}"),
            name,
            "a provider name of letters, digits, '-', '_' or '.'",
        ));
    }
    Ok(Some(Draft {
        kind: Some(kind),
        api_key: entry
            .api_key
            .as_ref()
            .map(|v| v.0.clone())
            .filter(|v| !v.is_empty()),
        base_url: entry
            .base_url
            .as_ref()
            .map(|v| v.0.clone())
            .filter(|v| !v.is_empty()),
        api_version: entry
            .api_version
            .as_ref()
            .map(|v| v.0.clone())
            .filter(|v| !v.is_empty()),
        models: entry
            .models
            .as_ref()
            .map(|m| m.iter().map(|m| m.0.clone()).collect()),
        google: yaml_google(entry),
        origin: format!("providers.{name}"),
    }))
}

fn yaml_google(entry: &YamlProvider) -> GoogleDraft {
    let text =
        |v: &Option<super::yaml::Scalar>| v.as_ref().map(|v| v.0.clone()).filter(|v| !v.is_empty());
    GoogleDraft {
        api_mode: text(&entry.api_mode),
        project: text(&entry.vertex_project),
        location: text(&entry.vertex_location),
        auth_type: text(&entry.auth_type),
        service_account_file: text(&entry.service_account_file),
        service_account_json: text(&entry.service_account_json).map(Secret::new),
        service_account_json_base64: text(&entry.service_account_json_base64).map(Secret::new),
        gcp_scope: text(&entry.gcp_scope),
    }
}

fn overlay_env(drafts: &mut BTreeMap<String, Draft>, env: &EnvMap, warnings: &mut Vec<String>) {
    // Group env fields by (kind, suffix) first, so an instance is created once with all fields.
    let mut groups: BTreeMap<(ProviderKind, String), Vec<(&str, &str)>> = BTreeMap::new();
    for (key, value) in env.iter() {
        if value.is_empty() {
            continue;
        }
        if let Some((kind, suffix, field)) = split_env_key(key) {
            groups
                .entry((kind, suffix))
                .or_default()
                .push((field, value));
        }
    }
    for ((kind, suffix), fields) in groups {
        let prefix = if suffix.is_empty() {
            kind.env_prefix()
        } else {
            format!("{}_{suffix}", kind.env_prefix())
        };
        let Some(name) = target_name(drafts, kind, &suffix, &prefix, warnings) else {
            continue;
        };
        let draft = drafts.entry(name).or_insert_with(|| Draft {
            kind: Some(kind),
            origin: format!("{prefix}_*"),
            ..Draft::default()
        });
        for (field, value) in fields {
            match field {
                "API_KEY" => draft.api_key = Some(value.to_owned()),
                "BASE_URL" => draft.base_url = Some(value.to_owned()),
                "MODELS" => draft.models = Some(parse_list(value)),
                "API_VERSION" if kind.supports_api_version() => {
                    draft.api_version = Some(value.to_owned())
                }
                other => {
                    draft.google.set(other, value);
                }
            }
        }
    }
}

/// Which instance a group of env vars configures, or `None` when it is ambiguous.
fn target_name(
    drafts: &BTreeMap<String, Draft>,
    kind: ProviderKind,
    suffix: &str,
    prefix: &str,
    warnings: &mut Vec<String>,
) -> Option<String> {
    if !suffix.is_empty() {
        let name = format!(
            "{}-{}",
            kind.as_str(),
            suffix.to_ascii_lowercase().replace('_', "-")
        );
        if let Some(existing) = drafts.get(&name)
            && existing.kind != Some(kind)
        {
            warnings.push(format!(
                "{prefix}_* ignored: provider '{name}' in config.yaml has another type"
            ));
            return None;
        }
        return Some(name);
    }
    let type_name = kind.as_str().to_owned();
    if drafts.get(&type_name).is_some_and(|d| d.kind == Some(kind)) {
        return Some(type_name);
    }
    let same_kind: Vec<&String> = drafts
        .iter()
        .filter(|(_, d)| d.kind == Some(kind))
        .map(|(n, _)| n)
        .collect();
    match same_kind.as_slice() {
        [] => Some(type_name),
        [only] => Some((*only).clone()),
        several => {
            let names: Vec<&str> = several.iter().map(|s| s.as_str()).collect();
            warnings.push(format!(
                "{prefix}_* ignored: config.yaml has several {kind} providers ({}); use suffixed variables such as {prefix}_<NAME>_API_KEY",
                names.join(", ")
            ));
            None
        }
    }
}

/// Splits `OPENAI_EAST_API_KEY` into (openai, "EAST", "API_KEY"). Fields are matched from the
/// right, so suffixes may contain underscores (`VLLM_MY_BOX_BASE_URL` is `vllm-my-box`).
fn split_env_key(key: &str) -> Option<(ProviderKind, String, &'static str)> {
    for kind in ProviderKind::ALL {
        let prefix = kind.env_prefix();
        let Some(rest) = key
            .strip_prefix(prefix.as_str())
            .and_then(|r| r.strip_prefix('_'))
        else {
            continue;
        };
        let fields = fields_of(kind);
        if let Some(field) = fields.iter().find(|f| rest == **f) {
            return Some((kind, String::new(), field));
        }
        for field in fields {
            if let Some(suffix) = rest.strip_suffix(field).and_then(|s| s.strip_suffix('_'))
                && !suffix.is_empty()
                && suffix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Some((kind, suffix.to_owned(), field));
            }
        }
    }
    None
}

/// Applies defaults and drops incomplete providers (with a warning naming what is missing).
fn finish(
    name: String,
    draft: Draft,
    env: &EnvMap,
    warnings: &mut Vec<String>,
) -> Option<ProviderSettings> {
    let kind = draft.kind?;
    let prefix = env_prefix_for(&name, kind);
    let api_key = draft.api_key.filter(|k| !k.contains("${"));
    let base_url = draft
        .base_url
        .filter(|u| !(u.starts_with("${") && u.ends_with('}')));
    let google = match kind {
        ProviderKind::Gemini | ProviderKind::Vertex => {
            match google::resolve(kind, &prefix, &draft.google, base_url.as_deref(), env) {
                Ok(resolved) => Some(resolved),
                Err(reason) => {
                    warnings.push(format!("provider '{name}' ({kind}) skipped: {reason}"));
                    return None;
                }
            }
        }
        _ => None,
    };
    let bedrock = match kind {
        ProviderKind::Bedrock => {
            match bedrock::resolve(
                &prefix,
                base_url.as_deref(),
                api_key.as_deref(),
                env,
                warnings,
            ) {
                Ok(resolved) => Some(resolved),
                Err(reason) => {
                    warnings.push(format!("provider '{name}' ({kind}) skipped: {reason}"));
                    return None;
                }
            }
        }
        _ => None,
    };
    let base_url = match (base_url, kind.default_base_url()) {
        // Bedrock's base URL may be a region: the resolved runtime endpoint stands for it.
        _ if bedrock.is_some() => bedrock
            .as_ref()
            .map(|b| b.runtime_url.clone())
            .unwrap_or_default(),
        // Vertex derives its URLs from project and location.
        (None, None) if kind == ProviderKind::Vertex => String::new(),
        (Some(url), _) => url,
        (None, Some(_)) if kind.allows_keyless() && api_key.is_none() => {
            // Keyless self-hosted servers are only registered when their URL is given.
            return None;
        }
        (None, Some(default)) => default.to_owned(),
        (None, None) => {
            warnings.push(format!(
                "provider '{name}' ({kind}) skipped: set {prefix}_BASE_URL (or base_url in {})",
                draft.origin
            ));
            return None;
        }
    };
    if api_key.is_none() && !kind.allows_keyless() {
        warnings.push(format!(
            "provider '{name}' ({kind}) skipped: set {prefix}_API_KEY (or api_key in {})",
            draft.origin
        ));
        return None;
    }
    if !base_url.is_empty()
        && let Err(reason) = check_url(&base_url)
    {
        warnings.push(format!(
            "provider '{name}' ({kind}) skipped: base URL {base_url:?} {reason}"
        ));
        return None;
    }
    Some(ProviderSettings {
        name,
        kind,
        api_key: Secret::new(api_key.unwrap_or_default()),
        base_url: base_url.trim_end_matches('/').to_owned(),
        api_version: draft.api_version,
        models: draft.models.unwrap_or_default(),
        api_mode: google.as_ref().map(|g| g.api_mode).unwrap_or_default(),
        vertex: google.and_then(|g| g.vertex),
        bedrock,
    })
}

fn check_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("must start with http:// or https://")?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err("has no host");
    }
    Ok(())
}

/// The env prefix that configures instance `name` (`openai-east` -> `OPENAI_EAST`).
fn env_prefix_for(name: &str, kind: ProviderKind) -> String {
    match name
        .strip_prefix(kind.as_str())
        .and_then(|rest| rest.strip_prefix('-'))
    {
        Some(suffix) => format!(
            "{}_{}",
            kind.env_prefix(),
            suffix.to_ascii_uppercase().replace('-', "_")
        ),
        None => kind.env_prefix(),
    }
}

fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn kind_list() -> String {
    ProviderKind::ALL.map(ProviderKind::as_str).join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::Scalar;

    fn yaml_provider(kind: &str, key: Option<&str>, base: Option<&str>) -> YamlProvider {
        YamlProvider {
            kind: Some(Scalar(kind.into())),
            api_key: key.map(|k| Scalar(k.into())),
            base_url: base.map(|b| Scalar(b.into())),
            ..YamlProvider::default()
        }
    }

    fn names(providers: &[ProviderSettings]) -> Vec<&str> {
        providers.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn env_only_providers_get_default_base_urls_and_suffixed_instances() {
        let env = EnvMap::from_pairs([
            ("OPENAI_API_KEY", "sk-a"),
            ("OPENAI_EAST_API_KEY", "sk-b"),
            ("OPENAI_EAST_BASE_URL", "http://east.example/v1"),
            ("OLLAMA_A_BASE_URL", "http://box-a:11434/v1"),
            ("VLLM_TEST_BOX_BASE_URL", "http://gpu:8000/v1"),
            ("GROQ_MODELS", "llama-3.3-70b, , mixtral"),
            ("OPENROUTER_SITE_URL", "https://x"),
        ]);
        let (providers, warnings) = resolve(&BTreeMap::new(), &env).unwrap();
        assert_eq!(
            names(&providers),
            ["ollama-a", "openai", "openai-east", "vllm-test-box"]
        );
        assert_eq!(providers[1].base_url, "https://api.openai.com/v1");
        assert_eq!(providers[2].base_url, "http://east.example/v1");
        assert_eq!(providers[0].kind, ProviderKind::Ollama);
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("groq") && w.contains("GROQ_API_KEY")),
            "{warnings:?}"
        );
    }

    #[test]
    fn env_overlays_yaml_per_field() {
        let mut yaml = BTreeMap::new();
        yaml.insert(
            "main".to_owned(),
            yaml_provider("openai", Some("sk-yaml"), Some("http://yaml/v1")),
        );
        let env = EnvMap::from_pairs([("OPENAI_API_KEY", "sk-env"), ("OPENAI_MODELS", "a,b")]);
        let (providers, _) = resolve(&yaml, &env).unwrap();
        assert_eq!(names(&providers), ["main"]);
        assert_eq!(providers[0].api_key.expose(), "sk-env");
        assert_eq!(providers[0].base_url, "http://yaml/v1");
        assert_eq!(providers[0].models, ["a", "b"]);
    }

    #[test]
    fn ambiguous_env_is_ignored_with_a_warning() {
        let mut yaml = BTreeMap::new();
        yaml.insert("a".to_owned(), yaml_provider("openai", Some("k1"), None));
        yaml.insert("b".to_owned(), yaml_provider("openai", Some("k2"), None));
        let env = EnvMap::from_pairs([("OPENAI_API_KEY", "sk-env")]);
        let (providers, warnings) = resolve(&yaml, &env).unwrap();
        assert_eq!(providers[0].api_key.expose(), "k1");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("several openai providers"))
        );
    }

    #[test]
    fn incomplete_providers_are_skipped_with_the_variable_named() {
        let mut yaml = BTreeMap::new();
        yaml.insert("az".to_owned(), yaml_provider("azure", Some("k"), None));
        yaml.insert(
            "unresolved".to_owned(),
            yaml_provider("groq", Some("${GROQ_KEY}"), None),
        );
        yaml.insert("b".to_owned(), yaml_provider("bedrock", Some("k"), None));
        let (providers, warnings) = resolve(&yaml, &EnvMap::default()).unwrap();
        assert!(providers.is_empty());
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings.iter().any(|w| w.contains("AZURE_BASE_URL")));
    }

    #[test]
    fn unknown_types_are_errors() {
        let mut yaml = BTreeMap::new();
        yaml.insert("x".to_owned(), yaml_provider("openaii", Some("k"), None));
        let err = resolve(&yaml, &EnvMap::default()).unwrap_err();
        assert_eq!(err.key, "providers.x.type");
        assert!(err.expected.contains("openai"));
    }

    #[test]
    fn azure_api_version_only_for_azure() {
        let env = EnvMap::from_pairs([
            ("AZURE_API_KEY", "k"),
            (
                "AZURE_BASE_URL",
                "https://r.openai.azure.com/openai/deployments/d",
            ),
            ("AZURE_API_VERSION", "2025-01-01"),
            ("OPENAI_API_KEY", "k"),
            ("OPENAI_API_VERSION", "ignored"),
        ]);
        let (providers, _) = resolve(&BTreeMap::new(), &env).unwrap();
        assert_eq!(providers[0].api_version.as_deref(), Some("2025-01-01"));
        assert_eq!(providers[1].api_version, None);
    }

    #[test]
    fn google_providers_from_env_with_suffixes_and_modes() {
        let env = EnvMap::from_pairs([
            ("GEMINI_API_KEY", "AIza-k"),
            ("GEMINI_API_MODE", "compat"),
            ("VERTEX_US_PROJECT", "p"),
            ("VERTEX_US_LOCATION", "us-east5"),
            ("VERTEX_US_AUTH_TYPE", "gcp_adc"),
            ("VERTEX_US_MODELS", "gemini-2.5-pro"),
            ("VERTEX_EU_PROJECT", "p"),
            ("GCE_METADATA_HOST", "127.0.0.1:9"),
        ]);
        let (providers, warnings) = resolve(&BTreeMap::new(), &env).unwrap();
        assert_eq!(names(&providers), ["gemini", "vertex-us"]);
        assert_eq!(
            providers[0].api_mode,
            gomodel_providers::ApiMode::OpenAiCompatible
        );
        assert_eq!(
            providers[0].base_url,
            "https://generativelanguage.googleapis.com/v1beta"
        );
        let vertex = providers[1].vertex.as_ref().unwrap();
        assert_eq!(
            (vertex.project.as_str(), vertex.location.as_str()),
            ("p", "us-east5")
        );
        assert_eq!(providers[1].models, ["gemini-2.5-pro"]);
        assert_eq!(providers[1].base_url, "");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("vertex-eu") && w.contains("VERTEX_EU_LOCATION")),
            "{warnings:?}"
        );
    }

    #[test]
    fn gemini_with_a_vertex_backend_in_yaml_is_vertex() {
        let mut yaml = BTreeMap::new();
        let mut entry = yaml_provider("gemini", None, None);
        entry.backend = Some(Scalar("vertex".into()));
        entry.vertex_project = Some(Scalar("p".into()));
        entry.vertex_location = Some(Scalar("global".into()));
        yaml.insert("gv".to_owned(), entry);
        let (providers, warnings) = resolve(&yaml, &EnvMap::default()).unwrap();
        assert_eq!(providers[0].kind, ProviderKind::Vertex, "{warnings:?}");
    }
}
