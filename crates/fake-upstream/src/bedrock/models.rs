//! Bedrock's model catalog: `GET /foundation-models` (ListFoundationModels, Bedrock API
//! reference, https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ListFoundationModels.html)
//! and the resolution of a Converse `modelId`.
//!
//! The default catalog mixes what a client must sort through: Claude models callable on demand
//! and Claude models callable only through an inference profile (`INFERENCE_PROFILE`), Nova,
//! Llama, Mistral and Cohere text models, embedding models and image models. A `modelId` may be
//! a base id, a cross-region inference profile id (`us.`, `eu.`, `apac.` for this region's
//! geography, or `global.`), a foundation-model ARN or an inference-profile ARN in this region.
//! Calling an `INFERENCE_PROFILE`-only model by its base id is the ValidationException real
//! clients hit most often.

use serde::Serialize;

use super::errors::BedrockError;
use crate::google_oauth::form;

/// One `modelSummaries` entry.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct FoundationModel {
    model_arn: String,
    pub(super) model_id: String,
    model_name: String,
    provider_name: String,
    input_modalities: Vec<&'static str>,
    output_modalities: Vec<&'static str>,
    /// Absent for embedding and image models, as Bedrock leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    response_streaming_supported: Option<bool>,
    customizations_supported: Vec<&'static str>,
    inference_types_supported: Vec<&'static str>,
    model_lifecycle: Lifecycle,
}

#[derive(Serialize, Clone)]
struct Lifecycle {
    status: &'static str,
}

const ON_DEMAND: &[&str] = &["ON_DEMAND"];
const PROFILE: &[&str] = &["INFERENCE_PROFILE"];
const TEXT: &[&str] = &["TEXT"];
const TEXT_IMAGE: &[&str] = &["TEXT", "IMAGE"];
const TEXT_IMAGE_VIDEO: &[&str] = &["TEXT", "IMAGE", "VIDEO"];

/// id, name, provider, input modalities, output modality, inference types, customizations,
/// lifecycle status.
type Entry = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
);

#[rustfmt::skip]
const CATALOG: &[Entry] = &[
    ("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", "Anthropic", TEXT_IMAGE, "TEXT", ON_DEMAND, &[], "ACTIVE"),
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", "Anthropic", TEXT_IMAGE, "TEXT", ON_DEMAND, &[], "LEGACY"),
    ("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", "Anthropic", TEXT, "TEXT", PROFILE, &[], "ACTIVE"),
    ("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet", "Anthropic", TEXT_IMAGE, "TEXT", PROFILE, &[], "ACTIVE"),
    ("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", "Anthropic", TEXT_IMAGE, "TEXT", PROFILE, &[], "ACTIVE"),
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", "Anthropic", TEXT_IMAGE, "TEXT", PROFILE, &[], "ACTIVE"),
    ("anthropic.claude-opus-4-1-20250805-v1:0", "Claude Opus 4.1", "Anthropic", TEXT_IMAGE, "TEXT", PROFILE, &[], "ACTIVE"),
    ("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", "Anthropic", TEXT_IMAGE, "TEXT", PROFILE, &[], "ACTIVE"),
    ("amazon.nova-pro-v1:0", "Nova Pro", "Amazon", TEXT_IMAGE_VIDEO, "TEXT", ON_DEMAND, &[], "ACTIVE"),
    ("amazon.nova-lite-v1:0", "Nova Lite", "Amazon", TEXT_IMAGE_VIDEO, "TEXT", ON_DEMAND, &["FINE_TUNING", "DISTILLATION"], "ACTIVE"),
    ("amazon.nova-micro-v1:0", "Nova Micro", "Amazon", TEXT, "TEXT", ON_DEMAND, &["FINE_TUNING", "DISTILLATION"], "ACTIVE"),
    ("amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2", "Amazon", TEXT, "EMBEDDING", ON_DEMAND, &[], "ACTIVE"),
    ("amazon.titan-image-generator-v2:0", "Titan Image Generator G1 v2", "Amazon", TEXT_IMAGE, "IMAGE", &["ON_DEMAND", "PROVISIONED"], &["FINE_TUNING"], "ACTIVE"),
    ("meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", "Meta", TEXT, "TEXT", ON_DEMAND, &[], "ACTIVE"),
    ("meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct", "Meta", TEXT, "TEXT", PROFILE, &[], "ACTIVE"),
    ("mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", "Mistral AI", TEXT, "TEXT", ON_DEMAND, &[], "ACTIVE"),
    ("mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", "Mistral AI", TEXT, "TEXT", ON_DEMAND, &[], "ACTIVE"),
    ("cohere.command-r-v1:0", "Command R", "Cohere", TEXT, "TEXT", ON_DEMAND, &[], "ACTIVE"),
    ("cohere.command-r-plus-v1:0", "Command R+", "Cohere", TEXT, "TEXT", ON_DEMAND, &[], "ACTIVE"),
    ("cohere.embed-english-v3", "Embed English", "Cohere", TEXT, "EMBEDDING", ON_DEMAND, &[], "ACTIVE"),
    ("stability.sd3-5-large-v1:0", "Stable Diffusion 3.5 Large", "Stability AI", TEXT_IMAGE, "IMAGE", ON_DEMAND, &[], "ACTIVE"),
];

/// Cross-region inference profile prefixes, and the region prefix each serves.
const GEOGRAPHIES: &[(&str, &str)] = &[("us", "us-"), ("eu", "eu-"), ("apac", "ap-")];

/// The catalog this fake serves: the default one, or exactly `models` as on-demand text
/// models.
pub(super) fn catalog(models: Option<&[String]>, region: &str) -> Vec<FoundationModel> {
    let arn = |id: &str| format!("arn:aws:bedrock:{region}::foundation-model/{id}");
    match models {
        Some(ids) => ids
            .iter()
            .map(|id| FoundationModel {
                model_arn: arn(id),
                model_id: id.clone(),
                model_name: id.clone(),
                provider_name: provider_of(id),
                input_modalities: TEXT.to_vec(),
                output_modalities: TEXT.to_vec(),
                response_streaming_supported: Some(true),
                customizations_supported: Vec::new(),
                inference_types_supported: ON_DEMAND.to_vec(),
                model_lifecycle: Lifecycle { status: "ACTIVE" },
            })
            .collect(),
        None => CATALOG
            .iter()
            .map(
                |&(id, name, provider, input, output, inference, customizations, status)| {
                    FoundationModel {
                        model_arn: arn(id),
                        model_id: id.to_owned(),
                        model_name: name.to_owned(),
                        provider_name: provider.to_owned(),
                        input_modalities: input.to_vec(),
                        output_modalities: vec![output],
                        response_streaming_supported: (output == "TEXT").then_some(true),
                        customizations_supported: customizations.to_vec(),
                        inference_types_supported: inference.to_vec(),
                        model_lifecycle: Lifecycle { status },
                    }
                },
            )
            .collect(),
    }
}

/// `anthropic.x` → `Anthropic`; ids without a provider prefix belong to "Fake".
fn provider_of(id: &str) -> String {
    let Some((provider, _)) = id.split_once('.') else {
        return "Fake".to_owned();
    };
    let mut chars = provider.chars();
    chars.next().map_or_else(
        || "Fake".to_owned(),
        |first| first.to_uppercase().chain(chars).collect(),
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse<'c> {
    model_summaries: Vec<&'c FoundationModel>,
}

/// `GET /foundation-models[?byProvider=…&byOutputModality=…&byInferenceType=…&byCustomizationType=…]`.
pub(super) fn list(catalog: &[FoundationModel], query: &str) -> Result<String, BedrockError> {
    let query = form::parse(query.as_bytes());
    let filter =
        |name: &str, member: &str, allowed: &[&str]| -> Result<Option<String>, BedrockError> {
            let Some(value) = form::get(&query, name) else {
                return Ok(None);
            };
            if !allowed.is_empty() && !allowed.contains(&value) {
                return Err(BedrockError::validation(format!(
                    "1 validation error detected: Value '{value}' at '{member}' failed to satisfy \
                 constraint: Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                )));
            }
            Ok(Some(value.to_owned()))
        };
    let output = filter(
        "byOutputModality",
        "byOutputModality",
        &["TEXT", "IMAGE", "EMBEDDING"],
    )?;
    let inference = filter(
        "byInferenceType",
        "byInferenceType",
        &["ON_DEMAND", "PROVISIONED"],
    )?;
    let customization = filter(
        "byCustomizationType",
        "byCustomizationType",
        &["FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"],
    )?;
    let provider = filter("byProvider", "byProvider", &[])?;
    let summaries = catalog
        .iter()
        .filter(|m| {
            output
                .as_deref()
                .is_none_or(|o| m.output_modalities.contains(&o))
        })
        .filter(|m| {
            inference
                .as_deref()
                .is_none_or(|i| m.inference_types_supported.contains(&i))
        })
        .filter(|m| {
            customization
                .as_deref()
                .is_none_or(|c| m.customizations_supported.contains(&c))
        })
        .filter(|m| {
            provider
                .as_deref()
                .is_none_or(|p| m.provider_name.eq_ignore_ascii_case(p))
        })
        .collect();
    Ok(serde_json::to_string(&ListResponse {
        model_summaries: summaries,
    })
    .unwrap_or_default())
}

/// The catalog model a Converse `modelId` (already percent-decoded) runs on.
pub(super) fn resolve<'c>(
    catalog: &'c [FoundationModel],
    model_id: &str,
    region: &str,
) -> Result<&'c FoundationModel, BedrockError> {
    let invalid = || BedrockError::validation("The provided model identifier is invalid.");
    let (base, via_profile) = match model_id.strip_prefix("arn:") {
        Some(_) => parse_arn(model_id, region).ok_or_else(invalid)?,
        None => match profile_base(model_id) {
            Some((geography, base)) => {
                if !geography_serves(geography, region) {
                    return Err(invalid());
                }
                (base, true)
            }
            None => (model_id, false),
        },
    };
    let model = catalog
        .iter()
        .find(|m| m.model_id == base)
        .ok_or_else(invalid)?;
    if !model.output_modalities.contains(&"TEXT") {
        return Err(BedrockError::validation(
            "This action doesn't support the model that you provided. Try again with a \
             supported text or chat model.",
        ));
    }
    if !via_profile && !model.inference_types_supported.contains(&"ON_DEMAND") {
        return Err(BedrockError::validation(format!(
            "Invocation of model ID {base} with on-demand throughput isn\u{2019}t supported. \
             Retry your request with the ID or ARN of an inference profile that contains this \
             model."
        )));
    }
    Ok(model)
}

/// `us.anthropic.…` → (`us`, `anthropic.…`).
fn profile_base(model_id: &str) -> Option<(&str, &str)> {
    let (prefix, base) = model_id.split_once('.')?;
    let known = prefix == "global" || GEOGRAPHIES.iter().any(|(g, _)| *g == prefix);
    (known && base.contains('.')).then_some((prefix, base))
}

fn geography_serves(geography: &str, region: &str) -> bool {
    geography == "global"
        || GEOGRAPHIES
            .iter()
            .any(|(g, regions)| *g == geography && region.starts_with(regions))
}

/// `arn:aws:bedrock:{region}::foundation-model/{id}` or
/// `arn:aws:bedrock:{region}:{account}:inference-profile/{profile id}`, in this region.
fn parse_arn<'m>(arn: &'m str, region: &str) -> Option<(&'m str, bool)> {
    let mut fields = arn.splitn(6, ':');
    let (
        Some("arn"),
        Some(_partition),
        Some("bedrock"),
        Some(arn_region),
        Some(account),
        Some(resource),
    ) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    )
    else {
        return None;
    };
    if arn_region != region {
        return None;
    }
    if let Some(id) = resource.strip_prefix("foundation-model/") {
        return account.is_empty().then_some((id, false));
    }
    let profile = resource.strip_prefix("inference-profile/")?;
    let (geography, base) = profile_base(profile)?;
    (account.len() == 12 && geography_serves(geography, region)).then_some((base, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGION: &str = "us-east-1";

    fn resolved(id: &str) -> Result<String, String> {
        let catalog = catalog(None, REGION);
        resolve(&catalog, id, REGION)
            .map(|m| m.model_id.clone())
            .map_err(|e| e.message().to_owned())
    }

    #[test]
    fn profile_only_models_need_a_profile() {
        let base = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        let error = resolved(base).unwrap_err();
        assert_eq!(
            error,
            "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand \
             throughput isn’t supported. Retry your request with the ID or ARN of an inference \
             profile that contains this model."
        );
        for id in [
            format!("us.{base}"),
            format!("global.{base}"),
            format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{base}"),
        ] {
            assert_eq!(resolved(&id).unwrap(), base, "{id}");
        }
    }

    #[test]
    fn identifiers_that_do_not_resolve() {
        let invalid = "The provided model identifier is invalid.";
        for id in [
            "anthropic.claude-nope-v1:0",
            "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "arn:aws:bedrock:us-east-1::inference-profile/us.x.y",
            "arn:aws:bedrock:us-east-1:1:foundation-model/amazon.nova-pro-v1:0",
            "us.",
        ] {
            assert_eq!(resolved(id).unwrap_err(), invalid, "{id}");
        }
        assert!(
            resolved("amazon.titan-embed-text-v2:0")
                .unwrap_err()
                .starts_with("This action doesn't support the model")
        );
        assert_eq!(
            resolved("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0").unwrap(),
            "amazon.nova-pro-v1:0"
        );
    }

    #[test]
    fn listing_filters_and_validates() {
        let catalog = catalog(None, REGION);
        let all: serde_json::Value = serde_json::from_str(&list(&catalog, "").unwrap()).unwrap();
        assert_eq!(
            all["modelSummaries"].as_array().unwrap().len(),
            CATALOG.len()
        );
        let text: serde_json::Value = serde_json::from_str(
            &list(&catalog, "byOutputModality=TEXT&byInferenceType=ON_DEMAND").unwrap(),
        )
        .unwrap();
        let ids: Vec<&str> = text["modelSummaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["modelId"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"amazon.nova-micro-v1:0"));
        assert!(!ids.contains(&"anthropic.claude-sonnet-4-5-20250929-v1:0"));
        assert!(!ids.contains(&"amazon.titan-embed-text-v2:0"));
        let error = list(&catalog, "byOutputModality=AUDIO").unwrap_err();
        assert!(error.message().contains("[TEXT, IMAGE, EMBEDDING]"));
        assert_eq!(provider_of("gpt-4o"), "Fake");
        assert_eq!(provider_of("acme.m"), "Acme");
    }
}
