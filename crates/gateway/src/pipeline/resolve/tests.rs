use gomodel_providers::{
    ClientOptions, GlobalProviderOptions, ProviderKind, ProviderRegistry, ProviderSettings, Secret,
    UpstreamClient, UpstreamModel,
};

use super::*;
use crate::models::{ModelCatalog, ModelSource, ProviderModels};

fn registry() -> ProviderRegistry {
    let settings = |name: &str, kind: ProviderKind| ProviderSettings {
        name: name.into(),
        kind,
        api_key: Secret::new("k"),
        base_url: "http://127.0.0.1:1/v1".into(),
        api_version: None,
        models: Vec::new(),
        api_mode: Default::default(),
        vertex: None,
        bedrock: None,
    };
    ProviderRegistry::new(
        vec![
            settings("openai", ProviderKind::OpenAi),
            settings("openai-east", ProviderKind::OpenAi),
            settings("openrouter", ProviderKind::OpenRouter),
            settings("vllm-test", ProviderKind::Vllm),
        ],
        &UpstreamClient::new(ClientOptions::default()).unwrap(),
        &GlobalProviderOptions::default(),
    )
}

fn catalog() -> ModelCatalog {
    let list = |provider: &str, ids: &[&str]| ProviderModels {
        provider: provider.into(),
        provider_type: "x".into(),
        source: ModelSource::Upstream,
        models: ids
            .iter()
            .map(|id| UpstreamModel {
                id: (*id).into(),
                created: None,
                owned_by: None,
            })
            .collect(),
        limits: Default::default(),
        last_error: None,
        fetched_at: None,
        last_success_at: None,
    };
    // Registry order: openai, openai-east, openrouter, vllm-test.
    ModelCatalog::new(vec![
        list("openai", &["gpt-4o", "gpt-4o-mini"]),
        list("openai-east", &["gpt-4o"]),
        list("openrouter", &["google/gemini-2.5-flash", "openai/gpt-4o"]),
        list("vllm-test", &["meta-llama/Llama-3.1-8B-Instruct"]),
    ])
}

fn route(model: &str, provider: Option<&str>) -> Result<(String, String), GatewayError> {
    resolve(
        &registry(),
        &catalog(),
        ConfiguredModelsMode::Fallback,
        model,
        provider,
    )
    .map(|r| (r.provider.name().to_owned(), r.upstream_model))
}

fn ok(name: &str, model: &str) -> (String, String) {
    (name.to_owned(), model.to_owned())
}

#[test]
fn bare_names_go_to_the_first_provider_in_name_order() {
    assert_eq!(route("gpt-4o", None).unwrap(), ok("openai", "gpt-4o"));
    assert_eq!(
        route("gpt-4o-mini", None).unwrap(),
        ok("openai", "gpt-4o-mini")
    );
}

#[test]
fn qualified_names_pick_the_instance() {
    assert_eq!(
        route("openai-east/gpt-4o", None).unwrap(),
        ok("openai-east", "gpt-4o")
    );
    assert_eq!(
        route("openrouter/google/gemini-2.5-flash", None).unwrap(),
        ok("openrouter", "google/gemini-2.5-flash")
    );
    assert_eq!(
        route("vllm-test/meta-llama/Llama-3.1-8B-Instruct", None).unwrap(),
        ok("vllm-test", "meta-llama/Llama-3.1-8B-Instruct")
    );
}

#[test]
fn slash_shaped_ids_are_not_shadowed_by_provider_names() {
    // "openai/gpt-4o" is a real OpenRouter id, and also openai + gpt-4o: the instance wins
    // because it lists gpt-4o; "meta-llama/..." has no provider called meta-llama.
    assert_eq!(
        route("openai/gpt-4o", None).unwrap(),
        ok("openai", "gpt-4o")
    );
    assert_eq!(
        route("meta-llama/Llama-3.1-8B-Instruct", None).unwrap(),
        ok("vllm-test", "meta-llama/Llama-3.1-8B-Instruct")
    );
    assert_eq!(
        route("google/gemini-2.5-flash", None).unwrap(),
        ok("openrouter", "google/gemini-2.5-flash")
    );
}

#[test]
fn explicit_provider_field_is_authoritative() {
    assert_eq!(
        route("gpt-4o", Some("openai-east")).unwrap(),
        ok("openai-east", "gpt-4o")
    );
    assert_eq!(
        route("openrouter/openai/gpt-4o", Some("openrouter")).unwrap(),
        ok("openrouter", "openai/gpt-4o")
    );
    assert_eq!(
        route("openai/gpt-4o", Some("openrouter")).unwrap(),
        ok("openrouter", "openai/gpt-4o")
    );
    let err = route("gpt-4o", Some("nope")).unwrap_err();
    assert_eq!(err.code.unwrap(), "unknown_provider");
    assert!(err.message.contains("openai-east"));
}

#[test]
fn unlisted_models_on_a_named_provider_are_forwarded_but_bare_unknowns_fail() {
    assert_eq!(
        route("openai-east/gpt-5-preview", None).unwrap(),
        ok("openai-east", "gpt-5-preview")
    );
    let err = route("no-such-model", None).unwrap_err();
    assert_eq!(err.status, http::StatusCode::BAD_REQUEST);
    assert!(err.message.contains("GET /v1/models"), "{}", err.message);
    assert_eq!(err.param.as_deref(), Some("model"));
}

#[test]
fn allowlist_mode_rejects_models_outside_a_configured_list() {
    let settings = ProviderSettings {
        name: "oracle".into(),
        kind: ProviderKind::Oracle,
        api_key: Secret::new("k"),
        base_url: "http://127.0.0.1:1/v1".into(),
        api_version: None,
        models: vec!["m1".into()],
        api_mode: Default::default(),
        vertex: None,
        bedrock: None,
    };
    let client = UpstreamClient::new(ClientOptions::default()).unwrap();
    let oracle_registry =
        ProviderRegistry::new(vec![settings], &client, &GlobalProviderOptions::default());
    let oracle_catalog = ModelCatalog::new(vec![ProviderModels {
        provider: "oracle".into(),
        provider_type: "oracle".into(),
        source: ModelSource::Configured,
        models: vec![UpstreamModel {
            id: "m1".into(),
            created: None,
            owned_by: None,
        }],
        limits: Default::default(),
        last_error: None,
        fetched_at: None,
        last_success_at: None,
    }]);
    let err = resolve(
        &oracle_registry,
        &oracle_catalog,
        ConfiguredModelsMode::Allowlist,
        "oracle/m2",
        None,
    )
    .unwrap_err();
    assert_eq!(err.code.unwrap(), "model_not_found");
    assert!(
        resolve(
            &oracle_registry,
            &oracle_catalog,
            ConfiguredModelsMode::Allowlist,
            "oracle/m1",
            None
        )
        .is_ok()
    );
    assert!(
        resolve(
            &oracle_registry,
            &oracle_catalog,
            ConfiguredModelsMode::Fallback,
            "oracle/m2",
            None
        )
        .is_ok()
    );
    // Providers without a configured list keep forwarding unlisted models in allowlist mode.
    assert!(
        resolve(
            &registry(),
            &catalog(),
            ConfiguredModelsMode::Allowlist,
            "openai-east/gpt-5",
            None
        )
        .is_ok()
    );
}

#[test]
fn no_providers_names_the_variables() {
    let empty = ProviderRegistry::default();
    let err = resolve(
        &empty,
        &ModelCatalog::default(),
        ConfiguredModelsMode::Fallback,
        "gpt-4o",
        None,
    )
    .unwrap_err();
    assert!(err.message.contains("OPENAI_API_KEY") && err.message.contains("OLLAMA_BASE_URL"));
}
