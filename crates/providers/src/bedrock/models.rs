//! `ListFoundationModels` (`GET /foundation-models?byOutputModality=TEXT&byInferenceType=
//! ON_DEMAND` on the control plane), kept to active text models callable on demand, plus the
//! configured ids (inference profiles and ARNs, which the list does not include).

use bytes::Bytes;
use reqwest::Method;
use serde::Deserialize;

use super::BedrockProvider;
use crate::ProviderError;
use crate::provider::{CallContext, UpstreamModel};
use crate::response::{MAX_RESPONSE_BYTES, invalid, read_body};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    model_summaries: Vec<Summary>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    model_id: String,
    #[serde(default)]
    provider_name: Option<String>,
    #[serde(default)]
    output_modalities: Vec<String>,
    #[serde(default)]
    inference_types_supported: Vec<String>,
    #[serde(default)]
    model_lifecycle: Option<Lifecycle>,
}

#[derive(Deserialize)]
struct Lifecycle {
    #[serde(default)]
    status: String,
}

pub(super) async fn list(provider: &BedrockProvider) -> Result<Vec<UpstreamModel>, ProviderError> {
    let ctx = CallContext {
        request_id: "",
        stream: false,
        model: "",
    };
    let url = format!(
        "{}/foundation-models?byOutputModality=TEXT&byInferenceType=ON_DEMAND",
        provider.control_url()
    );
    let response = provider
        .send(Method::GET, &url, Bytes::new(), ctx, Vec::new())
        .await?;
    let raw = read_body(provider.name(), response, MAX_RESPONSE_BYTES).await?;
    let page: Page = serde_json::from_slice(&raw).map_err(|err| {
        invalid(
            provider.name(),
            format!("not a ListFoundationModels answer: {err}"),
        )
    })?;
    let mut models: Vec<UpstreamModel> = page
        .model_summaries
        .into_iter()
        .filter(usable)
        .map(|m| UpstreamModel {
            id: m.model_id,
            created: None,
            owned_by: m.provider_name.map(|p| p.to_ascii_lowercase()),
        })
        .collect();
    for id in provider.configured_models() {
        if !models.iter().any(|m| &m.id == id) {
            models.push(UpstreamModel {
                id: id.clone(),
                created: None,
                owned_by: Some("bedrock".to_owned()),
            });
        }
    }
    Ok(models)
}

fn usable(model: &Summary) -> bool {
    model.output_modalities.iter().any(|m| m == "TEXT")
        && model
            .inference_types_supported
            .iter()
            .any(|t| t == "ON_DEMAND")
        && model
            .model_lifecycle
            .as_ref()
            .is_none_or(|l| l.status == "ACTIVE")
}
