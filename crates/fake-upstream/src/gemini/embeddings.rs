//! Embeddings on Google's wire: the Gemini API's `embedContent` and `batchEmbedContents`
//! (https://ai.google.dev/api/embeddings) and Vertex AI's `predict` for text embedding models
//! (Vertex AI "Text embeddings API" reference: `instances[].content`, `parameters`,
//! `predictions[].embeddings.{statistics.{token_count,truncated},values}`,
//! `metadata.billableCharacterCount`).
//!
//! Vectors are deterministic per text (the same text always embeds the same), 768 long unless
//! `outputDimensionality` asks otherwise.

use serde::Serialize;
use serde_json::Value;

use super::errors::ApiError;
use super::reader::{Reader, list};
use super::request::Data;
use crate::request::text_tokens;
use crate::vectors;

const DEFAULT_DIMENSIONS: usize = 768;
/// Far above any real model, low enough that a typo cannot make the fake allocate gigabytes.
const MAX_DIMENSIONS: i64 = 65_536;

const EMBED_CONTENT: &[&str] = &[
    "model",
    "content",
    "taskType",
    "title",
    "outputDimensionality",
];
const TASK_TYPES: &[&str] = &[
    "TASK_TYPE_UNSPECIFIED",
    "RETRIEVAL_QUERY",
    "RETRIEVAL_DOCUMENT",
    "SEMANTIC_SIMILARITY",
    "CLASSIFICATION",
    "CLUSTERING",
    "QUESTION_ANSWERING",
    "FACT_VERIFICATION",
    "CODE_RETRIEVAL_QUERY",
];

#[derive(Serialize)]
struct ContentEmbedding {
    values: Vec<f32>,
}

#[derive(Serialize)]
struct EmbedContentResponse {
    embedding: ContentEmbedding,
}

#[derive(Serialize)]
struct BatchEmbedContentsResponse {
    embeddings: Vec<ContentEmbedding>,
}

#[derive(Serialize)]
struct PredictResponse {
    predictions: Vec<Prediction>,
    metadata: PredictMetadata,
}

#[derive(Serialize)]
struct Prediction {
    embeddings: VertexEmbedding,
}

#[derive(Serialize)]
struct VertexEmbedding {
    statistics: Statistics,
    values: Vec<f32>,
}

#[derive(Serialize)]
struct Statistics {
    truncated: bool,
    token_count: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PredictMetadata {
    billable_character_count: u64,
}

/// One text to embed, at one length.
struct Input {
    text: String,
    dimensions: usize,
}

/// `POST …/models/{m}:embedContent`.
pub(super) fn embed_content(reader: &Reader, body: &[u8]) -> Result<Value, ApiError> {
    let value = parse(body)?;
    let input = read_input(reader, &value, "", None)?;
    to_value(&EmbedContentResponse {
        embedding: embedding(&input),
    })
}

/// `POST …/models/{m}:batchEmbedContents`: every request names the URL's model.
pub(super) fn batch_embed(reader: &Reader, body: &[u8], model: &str) -> Result<Value, ApiError> {
    let value = parse(body)?;
    let mut requests = Vec::new();
    for (name, value) in reader.fields(&value, &["requests"], "", "BatchEmbedContentsRequest")? {
        if name == "requests" {
            requests = list(value);
        }
    }
    if requests.is_empty() {
        return Err(ApiError::invalid(
            "* BatchEmbedContentsRequest.requests: must not be empty\n",
        ));
    }
    if requests.len() > 100 {
        return Err(ApiError::invalid(
            "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n",
        ));
    }
    let expected = format!("models/{model}");
    let mut embeddings = Vec::with_capacity(requests.len());
    for (i, request) in requests.into_iter().enumerate() {
        let path = format!("requests[{i}]");
        let input = read_input(reader, request, &path, Some(&expected))?;
        embeddings.push(embedding(&input));
    }
    to_value(&BatchEmbedContentsResponse { embeddings })
}

/// `POST …/models/{m}:predict` on Vertex AI.
pub(super) fn predict(reader: &Reader, body: &[u8]) -> Result<Value, ApiError> {
    let value = parse(body)?;
    let (mut instances, mut parameters) = (Vec::new(), None);
    for (name, value) in
        reader.fields(&value, &["instances", "parameters"], "", "PredictRequest")?
    {
        match name {
            "instances" => instances = list(value),
            _ => parameters = Some(value),
        }
    }
    if instances.is_empty() {
        return Err(ApiError::invalid("Empty instances."));
    }
    let dimensions = match parameters.and_then(|p| p.get("outputDimensionality")) {
        Some(value) => dimensions(reader, value, "parameters.outputDimensionality")?,
        None => DEFAULT_DIMENSIONS,
    };
    let mut predictions = Vec::with_capacity(instances.len());
    let mut billable = 0;
    for (i, instance) in instances.into_iter().enumerate() {
        let path = format!("instances[{i}].content");
        let Some(content) = instance.get("content") else {
            return Err(ApiError::invalid(format!("Missing field {path}.")));
        };
        let text = reader.string(content, &path)?.to_owned();
        // Vertex bills characters, not counting whitespace.
        billable += text.chars().filter(|c| !c.is_whitespace()).count() as u64;
        let input = Input { text, dimensions };
        predictions.push(Prediction {
            embeddings: VertexEmbedding {
                statistics: Statistics {
                    truncated: false,
                    token_count: text_tokens(input.text.len()),
                },
                values: embedding(&input).values,
            },
        });
    }
    to_value(&PredictResponse {
        predictions,
        metadata: PredictMetadata {
            billable_character_count: billable,
        },
    })
}

fn parse(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|_| ApiError::invalid("Invalid JSON payload received. Unexpected token."))
}

fn to_value(response: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(response).map_err(|e| ApiError::new(500, e.to_string()))
}

/// An EmbedContentRequest at `path` (empty at the top level). In a batch (`expected` set) the
/// request's `model` is required and must be the URL's.
fn read_input(
    reader: &Reader,
    value: &Value,
    path: &str,
    expected: Option<&str>,
) -> Result<Input, ApiError> {
    let at = |field: &str| {
        if path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        }
    };
    let (mut text, mut dims, mut model) = (None, DEFAULT_DIMENSIONS, None);
    for (name, value) in reader.fields(value, EMBED_CONTENT, path, "EmbedContentRequest")? {
        match name {
            "content" => {
                let mut bytes = 0;
                let content = reader.content(value, &at("content"), &mut bytes)?;
                let joined: String = content
                    .parts
                    .iter()
                    .filter_map(|p| match &p.data {
                        Data::Text(text) => Some(text.as_str()),
                        _ => None,
                    })
                    .collect();
                text = Some(joined);
            }
            "model" => model = Some(reader.string(value, &at("model"))?),
            "taskType" => {
                reader.enum_name(value, &at("task_type"), TASK_TYPES, "TaskType")?;
            }
            "title" => {
                reader.string(value, &at("title"))?;
            }
            _ => dims = dimensions(reader, value, &at("output_dimensionality"))?,
        }
    }
    if let Some(expected) = expected {
        match model {
            None => {
                return Err(ApiError::invalid(format!(
                    "* BatchEmbedContentsRequest.{}: model is not specified\n",
                    at("model")
                )));
            }
            Some(model) if model != expected => {
                return Err(ApiError::invalid(format!(
                    "* BatchEmbedContentsRequest.{}: model `{model}` does not match the model \
                     of the request URL, `{expected}`\n",
                    at("model")
                )));
            }
            Some(_) => {}
        }
    }
    let Some(text) = text else {
        let message = if expected.is_some() {
            "BatchEmbedContentsRequest"
        } else {
            "EmbedContentRequest"
        };
        return Err(ApiError::invalid(format!(
            "* {message}.{}: content is not specified\n",
            at("content")
        )));
    };
    Ok(Input {
        text,
        dimensions: dims,
    })
}

/// `outputDimensionality`: 0 means the model's default, as proto3 cannot tell 0 from unset.
fn dimensions(reader: &Reader, value: &Value, path: &str) -> Result<usize, ApiError> {
    match reader.int(value, path)? {
        0 => Ok(DEFAULT_DIMENSIONS),
        n if (1..=MAX_DIMENSIONS).contains(&n) => Ok(n as usize),
        n => Err(ApiError::invalid(format!(
            "* {path}: output dimensionality {n} is out of range\n"
        ))),
    }
}

/// A vector derived from the text alone, so equal texts embed equally.
fn embedding(input: &Input) -> ContentEmbedding {
    let seed = fnv1a(input.text.as_bytes()) as usize;
    ContentEmbedding {
        values: (0..input.dimensions)
            .map(|j| vectors::value(seed, j))
            .collect(),
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader() -> Reader {
        Reader::new(false)
    }

    #[test]
    fn equal_texts_embed_equally() {
        let a = embed_content(&reader(), br#"{"content":{"parts":[{"text":"hi"}]}}"#).unwrap();
        let b = embed_content(
            &reader(),
            br#"{"content":{"parts":[{"text":"hi"}]},"taskType":"retrieval_query"}"#,
        )
        .unwrap();
        let c = embed_content(&reader(), br#"{"content":{"parts":[{"text":"ho"}]}}"#).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a["embedding"]["values"].as_array().unwrap().len(), 768);
    }

    #[test]
    fn batches_check_each_model() {
        let body = br#"{"requests":[{"model":"models/m","content":{"parts":[{"text":"a"}]},"outputDimensionality":8},
            {"model":"models/other","content":{"parts":[{"text":"b"}]}}]}"#;
        let error = batch_embed(&reader(), body, "m").unwrap_err().body();
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("requests[1].model")
        );
        let missing = br#"{"requests":[{"content":{"parts":[{"text":"a"}]}}]}"#;
        let error = batch_embed(&reader(), missing, "m").unwrap_err().body();
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("model is not specified")
        );
    }

    #[test]
    fn predict_counts_tokens_and_billable_characters() {
        let body = br#"{"instances":[{"content":"hello world","task_type":"RETRIEVAL_QUERY"}],
            "parameters":{"outputDimensionality":4,"autoTruncate":false}}"#;
        let answer = predict(&Reader::new(true), body).unwrap();
        let embeddings = &answer["predictions"][0]["embeddings"];
        assert_eq!(embeddings["values"].as_array().unwrap().len(), 4);
        assert_eq!(embeddings["statistics"]["token_count"], 2);
        assert_eq!(answer["metadata"]["billableCharacterCount"], 10);
    }
}
