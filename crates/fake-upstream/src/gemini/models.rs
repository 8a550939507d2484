//! `GET …/models` in the Gemini API's shape (https://ai.google.dev/api/models#method:-models.list):
//! `{"models":[Model],"nextPageToken"}`, 50 per page unless `pageSize` says otherwise (at most
//! 1000), the next page named by `pageToken`.
//!
//! The default catalog mirrors what the real list holds: more than one page of models, most of
//! which a gateway must not offer as chat models (Imagen and `predict`, Veo and
//! `predictLongRunning`, AQA and `generateAnswer`, Live models and `bidiGenerateContent`,
//! legacy `embedText`), so both the pagination and the filtering by
//! `supportedGenerationMethods` get exercised. Ids and names are real; limits and defaults
//! are typical values, not a recording.

use serde::Serialize;
use serde_json::Value;

use super::errors::ApiError;
use crate::base64;

const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 1000;

#[derive(Clone, Copy)]
enum Kind {
    Chat { thinking: bool },
    Gemma,
    Embedding,
    LegacyEmbedding,
    Aqa,
    Imagen,
    Veo,
    Live,
}

/// `(id, display name, version, kind)`, in list order. A table, so kept one model a line.
#[rustfmt::skip]
const CATALOG: &[(&str, &str, &str, Kind)] = &[
    ("embedding-gecko-001", "Embedding Gecko", "001", Kind::LegacyEmbedding),
    ("gemini-2.5-pro", "Gemini 2.5 Pro", "2.5", THINKING),
    ("gemini-2.5-flash", "Gemini 2.5 Flash", "001", THINKING),
    ("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", "001", THINKING),
    ("gemini-2.5-flash-preview-09-2025", "Gemini 2.5 Flash Preview Sep 2025", "2.5-preview-09-25", THINKING),
    ("gemini-2.5-flash-lite-preview-09-2025", "Gemini 2.5 Flash-Lite Preview Sep 2025", "2.5-lite-preview-09-25", THINKING),
    ("gemini-2.5-pro-preview-06-05", "Gemini 2.5 Pro Preview 06-05", "2.5-preview-06-05", THINKING),
    ("gemini-2.5-pro-preview-05-06", "Gemini 2.5 Pro Preview 05-06", "2.5-preview-05-06", THINKING),
    ("gemini-2.5-flash-preview-05-20", "Gemini 2.5 Flash Preview 05-20", "2.5-preview-05-20", THINKING),
    ("gemini-2.5-flash-lite-preview-06-17", "Gemini 2.5 Flash-Lite Preview 06-17", "2.5-preview-06-17", THINKING),
    ("gemini-2.5-flash-image", "Nano Banana", "2.0", PLAIN),
    ("gemini-2.5-flash-image-preview", "Nano Banana Preview", "2.0", PLAIN),
    ("gemini-2.5-flash-preview-tts", "Gemini 2.5 Flash Preview TTS", "gemini-2.5-flash-exp-tts-2025-05-19", PLAIN),
    ("gemini-2.5-pro-preview-tts", "Gemini 2.5 Pro Preview TTS", "gemini-2.5-pro-preview-tts-2025-05-19", PLAIN),
    ("gemini-2.5-computer-use-preview-10-2025", "Gemini 2.5 Computer Use Preview 10-2025", "2.5", THINKING),
    ("gemini-3-pro-preview", "Gemini 3 Pro Preview", "3-pro-preview-11-2025", THINKING),
    ("gemini-3-pro-image-preview", "Nano Banana Pro", "3.0", THINKING),
    ("gemini-flash-latest", "Gemini Flash Latest", "Gemini Flash Latest", THINKING),
    ("gemini-flash-lite-latest", "Gemini Flash-Lite Latest", "Gemini Flash-Lite Latest", THINKING),
    ("gemini-pro-latest", "Gemini Pro Latest", "Gemini Pro Latest", THINKING),
    ("gemini-robotics-er-1.5-preview", "Gemini Robotics-ER 1.5 Preview", "1.5-preview", THINKING),
    ("gemini-2.0-flash", "Gemini 2.0 Flash", "2.0", PLAIN),
    ("gemini-2.0-flash-001", "Gemini 2.0 Flash 001", "2.0", PLAIN),
    ("gemini-2.0-flash-exp", "Gemini 2.0 Flash Experimental", "2.0", PLAIN),
    ("gemini-2.0-flash-exp-image-generation", "Gemini 2.0 Flash (Image Generation) Experimental", "2.0", PLAIN),
    ("gemini-2.0-flash-lite", "Gemini 2.0 Flash-Lite", "2.0", PLAIN),
    ("gemini-2.0-flash-lite-001", "Gemini 2.0 Flash-Lite 001", "2.0", PLAIN),
    ("gemini-2.0-flash-lite-preview", "Gemini 2.0 Flash-Lite Preview", "preview-02-05", PLAIN),
    ("gemini-2.0-flash-lite-preview-02-05", "Gemini 2.0 Flash-Lite Preview 02-05", "preview-02-05", PLAIN),
    ("gemini-2.0-pro-exp", "Gemini 2.0 Pro Experimental", "2.5-exp-03-25", THINKING),
    ("gemini-2.0-pro-exp-02-05", "Gemini 2.0 Pro Experimental 02-05", "2.5-exp-03-25", THINKING),
    ("gemini-2.0-flash-thinking-exp", "Gemini 2.0 Flash Thinking Experimental", "2.5-preview-04-17", THINKING),
    ("gemini-2.0-flash-thinking-exp-01-21", "Gemini 2.0 Flash Thinking Experimental 01-21", "2.5-preview-04-17", THINKING),
    ("gemini-2.0-flash-thinking-exp-1219", "Gemini 2.0 Flash Thinking Experimental", "2.5-preview-04-17", THINKING),
    ("gemini-exp-1206", "Gemini Experimental 1206", "2.5-exp-03-25", THINKING),
    ("learnlm-2.0-flash-experimental", "LearnLM 2.0 Flash Experimental", "2.0", PLAIN),
    ("gemma-3-1b-it", "Gemma 3 1B", "001", Kind::Gemma),
    ("gemma-3-4b-it", "Gemma 3 4B", "001", Kind::Gemma),
    ("gemma-3-12b-it", "Gemma 3 12B", "001", Kind::Gemma),
    ("gemma-3-27b-it", "Gemma 3 27B", "001", Kind::Gemma),
    ("gemma-3n-e4b-it", "Gemma 3n E4B", "001", Kind::Gemma),
    ("gemma-3n-e2b-it", "Gemma 3n E2B", "001", Kind::Gemma),
    ("embedding-001", "Embedding 001", "001", Kind::Embedding),
    ("text-embedding-004", "Text Embedding 004", "004", Kind::Embedding),
    ("aqa", "Model that performs Attributed Question Answering.", "001", Kind::Aqa),
    ("imagen-3.0-generate-002", "Imagen 3.0", "002", Kind::Imagen),
    ("imagen-4.0-generate-preview-06-06", "Imagen 4 (Preview)", "01", Kind::Imagen),
    ("imagen-4.0-ultra-generate-preview-06-06", "Imagen 4 Ultra (Preview)", "01", Kind::Imagen),
    ("imagen-4.0-generate-001", "Imagen 4", "001", Kind::Imagen),
    // The first page ends here (50 models); what follows is only seen by a client that pages.
    ("imagen-4.0-ultra-generate-001", "Imagen 4 Ultra", "001", Kind::Imagen),
    ("imagen-4.0-fast-generate-001", "Imagen 4 Fast", "001", Kind::Imagen),
    ("gemini-3-flash-preview", "Gemini 3 Flash Preview", "3-flash-preview-12-2025", THINKING),
    ("gemini-embedding-exp-03-07", "Gemini Embedding Experimental 03-07", "exp-03-07", Kind::Embedding),
    ("gemini-embedding-exp", "Gemini Embedding Experimental", "exp-03-07", Kind::Embedding),
    ("gemini-embedding-001", "Gemini Embedding 001", "001", Kind::Embedding),
    ("veo-2.0-generate-001", "Veo 2", "2.0", Kind::Veo),
    ("veo-3.0-generate-001", "Veo 3", "3.0", Kind::Veo),
    ("veo-3.0-fast-generate-001", "Veo 3 fast", "3.0", Kind::Veo),
    ("veo-3.1-generate-preview", "Veo 3.1", "3.1", Kind::Veo),
    ("veo-3.1-fast-generate-preview", "Veo 3.1 fast", "3.1", Kind::Veo),
    ("gemini-2.0-flash-live-001", "Gemini 2.0 Flash 001", "001", Kind::Live),
    ("gemini-live-2.5-flash-preview", "Gemini Live 2.5 Flash Preview", "001", Kind::Live),
    ("gemini-2.5-flash-live-preview", "Gemini 2.5 Flash Live Preview", "001", Kind::Live),
    ("gemini-2.5-flash-native-audio-latest", "Gemini 2.5 Flash Native Audio Latest", "Gemini 2.5 Flash Native Audio Latest", Kind::Live),
];

const THINKING: Kind = Kind::Chat { thinking: true };
const PLAIN: Kind = Kind::Chat { thinking: false };

/// The embedding models listed beside the chosen ids when `FakeOptions::models` is set (a
/// chosen id that is one of them is listed once, as an embedding model).
const EMBEDDING_MODELS: [(&str, &str, &str); 2] = [
    ("text-embedding-004", "Text Embedding 004", "004"),
    ("gemini-embedding-001", "Gemini Embedding 001", "001"),
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Model {
    name: String,
    version: String,
    display_name: String,
    description: String,
    input_token_limit: u64,
    output_token_limit: u64,
    supported_generation_methods: &'static [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListModelsResponse {
    models: Vec<Model>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
}

/// Every model of the list, in order: the catalog, or the chosen ids and the embedding models.
fn entries(chosen: Option<&[String]>) -> Vec<(String, String, String, Kind)> {
    let Some(ids) = chosen else {
        return CATALOG
            .iter()
            .map(|(id, name, version, kind)| {
                (
                    (*id).to_owned(),
                    (*name).to_owned(),
                    (*version).to_owned(),
                    *kind,
                )
            })
            .collect();
    };
    let mut entries: Vec<_> = ids
        .iter()
        .map(
            |id| match EMBEDDING_MODELS.iter().find(|(known, ..)| known == id) {
                Some((_, name, version)) => (
                    id.clone(),
                    (*name).to_owned(),
                    (*version).to_owned(),
                    Kind::Embedding,
                ),
                None => {
                    let thinking = id.starts_with("gemini-2.5") || id.starts_with("gemini-3");
                    (
                        id.clone(),
                        display_name(id),
                        "001".to_owned(),
                        Kind::Chat { thinking },
                    )
                }
            },
        )
        .collect();
    for (id, name, version) in EMBEDDING_MODELS {
        if !ids.iter().any(|chosen| chosen == id) {
            entries.push((
                id.to_owned(),
                name.to_owned(),
                version.to_owned(),
                Kind::Embedding,
            ));
        }
    }
    entries
}

fn model(id: &str, name: &str, version: &str, kind: Kind) -> Model {
    let (methods, input, output, description): (&'static [&'static str], u64, u64, String) =
        match kind {
            Kind::Chat { thinking } => (
                &[
                    "generateContent",
                    "countTokens",
                    "createCachedContent",
                    "batchGenerateContent",
                ],
                1_048_576,
                if thinking { 65_536 } else { 8_192 },
                format!("{name}: a multimodal model for text, code and reasoning."),
            ),
            Kind::Gemma => (
                &["generateContent", "countTokens"],
                32_768,
                8_192,
                String::new(),
            ),
            Kind::Embedding => (
                &["embedContent", "countTextTokens", "countTokens"],
                2_048,
                1,
                "Obtain a distributed representation of a text.".to_owned(),
            ),
            Kind::LegacyEmbedding => (
                &["embedText", "countTextTokens"],
                1_024,
                1,
                "Obtain a distributed representation of a text.".to_owned(),
            ),
            Kind::Aqa => (
                &["generateAnswer"],
                7_168,
                1_024,
                "Model trained to return answers to questions that are grounded in provided \
                 sources, along with estimating answerable probability."
                    .to_owned(),
            ),
            Kind::Imagen => (&["predict"], 480, 8_192, format!("{name} model")),
            Kind::Veo => (&["predictLongRunning"], 480, 8_192, format!("{name} model")),
            Kind::Live => (
                &["bidiGenerateContent", "countTokens"],
                131_072,
                8_192,
                format!("{name}: the Live API model for real-time audio and video."),
            ),
        };
    let samples = match kind {
        Kind::Chat { .. } | Kind::Gemma | Kind::Live => Some((1.0, 0.95, 64)),
        Kind::Aqa => Some((0.2, 1.0, 40)),
        _ => None,
    };
    Model {
        name: format!("models/{id}"),
        version: version.to_owned(),
        display_name: name.to_owned(),
        description,
        input_token_limit: input,
        output_token_limit: output,
        supported_generation_methods: methods,
        temperature: samples.map(|s| s.0),
        top_p: samples.map(|s| s.1),
        top_k: samples.map(|s| s.2),
        max_temperature: matches!(kind, Kind::Chat { .. } | Kind::Live).then_some(2.0),
        thinking: matches!(kind, Kind::Chat { thinking: true }).then_some(true),
    }
}

/// One page of the list, for the request's query string.
pub(super) fn page(chosen: Option<&[String]>, query: Option<&str>) -> Result<Value, ApiError> {
    let size = match query_value(query, "pageSize").or_else(|| query_value(query, "page_size")) {
        None => DEFAULT_PAGE_SIZE,
        Some(text) => match text.parse::<i64>() {
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(n) if n > 0 => (n as usize).min(MAX_PAGE_SIZE),
            _ => {
                return Err(ApiError::invalid(format!(
                    "Invalid value at 'page_size' (TYPE_INT32), \"{text}\""
                )));
            }
        },
    };
    let entries = entries(chosen);
    let start = match query_value(query, "pageToken").or_else(|| query_value(query, "page_token")) {
        None | Some("") => 0,
        Some(token) => base64::decode_url(token)
            .and_then(|name| {
                let name = String::from_utf8(name).ok()?;
                let id = name.strip_prefix("models/")?;
                entries.iter().position(|(known, ..)| known == id)
            })
            .ok_or_else(|| ApiError::invalid("Invalid page token."))?,
    };
    let end = (start + size).min(entries.len());
    let models = entries[start..end]
        .iter()
        .map(|(id, name, version, kind)| model(id, name, version, *kind))
        .collect();
    let next_page_token = entries
        .get(end)
        .map(|(id, ..)| base64::encode_url(format!("models/{id}").as_bytes()));
    serde_json::to_value(ListModelsResponse {
        models,
        next_page_token,
    })
    .map_err(|e| ApiError::new(500, e.to_string()))
}

/// One page of Vertex AI's Model Garden list: the same catalog, named
/// `publishers/google/models/{id}`, without the Gemini API's per-model details.
pub(super) fn publisher_page(
    chosen: Option<&[String]>,
    query: Option<&str>,
) -> Result<Value, ApiError> {
    let page = page(chosen, query)?;
    let models: Vec<Value> = page["models"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .map(|name| {
            let id = name.strip_prefix("models/").unwrap_or(name);
            serde_json::json!({
                "name": format!("publishers/google/models/{id}"),
                "versionId": "001",
                "openSourceCategory": "PROPRIETARY",
                "launchStage": "GA",
            })
        })
        .collect();
    let mut out = serde_json::json!({ "publisherModels": models });
    if let Some(token) = page.get("nextPageToken") {
        out["nextPageToken"] = token.clone();
    }
    Ok(out)
}

fn query_value<'q>(query: Option<&'q str>, name: &str) -> Option<&'q str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// `gemini-2.5-flash` → `Gemini 2.5 Flash`.
fn display_name(id: &str) -> String {
    id.split('-')
        .filter(|w| !w.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(page: &Value) -> Vec<String> {
        page["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                m["name"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("models/")
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn the_catalog_takes_two_default_pages() {
        let first = page(None, None).unwrap();
        assert_eq!(ids(&first).len(), 50);
        let token = first["nextPageToken"].as_str().unwrap().to_owned();
        let second = page(None, Some(&format!("pageToken={token}"))).unwrap();
        assert_eq!(ids(&second).len(), CATALOG.len() - 50);
        assert!(second.get("nextPageToken").is_none());
        assert!(ids(&second).contains(&"gemini-embedding-001".to_owned()));
        let mut all = ids(&first);
        all.extend(ids(&second));
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "ids are unique");
    }

    #[test]
    fn page_size_and_bad_tokens() {
        let small = page(None, Some("pageSize=3")).unwrap();
        assert_eq!(
            ids(&small),
            ["embedding-gecko-001", "gemini-2.5-pro", "gemini-2.5-flash"]
        );
        assert!(page(None, Some("pageSize=-1")).is_err());
        assert!(page(None, Some("pageToken=bm9wZQ")).is_err());
    }

    #[test]
    fn chosen_ids_are_chat_models_beside_the_embedding_models() {
        let chosen = [
            "gemini-2.5-flash".to_owned(),
            "text-embedding-004".to_owned(),
        ];
        let list = page(Some(&chosen), None).unwrap();
        assert_eq!(
            ids(&list),
            [
                "gemini-2.5-flash",
                "text-embedding-004",
                "gemini-embedding-001"
            ]
        );
        assert_eq!(list["models"][0]["displayName"], "Gemini 2.5 Flash");
        assert_eq!(
            list["models"][0]["supportedGenerationMethods"][0],
            "generateContent"
        );
        assert_eq!(
            list["models"][1]["supportedGenerationMethods"][0],
            "embedContent"
        );
        assert_eq!(
            list["models"][2]["supportedGenerationMethods"][0],
            "embedContent"
        );
    }
}
