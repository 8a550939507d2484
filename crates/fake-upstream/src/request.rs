//! The few request fields the fake acts on, parsed without building a JSON tree.
//!
//! Unknown fields are skipped by serde, so a 100 KB prompt costs one scan and no allocations
//! beyond the model name.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, SeqAccess, Visitor};

#[derive(Deserialize)]
pub(crate) struct ChatRequest<'a> {
    #[serde(borrow, default)]
    pub(crate) model: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(crate) stream: Option<bool>,
    #[serde(default)]
    tools: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

impl ChatRequest<'_> {
    pub(crate) fn streams(&self) -> bool {
        self.stream == Some(true)
    }

    pub(crate) fn has_tools(&self) -> bool {
        self.tools.as_ref().is_some_and(|tools| !tools.is_empty())
    }

    pub(crate) fn include_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            .unwrap_or(false)
    }
}

/// OpenAI `/embeddings` and Ollama `/api/embed` requests; the fields they share.
#[derive(Deserialize)]
pub(crate) struct EmbeddingsRequest<'a> {
    #[serde(borrow, default)]
    pub(crate) model: Option<Cow<'a, str>>,
    #[serde(default)]
    pub(crate) input: Option<InputStats>,
    #[serde(default)]
    pub(crate) dimensions: Option<usize>,
    #[serde(borrow, default)]
    pub(crate) encoding_format: Option<Cow<'a, str>>,
}

/// How many embeddings an `input` asks for, and a deterministic token count for usage.
///
/// OpenAI accepts a string, an array of strings, one token array, or an array of token arrays.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct InputStats {
    pub(crate) inputs: usize,
    pub(crate) tokens: u64,
}

/// Token estimate for text: a quarter of its bytes, at least one (what GoModel's counter does).
pub(crate) fn text_tokens(len: usize) -> u64 {
    (len as u64 / 4).max(1)
}

impl<'de> Deserialize<'de> for InputStats {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(InputVisitor)
    }
}

struct InputVisitor;

impl<'de> Visitor<'de> for InputVisitor {
    type Value = InputStats;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, an array of strings, or token arrays")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<InputStats, E> {
        Ok(InputStats {
            inputs: 1,
            tokens: text_tokens(text.len()),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<InputStats, A::Error> {
        let (mut stats, mut bare_tokens) = (InputStats::default(), 0u64);
        while let Some(item) = seq.next_element::<InputItem>()? {
            match item {
                InputItem::Token => bare_tokens += 1,
                InputItem::Text(tokens) | InputItem::Tokens(tokens) => {
                    stats.inputs += 1;
                    stats.tokens += tokens;
                }
            }
        }
        // A flat array of integers is a single tokenized input.
        if bare_tokens > 0 {
            stats.inputs += 1;
            stats.tokens += bare_tokens;
        }
        Ok(stats)
    }
}

/// One element of an input array.
enum InputItem {
    Text(u64),
    Token,
    Tokens(u64),
}

impl<'de> Deserialize<'de> for InputItem {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = InputItem;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a token, or a token array")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<InputItem, E> {
        Ok(InputItem::Text(text_tokens(text.len())))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<InputItem, E> {
        Ok(InputItem::Token)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<InputItem, E> {
        Ok(InputItem::Token)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<InputItem, A::Error> {
        let mut count = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            count += 1;
        }
        Ok(InputItem::Tokens(count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(input: &str) -> InputStats {
        let body = format!(r#"{{"model":"m","input":{input}}}"#);
        let request: EmbeddingsRequest<'_> = serde_json::from_str(&body).unwrap();
        request.input.unwrap()
    }

    #[test]
    fn counts_every_input_shape() {
        assert_eq!(
            stats(r#""abcdefgh""#),
            InputStats {
                inputs: 1,
                tokens: 2
            }
        );
        assert_eq!(
            stats(r#"["a","bcdefgh"]"#),
            InputStats {
                inputs: 2,
                tokens: 2
            }
        );
        assert_eq!(
            stats("[1,2,3]"),
            InputStats {
                inputs: 1,
                tokens: 3
            }
        );
        assert_eq!(
            stats("[[1,2],[3]]"),
            InputStats {
                inputs: 2,
                tokens: 3
            }
        );
        assert_eq!(
            stats("[]"),
            InputStats {
                inputs: 0,
                tokens: 0
            }
        );
    }

    #[test]
    fn chat_flags() {
        let body = r#"{"model":"m","stream":true,"tools":[{}],"stream_options":{"include_usage":true},"messages":[]}"#;
        let request: ChatRequest<'_> = serde_json::from_str(body).unwrap();
        assert!(request.streams() && request.has_tools() && request.include_usage());
        let plain: ChatRequest<'_> = serde_json::from_str(r#"{"model":"m","tools":null}"#).unwrap();
        assert!(!plain.streams() && !plain.has_tools() && !plain.include_usage());
    }
}
