//! The rules Gemini applies to the conversation as a whole, after each field was read:
//! contents must not be empty, function responses answer the function calls right before
//! them one for one, thought signatures must be ones the model issued, and Gemini 3 wants the
//! signature of the first function call of each step of the current turn back
//! (https://ai.google.dev/gemini-api/docs/thought-signatures, "Function calling").
//!
//! The messages are the API's own.

use super::errors::ApiError;
use super::request::{Content, Data, GenerateRequest, Role};
use super::signatures::Signatures;

pub(super) fn check(
    request: &GenerateRequest,
    model: &str,
    signatures: &Signatures,
) -> Result<(), ApiError> {
    let contents = &request.contents;
    if contents.is_empty() {
        return Err(ApiError::invalid(
            "* GenerateContentRequest.contents: contents is not specified\n",
        ));
    }
    for (i, content) in contents.iter().enumerate() {
        let previous = i.checked_sub(1).map(|p| &contents[p]);
        check_pairing(content, previous)?;
    }
    check_signatures_known(contents, signatures)?;
    if model.starts_with("gemini-3") {
        check_current_turn_signed(contents)?;
    }
    Ok(())
}

fn calls(content: &Content) -> usize {
    let is_call = |data: &Data| matches!(data, Data::FunctionCall(_));
    content.parts.iter().filter(|p| is_call(&p.data)).count()
}

fn responses(content: &Content) -> usize {
    let is_response = |data: &Data| matches!(data, Data::FunctionResponse);
    content
        .parts
        .iter()
        .filter(|p| is_response(&p.data))
        .count()
}

/// A function call turn follows a user turn; a function response turn follows a function call
/// turn and answers each of its calls.
fn check_pairing(content: &Content, previous: Option<&Content>) -> Result<(), ApiError> {
    let after_user = previous.is_some_and(|p| p.role == Role::User);
    if content.role == Role::Model && calls(content) > 0 && !after_user {
        return Err(ApiError::invalid(
            "Please ensure that function call turn comes immediately after a user turn or \
             after a function response turn.",
        ));
    }
    if content.role == Role::User && responses(content) > 0 {
        let call_turn = previous.filter(|p| p.role == Role::Model && calls(p) > 0);
        let Some(call_turn) = call_turn else {
            return Err(ApiError::invalid(
                "Please ensure that function response turn comes immediately after a function \
                 call turn.",
            ));
        };
        if responses(content) != calls(call_turn) {
            return Err(ApiError::invalid(
                "Please ensure that the number of function response parts is equal to the number \
                 of function call parts of the function call turn.",
            ));
        }
    }
    Ok(())
}

/// Any signature sent back must be one the model issued (or the documented skip value).
fn check_signatures_known(contents: &[Content], signatures: &Signatures) -> Result<(), ApiError> {
    let sent = contents
        .iter()
        .flat_map(|c| &c.parts)
        .filter_map(|p| p.signature.as_deref());
    for signature in sent {
        if !signature.is_empty() && !signatures.accepts(signature) {
            return Err(ApiError::invalid("Corrupted thought signature."));
        }
    }
    Ok(())
}

/// Gemini 3: in the current turn (everything after the last user message that is not only
/// function responses), each model step that called functions and got responses carries a
/// signature on its first call.
fn check_current_turn_signed(contents: &[Content]) -> Result<(), ApiError> {
    let turn_start = contents
        .iter()
        .rposition(|c| {
            c.role == Role::User
                && c.parts
                    .iter()
                    .any(|p| !matches!(p.data, Data::FunctionResponse))
        })
        .map_or(0, |i| i + 1);
    for (i, content) in contents.iter().enumerate().skip(turn_start) {
        let answered = contents
            .get(i + 1)
            .is_some_and(|next| next.role == Role::User && responses(next) > 0);
        if content.role != Role::Model || !answered {
            continue;
        }
        let first_call = content.parts.iter().find_map(|p| match &p.data {
            Data::FunctionCall(name) => Some((name, p.signature.as_deref())),
            _ => None,
        });
        if let Some((name, None | Some(""))) = first_call {
            let position = i + 1;
            return Err(ApiError::invalid(format!(
                "Function call is missing a thought_signature in functionCall parts. This is \
                 required for tools to work correctly, and missing thought_signature may lead to \
                 degraded model performance. Additional data, function call `default_api:{name}` \
                 , position {position}. Please refer to \
                 https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::reader::Reader;
    use super::*;

    fn check_body(model: &str, contents: &str) -> Result<(), String> {
        let body = format!(r#"{{"contents":{contents}}}"#);
        let request = Reader::new(false).request(body.as_bytes()).unwrap();
        check(&request, model, &Signatures::default())
            .map_err(|e| e.body()["error"]["message"].as_str().unwrap().to_owned())
    }

    const USER: &str = r#"{"role":"user","parts":[{"text":"Weather?"}]}"#;
    const CALL: &str =
        r#"{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}}}]}"#;
    const SKIPPED: &str = r#"{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}},"thoughtSignature":"skip_thought_signature_validator"}]}"#;
    const RESPONSE: &str =
        r#"{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{}}}]}"#;
    const TWO_RESPONSES: &str = r#"{"role":"user","parts":[{"functionResponse":{"name":"a","response":{}}},{"functionResponse":{"name":"b","response":{}}}]}"#;

    #[test]
    fn empty_contents_and_unpaired_responses() {
        assert!(
            check_body("m", "[]")
                .unwrap_err()
                .contains("contents is not specified")
        );
        let message = check_body("m", &format!("[{USER},{CALL},{TWO_RESPONSES}]")).unwrap_err();
        assert!(
            message.contains("number of function response parts"),
            "{message}"
        );
        let message = check_body("m", &format!("[{USER},{RESPONSE}]")).unwrap_err();
        assert!(
            message.contains("response turn comes immediately after"),
            "{message}"
        );
        let message = check_body("m", &format!("[{CALL},{RESPONSE}]")).unwrap_err();
        assert!(
            message.contains("call turn comes immediately after"),
            "{message}"
        );
        check_body("gemini-2.5-flash", &format!("[{USER},{CALL},{RESPONSE}]")).unwrap();
    }

    #[test]
    fn gemini_3_wants_signatures_in_the_current_turn_only() {
        let unsigned = format!("[{USER},{CALL},{RESPONSE}]");
        let message = check_body("gemini-3-pro-preview", &unsigned).unwrap_err();
        assert!(
            message.contains("function call `default_api:get_weather` , position 2."),
            "{message}"
        );
        check_body(
            "gemini-3-pro-preview",
            &format!("[{USER},{SKIPPED},{RESPONSE}]"),
        )
        .unwrap();
        // An unsigned call of an earlier turn is history the API no longer validates.
        let older = format!("[{USER},{CALL},{RESPONSE},{USER}]");
        check_body("gemini-3-pro-preview", &older).unwrap();
        // A trailing call without a response yet is not validated either.
        check_body("gemini-3-pro-preview", &format!("[{USER},{CALL}]")).unwrap();
    }

    #[test]
    fn unknown_signatures_are_corrupted() {
        let forged = r#"[{"role":"user","parts":[{"text":"a"}]},{"role":"model","parts":[{"text":"b","thoughtSignature":"Zm9yZ2Vk"}]},{"role":"user","parts":[{"text":"c"}]}]"#;
        assert_eq!(
            check_body("gemini-2.5-flash", forged).unwrap_err(),
            "Corrupted thought signature."
        );
    }
}
