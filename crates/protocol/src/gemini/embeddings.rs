//! OpenAI `/v1/embeddings` ↔ Gemini embeddings: AI Studio's `embedContent` (one text) and
//! `batchEmbedContents` (several), and Vertex AI's `predict` (<https://ai.google.dev/api/embeddings>,
//! <https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api>).
//!
//! Gemini embeds text only, so token-array inputs are refused with a clear error. `dimensions`
//! becomes `outputDimensionality`; `encoding_format: base64` is honoured by encoding the
//! floats the way OpenAI does (little-endian f32). Gemini's extension `task_type`
//! (`RETRIEVAL_QUERY`, `SEMANTIC_SIMILARITY`, …) passes through.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::report::TranslationError;

/// The OpenAI request fields the translation reads.
#[derive(Debug, Deserialize)]
pub struct EmbeddingRequest {
    pub input: Value,
    #[serde(default)]
    pub dimensions: Option<u64>,
    #[serde(default)]
    pub encoding_format: Option<String>,
    #[serde(default)]
    pub task_type: Option<String>,
}

impl EmbeddingRequest {
    /// The texts to embed, in order.
    pub fn texts(&self) -> Result<Vec<String>, TranslationError> {
        let not_text = || {
            TranslationError::new(
                "input",
                "Gemini embeds text: input must be a string or a list of strings",
            )
        };
        let texts = match &self.input {
            Value::String(text) => vec![text.clone()],
            Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned).ok_or_else(not_text))
                .collect::<Result<Vec<_>, _>>()?,
            _ => return Err(not_text()),
        };
        if texts.is_empty() {
            return Err(TranslationError::new("input", "input must not be empty"));
        }
        Ok(texts)
    }

    pub fn wants_base64(&self) -> bool {
        self.encoding_format.as_deref() == Some("base64")
    }
}

/// AI Studio, one text: `POST …/models/{model}:embedContent` takes an `EmbedContentRequest`.
/// Its `model` repeats the URL's, as Google's SDKs send it.
pub fn embed_content_request(model: &str, request: &EmbeddingRequest, text: &str) -> Value {
    let mut item = json!({
        "model": format!("models/{model}"),
        "content": {"parts": [{"text": text}]},
    });
    if let Some(dimensions) = request.dimensions {
        item["outputDimensionality"] = json!(dimensions);
    }
    if let Some(task) = &request.task_type {
        item["taskType"] = json!(task);
    }
    item
}

/// AI Studio, several texts: `POST …/models/{model}:batchEmbedContents` takes one
/// `EmbedContentRequest` per text, each naming the URL's model.
pub fn batch_request(model: &str, request: &EmbeddingRequest, texts: &[String]) -> Value {
    let requests: Vec<Value> = texts
        .iter()
        .map(|text| embed_content_request(model, request, text))
        .collect();
    json!({ "requests": requests })
}

/// Vertex AI: `POST …/publishers/google/models/{model}:predict`.
pub fn predict_request(request: &EmbeddingRequest, texts: &[String]) -> Value {
    let instances: Vec<Value> = texts
        .iter()
        .map(|text| match &request.task_type {
            Some(task) => json!({"content": text, "task_type": task}),
            None => json!({"content": text}),
        })
        .collect();
    let mut parameters = json!({"autoTruncate": true});
    if let Some(dimensions) = request.dimensions {
        parameters["outputDimensionality"] = json!(dimensions);
    }
    json!({"instances": instances, "parameters": parameters})
}

/// The vector of an `embedContent` answer (`{"embedding": {"values": [...]}}`).
pub fn vector_from_embed_content(body: &[u8]) -> Result<Vec<f32>, String> {
    #[derive(Deserialize)]
    struct Answer {
        embedding: Embedding,
    }
    #[derive(Deserialize)]
    struct Embedding {
        #[serde(default)]
        values: Vec<f32>,
    }
    let answer: Answer =
        serde_json::from_slice(body).map_err(|err| format!("not an embedContent answer: {err}"))?;
    Ok(answer.embedding.values)
}

/// Vectors of a `batchEmbedContents` answer.
pub fn vectors_from_batch(body: &[u8]) -> Result<Vec<Vec<f32>>, String> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(default)]
        embeddings: Vec<Embedding>,
    }
    #[derive(Deserialize)]
    struct Embedding {
        #[serde(default)]
        values: Vec<f32>,
    }
    let answer: Answer = serde_json::from_slice(body)
        .map_err(|err| format!("not a batchEmbedContents answer: {err}"))?;
    Ok(answer.embeddings.into_iter().map(|e| e.values).collect())
}

/// Vectors and the summed token count of a Vertex `predict` answer.
pub fn vectors_from_predict(body: &[u8]) -> Result<(Vec<Vec<f32>>, u64), String> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(default)]
        predictions: Vec<Prediction>,
    }
    #[derive(Deserialize)]
    struct Prediction {
        embeddings: Embeddings,
    }
    #[derive(Deserialize)]
    struct Embeddings {
        #[serde(default)]
        values: Vec<f32>,
        #[serde(default)]
        statistics: Option<Statistics>,
    }
    #[derive(Deserialize)]
    struct Statistics {
        #[serde(default)]
        token_count: f64,
    }
    let answer: Answer =
        serde_json::from_slice(body).map_err(|err| format!("not a predict answer: {err}"))?;
    let mut tokens = 0u64;
    let vectors = answer
        .predictions
        .into_iter()
        .map(|p| {
            tokens += p
                .embeddings
                .statistics
                .map_or(0, |s| s.token_count.max(0.0) as u64);
            p.embeddings.values
        })
        .collect();
    Ok((vectors, tokens))
}

/// The OpenAI answer. `prompt_tokens` is `None` when the provider does not count (AI
/// Studio): the usage object then says 0, as OpenAI's SDKs require one.
pub fn openai_response(
    model: &str,
    vectors: &[Vec<f32>],
    prompt_tokens: Option<u64>,
    base64: bool,
) -> Value {
    let data: Vec<Value> = vectors
        .iter()
        .enumerate()
        .map(|(index, vector)| {
            let embedding = if base64 {
                let bytes: Vec<u8> = vector.iter().flat_map(|f| f.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(vector)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let tokens = prompt_tokens.unwrap_or(0);
    json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(value: Value) -> EmbeddingRequest {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn builds_both_request_shapes() {
        let req = request(
            json!({"model": "m", "input": ["a", "b"], "dimensions": 8, "task_type": "RETRIEVAL_QUERY"}),
        );
        let texts = req.texts().unwrap();
        assert_eq!(
            embed_content_request("gemini-embedding-001", &req, "a"),
            json!({"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]},
                   "outputDimensionality": 8, "taskType": "RETRIEVAL_QUERY"})
        );
        assert_eq!(
            batch_request("text-embedding-004", &req, &texts)["requests"][1],
            json!({"model": "models/text-embedding-004", "content": {"parts": [{"text": "b"}]},
                   "outputDimensionality": 8, "taskType": "RETRIEVAL_QUERY"})
        );
        assert_eq!(
            predict_request(&req, &texts),
            json!({"instances": [{"content": "a", "task_type": "RETRIEVAL_QUERY"},
                                 {"content": "b", "task_type": "RETRIEVAL_QUERY"}],
                   "parameters": {"autoTruncate": true, "outputDimensionality": 8}})
        );
        assert!(request(json!({"input": [[1, 2]]})).texts().is_err());
        assert!(request(json!({"input": []})).texts().is_err());
    }

    #[test]
    fn reads_answers_and_encodes_base64_like_openai() {
        let vectors = vectors_from_batch(br#"{"embeddings":[{"values":[1.0,-2.5]}]}"#).unwrap();
        assert_eq!(vectors, [vec![1.0, -2.5]]);
        let vector = vector_from_embed_content(br#"{"embedding":{"values":[0.5,-1.0]}}"#).unwrap();
        assert_eq!(vector, [0.5, -1.0]);
        // A batch answer is not a single one.
        assert!(vector_from_embed_content(br#"{"embeddings":[{"values":[1.0]}]}"#).is_err());
        let (vectors, tokens) = vectors_from_predict(
            br#"{"predictions":[{"embeddings":{"values":[0.5],"statistics":{"token_count":3,"truncated":false}}},
                                {"embeddings":{"values":[0.25],"statistics":{"token_count":4}}}]}"#,
        )
        .unwrap();
        assert_eq!((vectors.len(), tokens), (2, 7));
        let out = openai_response("m", &[vec![1.0]], Some(7), true);
        assert_eq!(out["data"][0]["embedding"], "AACAPw==");
        assert_eq!(out["usage"]["prompt_tokens"], 7);
    }
}
