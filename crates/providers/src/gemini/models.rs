//! The model list: AI Studio's `GET /v1beta/models` (with `supportedGenerationMethods`) or
//! Vertex AI's Model Garden `GET /v1beta1/publishers/google/models`, page by page, filtered
//! to models a chat or embeddings request can use (text generation and embeddings; not
//! image, video, speech, live-audio or retrieval-only models).

use reqwest::Method;
use serde::Deserialize;

use super::GeminiNative;
use super::target::Target;
use crate::ProviderError;
use crate::model_list::{ModelLimits, ModelListing};
use crate::provider::{CallContext, UpstreamModel};
use crate::response::{MAX_RESPONSE_BYTES, invalid, read_body};
use crate::util::percent_encode;

/// Pages read at most (Google pages are up to 1,000 models).
const MAX_PAGES: usize = 20;

/// Model ids that support `generateContent` but cannot answer a text chat (`nano-banana-*`
/// is the image model under its product name).
const NOT_CHAT: [&str; 7] = [
    "-tts",
    "native-audio",
    "-live",
    "image-generation",
    "-image",
    "nano-banana",
    "robotics",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    models: Vec<Entry>,
    #[serde(default)]
    publisher_models: Vec<Entry>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    name: String,
    #[serde(default)]
    supported_generation_methods: Option<Vec<String>>,
    /// AI Studio's limits (Model Garden states none). Read loosely: a limit that is not a
    /// positive whole number is ignored, never a reason to refuse the list.
    #[serde(default)]
    input_token_limit: Option<serde_json::Value>,
    #[serde(default)]
    output_token_limit: Option<serde_json::Value>,
}

impl Entry {
    /// Gemini counts the prompt and the answer against separate limits; the input limit is
    /// what a conversation can hold, so it is the context window shown.
    fn limits(&self) -> ModelLimits {
        let positive = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .and_then(serde_json::Value::as_u64)
                .filter(|n| *n > 0)
        };
        ModelLimits {
            context_window: positive(&self.input_token_limit),
            max_output_tokens: positive(&self.output_token_limit),
        }
    }
}

pub(super) async fn list(provider: &GeminiNative) -> Result<ModelListing, ProviderError> {
    let (base, vertex) = match provider.target() {
        Target::AiStudio { native_base, .. } => (format!("{native_base}/models"), false),
        Target::Vertex { models_url, .. } => (models_url.clone(), true),
    };
    let ctx = CallContext {
        request_id: "",
        stream: false,
        model: "",
    };
    let mut listing = ModelListing::default();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut url = format!("{base}?pageSize=1000");
        if let Some(token) = &token {
            url.push_str("&pageToken=");
            url.push_str(&percent_encode(token));
        }
        let response = provider
            .send(Method::GET, &url, None, ctx, Vec::new())
            .await?;
        let raw = read_body(&provider.name, response, MAX_RESPONSE_BYTES).await?;
        let page: Page = serde_json::from_slice(&raw).map_err(|err| {
            invalid(
                &provider.name,
                format!("model list is not a Google model list: {err}"),
            )
        })?;
        for entry in page.models.into_iter().chain(page.publisher_models) {
            if let Some(id) = usable(&entry, vertex) {
                let limits = entry.limits();
                if !limits.is_empty() {
                    listing.limits.insert(id.clone(), limits);
                }
                listing.models.push(UpstreamModel {
                    id,
                    created: None,
                    owned_by: Some("google".to_owned()),
                });
            }
        }
        match page.next_page_token.filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    Ok(listing)
}

/// The model's id when a chat or embeddings request can use it.
fn usable(entry: &Entry, vertex: bool) -> Option<String> {
    let id = entry.name.rsplit('/').next().unwrap_or(&entry.name);
    let id = id.split('@').next().unwrap_or(id);
    if NOT_CHAT.iter().any(|marker| id.contains(marker)) {
        return None;
    }
    let fits = match &entry.supported_generation_methods {
        Some(methods) => methods.iter().any(|m| {
            matches!(
                m.as_str(),
                "generateContent" | "embedContent" | "batchEmbedContents"
            )
        }),
        // Vertex's Model Garden does not say: go by the family.
        None => {
            vertex
                && (id.starts_with("gemini-")
                    || id.starts_with("text-embedding-")
                    || id.starts_with("text-multilingual-embedding-"))
        }
    };
    fits.then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, methods: Option<&[&str]>) -> Entry {
        Entry {
            name: name.to_owned(),
            supported_generation_methods: methods
                .map(|m| m.iter().map(|s| (*s).to_owned()).collect()),
            input_token_limit: None,
            output_token_limit: None,
        }
    }

    #[test]
    fn limits_are_read_loosely() {
        let page: Page = serde_json::from_str(
            r#"{"models":[
                {"name":"models/gemini-2.5-flash","inputTokenLimit":1048576,"outputTokenLimit":65536},
                {"name":"models/odd","inputTokenLimit":"lots","outputTokenLimit":-1},
                {"name":"models/none"}]}"#,
        )
        .unwrap();
        let limits: Vec<ModelLimits> = page.models.iter().map(Entry::limits).collect();
        assert_eq!(
            limits[0],
            ModelLimits {
                context_window: Some(1_048_576),
                max_output_tokens: Some(65_536)
            }
        );
        assert!(limits[1].is_empty() && limits[2].is_empty());
    }

    #[test]
    fn keeps_chat_and_embedding_models_only() {
        let generate: &[&str] = &["generateContent", "countTokens"];
        assert_eq!(
            usable(&entry("models/gemini-2.5-flash", Some(generate)), false).as_deref(),
            Some("gemini-2.5-flash")
        );
        assert_eq!(
            usable(
                &entry("models/text-embedding-004", Some(&["embedContent"])),
                false
            )
            .as_deref(),
            Some("text-embedding-004")
        );
        assert_eq!(
            usable(
                &entry("models/imagen-4.0-generate-001", Some(&["predict"])),
                false
            ),
            None
        );
        assert_eq!(
            usable(&entry("models/aqa", Some(&["generateAnswer"])), false),
            None
        );
        assert_eq!(
            usable(
                &entry("models/gemini-2.5-flash-preview-tts", Some(generate)),
                false
            ),
            None
        );
        assert_eq!(
            usable(
                &entry("publishers/google/models/gemini-2.5-pro", None),
                true
            )
            .as_deref(),
            Some("gemini-2.5-pro")
        );
        assert_eq!(
            usable(&entry("publishers/google/models/imagen-3.0", None), true),
            None
        );
    }

    /// The ids Google listed in a recording (`../shared/fixtures/provider-recordings/gemini`,
    /// copied beside the protocol fixtures). It came from the OpenAI-compatible endpoint, which
    /// gives no `supportedGenerationMethods`, so every id is taken as a `generateContent`
    /// model: what this checks is the name filter on real names.
    #[test]
    fn the_name_filter_on_a_recorded_google_list() {
        let recording: serde_json::Value = serde_json::from_str(include_str!(
            "../../../protocol/tests/fixtures/gemini/recorded-openai-compat/models.json"
        ))
        .unwrap();
        let ids: Vec<&str> = recording["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert!(ids.len() > 50, "{ids:?}");
        let dropped: Vec<&str> = ids
            .iter()
            .filter(|id| usable(&entry(id, Some(&["generateContent"])), false).is_none())
            .map(|id| id.trim_start_matches("models/"))
            .collect();
        assert_eq!(
            dropped,
            [
                "gemini-2.5-flash-preview-tts",
                "gemini-2.5-pro-preview-tts",
                "gemini-2.5-flash-image",
                "gemini-3-pro-image-preview",
                "nano-banana-pro-preview",
                "gemini-robotics-er-1.5-preview",
                "gemini-2.5-flash-native-audio-latest",
                "gemini-2.5-flash-native-audio-preview-09-2025",
                "gemini-2.5-flash-native-audio-preview-12-2025",
            ]
        );
        for kept in [
            "models/gemini-2.5-flash",
            "models/gemini-3-flash-preview",
            "models/gemini-flash-lite-latest",
            "models/gemma-3-27b-it",
            "models/text-embedding-004",
            "models/gemini-embedding-001",
        ] {
            assert!(ids.contains(&kept), "{kept} is no longer in the recording");
            assert_eq!(
                usable(&entry(kept, Some(&["generateContent"])), false).as_deref(),
                kept.strip_prefix("models/")
            );
        }
    }
}
