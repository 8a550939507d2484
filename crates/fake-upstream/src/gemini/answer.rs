//! What the model answers, decided from the request and the model name: function calls when
//! tools are offered, JSON when a JSON answer is asked for, text otherwise; a thought summary
//! and a fresh thought signature when thinking is on; scripted safety and recitation stops.
//!
//! Thinking follows https://ai.google.dev/gemini-api/docs/thinking: Gemini 2.5 (except Flash
//! Lite) and Gemini 3 think unless `thinkingBudget` is 0 (which 2.5 Pro and Gemini 3 cannot
//! turn off), other models only when asked. The signature goes on the first function call, or
//! on the last text part, as the thought-signatures guide describes.

use super::errors::ApiError;
use super::request::{Data, Declaration, GenerateRequest, Mode, Role};
use super::response::FunctionCall;
use super::schema;
use crate::app::App;
use crate::request::text_tokens;

/// The plain answer, in the pieces a stream sends.
pub(super) const TEXT_PIECES: [&str; 3] = ["Hello", " World!", " How can I help you today?"];
/// What a one-token budget leaves of it.
const TRUNCATED: &str = "Hello";
const THOUGHT: &str = "**Greeting the user**\n\nThe user says hello. I will greet them back and \
     offer to help with whatever they need next.";
const TOOL_THOUGHT: &str = "**Choosing a tool**\n\nThe question needs live data, so I will call \
     the declared functions with the city the user named.";
/// The `location` of the first and second parallel call.
const CITIES: [&str; 2] = ["Tokyo", "Paris"];

/// Model names that script an answer rather than a fault.
pub(super) const SAFETY_PROMPT: &str = "fake-safety-prompt";
pub(super) const SAFETY_CANDIDATE: &str = "fake-safety-candidate";
pub(super) const RECITATION: &str = "fake-recitation";

pub(super) struct Plan {
    pub(super) outcome: Outcome,
    /// The thought summary parts show, when `includeThoughts` asked for them.
    pub(super) thought: Option<&'static str>,
    pub(super) thoughts_tokens: u64,
    pub(super) signature: Option<String>,
    pub(super) prompt_tokens: u64,
    pub(super) cached_tokens: Option<u64>,
}

pub(super) enum Outcome {
    /// Text in stream pieces, and why it ended (`STOP` or `MAX_TOKENS`).
    Text {
        pieces: Vec<String>,
        finish: &'static str,
    },
    Calls(Vec<FunctionCall>),
    /// The prompt was blocked: no candidates, `promptFeedback.blockReason`.
    PromptBlocked,
    /// Generation stopped (`SAFETY`, `RECITATION`) after `pieces`, with no content in the end.
    Stopped {
        reason: &'static str,
        pieces: Vec<String>,
    },
}

impl Plan {
    /// The final `candidatesTokenCount`.
    pub(super) fn candidates_tokens(&self) -> u64 {
        match &self.outcome {
            Outcome::Text { pieces, .. } | Outcome::Stopped { pieces, .. } => {
                text_tokens(pieces.iter().map(String::len).sum())
            }
            Outcome::Calls(calls) => text_tokens(
                calls
                    .iter()
                    .map(|c| c.name.len() + c.args.to_string().len())
                    .sum(),
            ),
            Outcome::PromptBlocked => 0,
        }
    }
}

pub(super) fn plan(app: &App, request: &GenerateRequest, model: &str) -> Result<Plan, ApiError> {
    let config = &request.config;
    if model.starts_with("gemini-2.5-pro") && config.thinking_budget == Some(0) {
        return Err(ApiError::invalid(
            "Budget 0 is invalid. This model only works in thinking mode.",
        ));
    }
    let prompt_tokens = text_tokens(request.prompt_bytes);
    let cached_tokens = request.cached_content.then(|| prompt_tokens.div_ceil(2));
    let scripted = match model {
        SAFETY_PROMPT => Some(Outcome::PromptBlocked),
        SAFETY_CANDIDATE | RECITATION => Some(Outcome::Stopped {
            reason: if model == RECITATION {
                "RECITATION"
            } else {
                "SAFETY"
            },
            pieces: vec![TEXT_PIECES[0].to_owned()],
        }),
        _ => None,
    };
    if let Some(outcome) = scripted {
        return Ok(Plan {
            outcome,
            thought: None,
            thoughts_tokens: 0,
            signature: None,
            prompt_tokens,
            cached_tokens,
        });
    }
    let outcome = match chosen_functions(request) {
        Some(functions) => Outcome::Calls(calls(&functions)),
        None => text_outcome(app, request),
    };
    let thinking = thinks(model, request);
    let thought_text = match outcome {
        Outcome::Calls(_) => TOOL_THOUGHT,
        _ => THOUGHT,
    };
    let signature = thinking.then(|| app.gemini.signatures.issue([app.next_id(), app.next_id()]));
    Ok(Plan {
        outcome,
        thought: (thinking && config.include_thoughts).then_some(thought_text),
        thoughts_tokens: if thinking {
            text_tokens(thought_text.len())
        } else {
            0
        },
        signature,
        prompt_tokens,
        cached_tokens,
    })
}

fn thinks(model: &str, request: &GenerateRequest) -> bool {
    let config = &request.config;
    let thinks_by_default = (model.starts_with("gemini-2.5") && !model.contains("flash-lite"))
        || model.starts_with("gemini-3");
    match config.thinking_budget {
        // Gemini 3 cannot stop thinking; a zero budget is its lowest level.
        Some(0) => model.starts_with("gemini-3"),
        Some(_) => true,
        None => config.include_thoughts || config.thinking_level.is_some() || thinks_by_default,
    }
}

/// The functions to call, if the model calls any: the first two declared (or allowed, in
/// `ANY` mode), unless calling is off or the last turn already answered the calls (`AUTO`).
fn chosen_functions(request: &GenerateRequest) -> Option<Vec<&Declaration>> {
    let calling = &request.calling;
    let answered = request.contents.last().is_some_and(|last| {
        last.role == Role::User
            && last
                .parts
                .iter()
                .all(|p| matches!(p.data, Data::FunctionResponse))
    });
    let calls = match calling.mode {
        Mode::None => false,
        Mode::Any => true,
        Mode::Auto | Mode::Validated => !answered,
    };
    let offered = request.declarations.iter().filter(|d| {
        calling.mode != Mode::Any || calling.allowed.is_empty() || calling.allowed.contains(&d.name)
    });
    let chosen: Vec<&Declaration> = offered.take(2).collect();
    (calls && !chosen.is_empty()).then_some(chosen)
}

fn calls(functions: &[&Declaration]) -> Vec<FunctionCall> {
    functions
        .iter()
        .zip(CITIES)
        .map(|(function, city)| FunctionCall {
            name: function.name.clone(),
            args: schema::arguments(function.parameters.as_ref(), city),
        })
        .collect()
}

fn text_outcome(app: &App, request: &GenerateRequest) -> Outcome {
    let config = &request.config;
    let mime = config.response_mime_type.as_deref().unwrap_or_default();
    if mime == "application/json" {
        let value = match &config.response_schema {
            Some(schema) => schema::example(schema, "", CITIES[0], true),
            None => serde_json::json!({"text": TEXT_PIECES.concat()}),
        };
        let text = value.to_string();
        // Two pieces, split on a character boundary.
        let mut middle = text.len() / 2;
        while !text.is_char_boundary(middle) {
            middle -= 1;
        }
        let (head, tail) = text.split_at(middle);
        let pieces = [head, tail].into_iter().filter(|p| !p.is_empty());
        return Outcome::Text {
            pieces: pieces.map(str::to_owned).collect(),
            finish: "STOP",
        };
    }
    if let Some(schema) = config
        .response_schema
        .as_ref()
        .filter(|_| mime == "text/x.enum")
    {
        let value = schema::example(schema, "", CITIES[0], true);
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        return Outcome::Text {
            pieces: vec![text],
            finish: "STOP",
        };
    }
    if config.max_output_tokens == Some(1) {
        return Outcome::Text {
            pieces: vec![TRUNCATED.to_owned()],
            finish: "MAX_TOKENS",
        };
    }
    Outcome::Text {
        pieces: app.gemini.text_pieces.clone(),
        finish: "STOP",
    }
}
