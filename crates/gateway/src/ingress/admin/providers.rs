//! `GET /providers/status`: each provider's health from its recent traffic and its last
//! model-list fetch, its last error, and its configuration with the credential masked.
//!
//! Status: `unhealthy` when at least half of the recent requests (three or more) failed, or
//! the model list cannot be fetched and no request succeeded recently; `degraded` when some
//! recent requests failed or the last model fetch failed; `healthy` when the list is known and
//! traffic is fine; `unknown` before anything was learnt.

use axum::Json;
use axum::extract::State;
use gomodel_providers::Provider;
use serde_json::{Value, json};

use super::runtime::unix_now;
use crate::app::AppState;
use crate::models::{ModelSource, ProviderModels};
use crate::observe::provider_health::HealthView;

pub async fn status(State(state): State<AppState>) -> Json<Value> {
    let now = unix_now();
    let catalog = state.inventory().snapshot();
    let mut counts = [0usize; 4];
    let providers: Vec<Value> = state
        .registry()
        .iter()
        .map(|provider| {
            let list = catalog
                .providers()
                .iter()
                .find(|p| p.provider == provider.name());
            let health = state.provider_health().view(provider.name(), now);
            let (status, reason) = judge(list, &health);
            counts[match status {
                "healthy" => 0,
                "degraded" => 1,
                "unhealthy" => 2,
                _ => 3,
            }] += 1;
            json!({
                "name": provider.name(),
                "type": provider.kind().as_str(),
                "status": status,
                "label": label(status),
                "reason": reason,
                "last_error": health.last_error.clone().or_else(|| list.and_then(|l| l.last_error.clone())),
                "config": sanitized_config(provider),
                "runtime": {
                    "model_count": list.map_or(0, |l| l.models.len()),
                    "model_source": list.map(|l| l.source),
                    "last_model_fetch_at": list.and_then(|l| l.fetched_at),
                    "last_model_fetch_success_at": list.and_then(|l| l.last_success_at),
                    "last_model_fetch_error": list.and_then(|l| l.last_error.clone()),
                    "recent_requests": health.recent_requests,
                    "recent_errors": health.recent_errors,
                    "last_request_at": health.last_request_at,
                    "last_error_at": health.last_error_at,
                },
            })
        })
        .collect();
    let [healthy, degraded, unhealthy, unknown] = counts;
    let overall = if providers.is_empty() {
        "unknown"
    } else if unhealthy == providers.len() {
        "unhealthy"
    } else if unhealthy > 0 || degraded > 0 {
        "degraded"
    } else if healthy > 0 {
        "healthy"
    } else {
        "unknown"
    };
    Json(json!({
        "summary": {
            "total": providers.len(),
            "healthy": healthy,
            "degraded": degraded,
            "unhealthy": unhealthy,
            "unknown": unknown,
            "overall_status": overall,
        },
        "providers": providers,
    }))
}

fn judge(list: Option<&ProviderModels>, health: &HealthView) -> (&'static str, String) {
    let requests = health.recent_requests;
    let errors = health.recent_errors;
    let fetch_failed = list.is_some_and(|l| l.last_error.is_some());
    let no_models = list.is_none_or(|l| l.models.is_empty() && l.source == ModelSource::None);
    if requests >= 3 && errors * 2 >= requests {
        return (
            "unhealthy",
            format!("{errors} of the last {requests} requests failed"),
        );
    }
    if fetch_failed && no_models && (requests == 0 || errors == requests) {
        return ("unhealthy", "the model list cannot be fetched".to_owned());
    }
    if errors > 0 {
        return (
            "degraded",
            format!("{errors} of the last {requests} requests failed"),
        );
    }
    if fetch_failed {
        return ("degraded", "the last model-list fetch failed".to_owned());
    }
    if requests > 0 || list.is_some_and(|l| l.source == ModelSource::Upstream) {
        return ("healthy", "answering".to_owned());
    }
    ("unknown", "no model list and no traffic yet".to_owned())
}

fn label(status: &str) -> &'static str {
    match status {
        "healthy" => "Healthy",
        "degraded" => "Degraded",
        "unhealthy" => "Unhealthy",
        _ => "Unknown",
    }
}

/// A URL without credentials in it: userinfo and the query (`?key=`) are dropped.
fn sanitized_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit('@').next().unwrap_or(authority);
    if scheme.is_empty() {
        format!("{host}{path}")
    } else {
        format!("{scheme}://{host}{path}")
    }
}

/// The configuration an operator may see: never the key, only its masked tail.
fn sanitized_config(provider: &Provider) -> Value {
    let settings = provider.settings();
    json!({
        "base_url": sanitized_url(&settings.base_url),
        "api_key": settings.api_key.masked(),
        "api_version": settings.api_version,
        "models": settings.models,
        "vertex": settings.vertex.as_ref().map(|v| json!({"project": v.project, "location": v.location})),
        "bedrock": settings.bedrock.as_ref().map(|b| json!({"region": b.region})),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(error: Option<&str>, models: usize) -> ProviderModels {
        ProviderModels {
            provider: "p".into(),
            provider_type: "openai".into(),
            source: if models > 0 {
                ModelSource::Upstream
            } else {
                ModelSource::None
            },
            models: (0..models)
                .map(|i| gomodel_providers::UpstreamModel {
                    id: format!("m{i}"),
                    created: None,
                    owned_by: None,
                })
                .collect(),
            limits: Default::default(),
            last_error: error.map(str::to_owned),
            fetched_at: Some(1),
            last_success_at: None,
        }
    }

    fn traffic(requests: u32, errors: u32) -> HealthView {
        HealthView {
            recent_requests: requests,
            recent_errors: errors,
            ..HealthView::default()
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(judge(Some(&list(None, 3)), &traffic(10, 0)).0, "healthy");
        assert_eq!(judge(Some(&list(None, 3)), &traffic(10, 1)).0, "degraded");
        assert_eq!(judge(Some(&list(None, 3)), &traffic(4, 2)).0, "unhealthy");
        assert_eq!(
            judge(Some(&list(Some("down"), 0)), &traffic(0, 0)).0,
            "unhealthy"
        );
        assert_eq!(
            judge(Some(&list(Some("down"), 2)), &traffic(0, 0)).0,
            "degraded"
        );
        assert_eq!(judge(None, &traffic(0, 0)).0, "unknown");
        let mut configured = list(None, 2);
        configured.source = ModelSource::Configured;
        assert_eq!(judge(Some(&configured), &traffic(0, 0)).0, "unknown");
        assert_eq!(
            sanitized_url("https://user:pass@api.example.com/v1?key=secret"),
            "https://api.example.com/v1"
        );
    }
}
