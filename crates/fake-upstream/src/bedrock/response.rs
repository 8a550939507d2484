//! The Converse response body (Bedrock Runtime API reference, "Converse", Response Syntax):
//! `{"output":{"message":{"role":"assistant","content":[…]}},"stopReason":…,"usage":{…},
//! "metrics":{"latencyMs":…}}`, plus `additionalModelResponseFields` when the request asked
//! for a field the model returns (`/stop_sequence` on Claude).

use serde_json::{Map, Value, json};

use super::answer::{Content, Plan};

/// The whole non-stream answer.
pub(super) fn converse(plan: &Plan, latency_ms: u64, response_fields: Option<Value>) -> Value {
    let mut content = Vec::new();
    if let Some(reasoning) = &plan.reasoning {
        content.push(json!({"reasoningContent": {"reasoningText": {
            "text": reasoning.pieces.concat(),
            "signature": reasoning.signature,
        }}}));
    }
    match &plan.content {
        Content::Text(pieces) => content.push(json!({"text": pieces.concat()})),
        Content::Tools(calls) => {
            for call in calls {
                content.push(json!({"toolUse": {
                    "toolUseId": call.id,
                    "name": call.name,
                    "input": call.input,
                }}));
            }
        }
    }
    let mut body = json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": plan.stop_reason,
        "usage": plan.usage,
        "metrics": {"latencyMs": latency_ms},
    });
    if let Some(fields) = response_fields {
        body["additionalModelResponseFields"] = fields;
    }
    body
}

/// The fields of `additionalModelResponseFieldPaths` (JSON pointers into the model's native
/// response) that a Claude answer has; `None` when none was asked for.
pub(super) fn model_fields(paths: &[String], claude: bool, plan: &Plan) -> Option<Value> {
    if !claude {
        return None;
    }
    let mut fields = Map::new();
    for path in paths {
        if path == "/stop_sequence" {
            let value = plan.stop_sequence.clone().map_or(Value::Null, Value::from);
            fields.insert("stop_sequence".to_owned(), value);
        }
    }
    (!fields.is_empty()).then_some(Value::Object(fields))
}
