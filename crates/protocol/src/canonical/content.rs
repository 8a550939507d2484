//! Message content: a plain string or a list of typed parts.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Extra;

/// `content` of a chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl Content {
    /// All text parts joined (images and other parts skipped).
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Parts(parts) => parts
                .iter()
                .filter_map(|p| p.text.as_deref())
                .collect::<Vec<_>>()
                .join(""),
        }
    }

    /// The parts, a plain string becoming one text part.
    pub fn parts(&self) -> Vec<ContentPart> {
        match self {
            Self::Text(text) => vec![ContentPart::text(text)],
            Self::Parts(parts) => parts.clone(),
        }
    }
}

/// One part of a multi-part content (`text`, `image_url`, `input_audio`, ...). Fields other
/// parts carry (`cache_control`, `input_audio`, `file`) stay in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentPart {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<ImageUrl>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ContentPart {
    pub fn text(text: &str) -> Self {
        Self {
            kind: "text".to_owned(),
            text: Some(text.to_owned()),
            image_url: None,
            extra: Extra::new(),
        }
    }

    /// `cache_control` carried on the part (Anthropic prompt caching through OpenAI shapes).
    pub fn cache_control(&self) -> Option<&Value> {
        self.extra.get("cache_control")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
