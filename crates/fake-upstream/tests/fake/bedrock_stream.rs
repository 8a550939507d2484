//! ConverseStream: AWS event stream messages decoded here with their CRCs checked, Bedrock's
//! event order and payloads (padding field `p` included), messages split across HTTP chunks,
//! and the stream faults (exception messages, a corrupt CRC, a truncated message, a drop).

use gomodel_fake_upstream::FakeUpstream;
use serde_json::{Value, json};

use crate::aws::{Frame, converse_stream, decode_frames, raw_chunks};
use crate::bedrock::{hello, weather_tools, with};

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET_45: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

fn event_types(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .map(|f| f.header(":event-type").unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test]
async fn text_streams_as_event_stream_messages_in_bedrocks_order() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = converse_stream(&fake, HAIKU, &hello()).await;
    assert_eq!(response.status, 200);
    assert!(response.complete);
    assert_eq!(
        response.header("content-type"),
        Some("application/vnd.amazon.eventstream")
    );
    let frames = decode_frames(&response.body).unwrap();
    assert_eq!(
        event_types(&frames),
        [
            "messageStart",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockStop",
            "messageStop",
            "metadata"
        ]
    );
    let mut text = String::new();
    for frame in &frames {
        assert_eq!(frame.header(":message-type"), Some("event"));
        assert_eq!(frame.header(":content-type"), Some("application/json"));
        let payload = frame.json();
        let padding = payload["p"].as_str().unwrap();
        assert!(
            !padding.is_empty()
                && "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                    .starts_with(padding)
        );
        if let Some(piece) = payload["delta"]["text"].as_str() {
            assert_eq!(payload["contentBlockIndex"], 0);
            text.push_str(piece);
        }
    }
    assert_eq!(text, "Hello World! How can I help you today?");
    assert_eq!(frames[0].json()["role"], "assistant");
    assert_eq!(frames[4].json()["contentBlockIndex"], 0);
    assert_eq!(frames[5].json()["stopReason"], "end_turn");
    let metadata = frames[6].json();
    assert_eq!(metadata["usage"]["inputTokens"], 1);
    assert!(metadata["metrics"]["latencyMs"].is_u64());
}

#[tokio::test]
async fn some_messages_span_two_http_chunks() {
    let fake = FakeUpstream::start().await.unwrap();
    let path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream";
    let chunks = raw_chunks(&fake, path, &hello()).await;
    let joined: Vec<u8> = chunks.concat();
    let frames = decode_frames(&joined).unwrap();
    assert_eq!(frames.len(), 7);
    let whole_messages = chunks.iter().filter(|c| decode_frames(c).is_ok()).count();
    assert!(chunks.len() > frames.len(), "{} chunks", chunks.len());
    assert!(
        whole_messages < chunks.len(),
        "some chunk holds part of a message"
    );
}

#[tokio::test]
async fn reasoning_and_tool_calls_stream_in_blocks() {
    let fake = FakeUpstream::start().await.unwrap();
    let body = with(
        hello(),
        json!({
            "toolConfig": weather_tools(),
            "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}},
        }),
    );
    let response = converse_stream(&fake, SONNET_45, &body).await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let frames = decode_frames(&response.body).unwrap();
    let types = event_types(&frames);
    let payloads: Vec<Value> = frames.iter().map(Frame::json).collect();
    assert_eq!(types[0], "messageStart");
    // Block 0: reasoning text pieces, then its signature, then stop.
    let mut reasoning = String::new();
    let mut at = 1;
    while let Some(piece) = payloads[at]["delta"]["reasoningContent"]["text"].as_str() {
        reasoning.push_str(piece);
        at += 1;
    }
    assert!(at >= 3 && !reasoning.is_empty());
    assert!(
        payloads[at]["delta"]["reasoningContent"]["signature"]
            .as_str()
            .unwrap()
            .len()
            > 40
    );
    assert_eq!(types[at + 1], "contentBlockStop");
    at += 2;
    // Blocks 1 and 2: a start with the call's id and name, input fragments, stop.
    for (index, name) in [(1, "get_weather"), (2, "get_time")] {
        assert_eq!(types[at], "contentBlockStart");
        let start = &payloads[at]["start"]["toolUse"];
        assert_eq!(payloads[at]["contentBlockIndex"], index);
        assert_eq!(start["name"], name);
        assert!(start["toolUseId"].as_str().unwrap().starts_with("tooluse_"));
        at += 1;
        let mut input = String::new();
        let mut fragments = 0;
        while types[at] == "contentBlockDelta" {
            assert_eq!(payloads[at]["contentBlockIndex"], index);
            input.push_str(payloads[at]["delta"]["toolUse"]["input"].as_str().unwrap());
            fragments += 1;
            at += 1;
        }
        assert!((2..=3).contains(&fragments), "{fragments} fragments");
        let input: Value = serde_json::from_str(&input).unwrap();
        if index == 1 {
            assert_eq!(input, json!({"location": "Tokyo", "unit": "celsius"}));
        }
        assert_eq!(types[at], "contentBlockStop");
        at += 1;
    }
    assert_eq!(types[at], "messageStop");
    assert_eq!(payloads[at]["stopReason"], "tool_use");
    assert_eq!(types[at + 1], "metadata");
    assert_eq!(frames.len(), at + 2);
}

#[tokio::test]
async fn error_events_are_exception_messages() {
    let fake = FakeUpstream::start().await.unwrap();
    let cases = [
        ("fake-error-event", "throttlingException"),
        ("fake-model-stream-error", "modelStreamErrorException"),
    ];
    for (model, exception) in cases {
        let response = converse_stream(&fake, model, &hello()).await;
        assert_eq!(response.status, 200, "{model}");
        let frames = decode_frames(&response.body).unwrap();
        assert_eq!(frames.len(), 4, "{model}: start, two deltas, the exception");
        assert_eq!(frames[1].json()["delta"]["text"], "Hello");
        let last = &frames[3];
        assert_eq!(last.header(":message-type"), Some("exception"));
        assert_eq!(last.header(":exception-type"), Some(exception));
        assert_eq!(last.header(":content-type"), Some("application/json"));
        assert!(last.header(":event-type").is_none());
        assert!(
            last.json()["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

#[tokio::test]
async fn corrupt_and_truncated_messages() {
    let fake = FakeUpstream::start().await.unwrap();
    let corrupt = converse_stream(&fake, "fake-corrupt-frame", &hello()).await;
    assert_eq!(corrupt.status, 200);
    assert!(corrupt.complete);
    assert_eq!(
        decode_frames(&corrupt.body).unwrap_err(),
        "frame 2: message CRC mismatch"
    );
    let truncated = converse_stream(&fake, "fake-truncated-frame", &hello()).await;
    assert!(truncated.complete, "the body itself ends cleanly");
    let error = decode_frames(&truncated.body).unwrap_err();
    assert!(error.starts_with("frame 2: truncated"), "{error}");
}

#[tokio::test]
async fn drops_end_the_connection_after_n_messages() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = converse_stream(&fake, "fake-drop-2", &hello()).await;
    assert!(!response.complete);
    assert_eq!(decode_frames(&response.body).unwrap().len(), 2);
    let garbage = converse_stream(&fake, "fake-garbage", &hello()).await;
    assert!(decode_frames(&garbage.body).is_err());
}
