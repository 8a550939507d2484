//! The GenerateContentResponse on the wire (https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse):
//! `candidates[].{content.{parts,role},finishReason,index,safetyRatings}`, `promptFeedback`,
//! `usageMetadata`, `modelVersion`, `responseId`, and on Vertex AI `createTime`.
//!
//! Structs rather than `serde_json::Value` so fields keep Google's order; zero counts are left
//! out, as proto3 JSON leaves them out.

use serde::Serialize;
use serde_json::Value;

use super::answer::{Outcome, Plan};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GenerateContentResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) candidates: Vec<Candidate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) prompt_feedback: Option<PromptFeedback>,
    pub(super) usage_metadata: UsageMetadata,
    pub(super) model_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) create_time: Option<String>,
    pub(super) response_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Candidate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) content: Option<Content>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) finish_reason: Option<&'static str>,
    pub(super) index: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) safety_ratings: Vec<SafetyRating>,
}

#[derive(Serialize)]
pub(super) struct Content {
    pub(super) parts: Vec<Part>,
    pub(super) role: &'static str,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Part {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) function_call: Option<FunctionCall>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(super) thought: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) thought_signature: Option<String>,
}

/// Without `id`: neither the Gemini API nor Vertex AI sets one on these models.
#[derive(Serialize, Clone)]
pub(super) struct FunctionCall {
    pub(super) name: String,
    pub(super) args: Value,
}

#[derive(Serialize)]
pub(super) struct SafetyRating {
    pub(super) category: &'static str,
    pub(super) probability: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(super) blocked: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PromptFeedback {
    pub(super) block_reason: &'static str,
    pub(super) safety_ratings: Vec<SafetyRating>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UsageMetadata {
    pub(super) prompt_token_count: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub(super) candidates_token_count: u64,
    pub(super) total_token_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cached_content_token_count: Option<u64>,
    pub(super) prompt_tokens_details: Vec<ModalityTokenCount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) cache_tokens_details: Vec<ModalityTokenCount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) candidates_tokens_details: Vec<ModalityTokenCount>,
    #[serde(skip_serializing_if = "is_zero")]
    pub(super) thoughts_token_count: u64,
    /// Vertex AI only: `ON_DEMAND` for pay-as-you-go traffic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) traffic_type: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ModalityTokenCount {
    pub(super) modality: &'static str,
    pub(super) token_count: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What stays the same over every chunk of one answer.
pub(super) struct Stamp {
    pub(super) model_version: String,
    pub(super) response_id: String,
    pub(super) create_time: Option<String>,
    pub(super) vertex: bool,
}

const CATEGORIES: [&str; 4] = [
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
];

/// Every category NEGLIGIBLE, except dangerous content HIGH and blocked when `blocked`.
pub(super) fn safety_ratings(blocked: bool) -> Vec<SafetyRating> {
    CATEGORIES
        .iter()
        .map(|category| {
            let hit = blocked && *category == "HARM_CATEGORY_DANGEROUS_CONTENT";
            SafetyRating {
                category,
                probability: if hit { "HIGH" } else { "NEGLIGIBLE" },
                blocked: hit,
            }
        })
        .collect()
}

pub(super) fn text_part(text: &str) -> Part {
    Part {
        text: Some(text.to_owned()),
        ..Part::default()
    }
}

pub(super) fn thought_part(text: &str) -> Part {
    Part {
        text: Some(text.to_owned()),
        thought: true,
        ..Part::default()
    }
}

/// The calls as parts; the signature goes on the first.
pub(super) fn call_parts(calls: &[FunctionCall], signature: Option<&String>) -> Vec<Part> {
    calls
        .iter()
        .enumerate()
        .map(|(i, call)| Part {
            function_call: Some(call.clone()),
            thought_signature: signature.filter(|_| i == 0).cloned(),
            ..Part::default()
        })
        .collect()
}

pub(super) fn model_content(parts: Vec<Part>) -> Option<Content> {
    Some(Content {
        parts,
        role: "model",
    })
}

/// `usageMetadata` with `candidates` tokens so far (a stream's running count, or the final one).
pub(super) fn usage(plan: &Plan, candidates: u64, stamp: &Stamp) -> UsageMetadata {
    let text = |tokens| ModalityTokenCount {
        modality: "TEXT",
        token_count: tokens,
    };
    let thoughts = match plan.outcome {
        Outcome::PromptBlocked => 0,
        _ => plan.thoughts_tokens,
    };
    UsageMetadata {
        prompt_token_count: plan.prompt_tokens,
        candidates_token_count: candidates,
        total_token_count: plan.prompt_tokens + candidates + thoughts,
        cached_content_token_count: plan.cached_tokens,
        prompt_tokens_details: vec![text(plan.prompt_tokens)],
        cache_tokens_details: plan.cached_tokens.map(text).into_iter().collect(),
        candidates_tokens_details: if stamp.vertex && candidates > 0 {
            vec![text(candidates)]
        } else {
            Vec::new()
        },
        thoughts_token_count: thoughts,
        traffic_type: stamp.vertex.then_some("ON_DEMAND"),
    }
}

impl Stamp {
    pub(super) fn response(
        &self,
        candidates: Vec<Candidate>,
        usage_metadata: UsageMetadata,
    ) -> GenerateContentResponse {
        GenerateContentResponse {
            candidates,
            prompt_feedback: None,
            usage_metadata,
            model_version: self.model_version.clone(),
            create_time: self.create_time.clone(),
            response_id: self.response_id.clone(),
        }
    }
}

/// The non-stream answer: every part in one candidate.
pub(super) fn whole(plan: &Plan, stamp: &Stamp) -> GenerateContentResponse {
    let usage_metadata = usage(plan, plan.candidates_tokens(), stamp);
    let mut parts: Vec<Part> = plan.thought.map(thought_part).into_iter().collect();
    let candidate = match &plan.outcome {
        Outcome::PromptBlocked => {
            let mut response = stamp.response(Vec::new(), usage_metadata);
            response.prompt_feedback = Some(PromptFeedback {
                block_reason: "SAFETY",
                safety_ratings: safety_ratings(true),
            });
            return response;
        }
        Outcome::Stopped { reason, .. } => Candidate {
            content: None,
            finish_reason: Some(reason),
            index: 0,
            safety_ratings: safety_ratings(*reason == "SAFETY"),
        },
        Outcome::Text { pieces, finish } => {
            let mut part = text_part(&pieces.concat());
            part.thought_signature = plan.signature.clone();
            parts.push(part);
            finished(parts, finish)
        }
        Outcome::Calls(calls) => {
            parts.extend(call_parts(calls, plan.signature.as_ref()));
            finished(parts, "STOP")
        }
    };
    stamp.response(vec![candidate], usage_metadata)
}

/// A candidate that ended normally, with its parts.
pub(super) fn finished(parts: Vec<Part>, finish: &'static str) -> Candidate {
    Candidate {
        content: model_content(parts),
        finish_reason: Some(finish),
        index: 0,
        safety_ratings: safety_ratings(false),
    }
}

/// Now as RFC 3339 UTC with microseconds, as Vertex AI's `createTime`.
pub(super) fn rfc3339_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(now.as_secs(), now.subsec_micros())
}

/// Days to a civil date: Howard Hinnant's `civil_from_days`, for the proleptic Gregorian calendar.
fn rfc3339(secs: u64, micros: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.000005Z");
        assert_eq!(
            rfc3339(1_767_225_599, 999_999),
            "2025-12-31T23:59:59.999999Z"
        );
    }

    #[test]
    fn parts_serialize_in_googles_shape() {
        let call = FunctionCall {
            name: "f".into(),
            args: serde_json::json!({"a": 1}),
        };
        let signature = "c2ln".to_owned();
        let parts = call_parts(&[call.clone(), call], Some(&signature));
        assert_eq!(
            serde_json::to_string(&parts).unwrap(),
            r#"[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"c2ln"},{"functionCall":{"name":"f","args":{"a":1}}}]"#
        );
        assert_eq!(
            serde_json::to_string(&thought_part("t")).unwrap(),
            r#"{"text":"t","thought":true}"#
        );
    }
}
