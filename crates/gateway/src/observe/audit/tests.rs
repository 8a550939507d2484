//! The row [`AuditRecorder::record`] builds from a capture: bodies, passthrough answers,
//! sampling settings, authentication and scrubbing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::observe::writer::{Sink, WriterOptions};
use gomodel_store::AuditRow;

/// A recorder whose rows land in the returned vector.
fn new_recorder(
    log_bodies: bool,
    master_key: Option<&str>,
) -> (AuditRecorder, Arc<Mutex<Vec<AuditRow>>>) {
    recorder_with(
        vec!["sk-provider-secret-0123".to_owned()],
        master_key,
        log_bodies,
    )
}

/// A recorder keeping `secrets` out of its rows, which land in the returned vector.
fn recorder_with(
    secrets: Vec<String>,
    master_key: Option<&str>,
    log_bodies: bool,
) -> (AuditRecorder, Arc<Mutex<Vec<AuditRow>>>) {
    let rows = Arc::new(Mutex::new(Vec::new()));
    let sink_rows = Arc::clone(&rows);
    let sink: Sink<EncodedAudit> = Arc::new(move |batch: Arc<Vec<EncodedAudit>>| {
        sink_rows
            .lock()
            .unwrap()
            .extend(batch.iter().map(|e| e.decode().unwrap()));
        Box::pin(async { Ok(()) })
    });
    let options = WriterOptions {
        capacity: 16,
        max_batch: 16,
        flush_interval: Duration::from_millis(10),
    };
    let (writer, _task) = BatchWriter::spawn("audit-test", options, sink);
    let recorder = AuditRecorder::new(
        writer,
        secrets,
        master_key.map(Secret::new),
        log_bodies,
        true,
    );
    (recorder, rows)
}

/// Records one request captured by `fill` on `path`, and returns its row.
async fn row_for(
    recorder: &AuditRecorder,
    rows: &Mutex<Vec<AuditRow>>,
    path: &str,
    fill: impl FnOnce(&mut AuditCapture),
) -> AuditRow {
    let record = RequestRecord::audited("req-1".to_owned());
    record.capture(fill);
    recorder.record(&record, &record.snapshot(), "POST", path, 200);
    recorder.writer().shutdown(Duration::from_secs(1)).await;
    rows.lock().unwrap().pop().unwrap()
}

#[tokio::test]
async fn passthrough_bodies_are_kept_as_json_text_or_base64() {
    let (recorder, rows) = new_recorder(true, None);
    let row = row_for(&recorder, &rows, "/p/openai/chat/completions", |c| {
        c.stream_kind = StreamKind::Body;
        c.push_stream(br#"{"id":"chatcmpl-7","choices":[{"message":{"content":"#);
        c.push_stream(br#""echo sk-provider-secret-0123"}}]}"#);
    })
    .await;
    assert_eq!(row.response_id.as_deref(), Some("chatcmpl-7"));
    assert_eq!(
        row.data.to_value()["response_body"]["choices"][0]["message"]["content"],
        "echo [REDACTED]"
    );

    let (recorder, rows) = new_recorder(true, None);
    let gz = [0x1f_u8, 0x8b, 0x08, 0x00, 0xff, 0xfe];
    let row = row_for(&recorder, &rows, "/p/openai/models", |c| {
        c.stream_kind = StreamKind::Body;
        c.content_encoding = Some("gzip".to_owned());
        c.push_stream(&gz);
    })
    .await;
    assert_eq!(row.data.to_value()["response_content_encoding"], "gzip");
    assert_eq!(row.data.to_value()["response_body_base64"], true);
    assert_eq!(row.data.to_value()["response_body"], "H4sIAP/+");

    let (recorder, rows) = new_recorder(true, None);
    let row = row_for(&recorder, &rows, "/p/openai/audio/speech", |c| {
        c.stream_kind = StreamKind::Body;
        c.push_stream(&[0xff, 0xfb, 0x90, 0x00]);
    })
    .await;
    assert_eq!(
        row.data.to_value()["response_body_base64"],
        true,
        "binary: base64"
    );
}

#[tokio::test]
async fn passthrough_event_streams_are_reassembled_by_their_dialect() {
    let (recorder, rows) = new_recorder(true, None);
    let row = row_for(&recorder, &rows, "/p/anthropic/messages", |c| {
        c.push_stream(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_9\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n");
        c.push_stream(b"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
        c.push_stream(b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi sk-provider-secret-0123\"}}\n\n");
    })
    .await;
    assert_eq!(row.response_id.as_deref(), Some("msg_9"));
    assert_eq!(
        row.data.to_value()["response_body"]["content"][0]["text"],
        "Hi [REDACTED]"
    );
    assert_eq!(
        row.data.to_value()["response_body"]["reassembled_from_stream"],
        true
    );

    let (recorder, rows) = new_recorder(true, None);
    let row = row_for(
        &recorder,
        &rows,
        "/p/gemini/models/x:streamGenerateContent",
        |c| {
            c.push_stream(b"data: {\"candidates\":[]}\n\n");
        },
    )
    .await;
    assert_eq!(
        row.data.to_value()["response_body"],
        "data: {\"candidates\":[]}\n\n",
        "an unknown dialect is kept as text"
    );
}

#[tokio::test]
async fn sampling_settings_and_auth_method_are_recorded_without_bodies() {
    let (recorder, rows) = new_recorder(false, Some("master-key-0123456789"));
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "authorization",
        "Bearer master-key-0123456789".parse().unwrap(),
    );
    let method = recorder.auth_method(&headers);
    assert_eq!(method, Some("master_key"));
    assert_eq!(recorder.auth_method(&http::HeaderMap::new()), None);
    let row = row_for(&recorder, &rows, "/v1/chat/completions", |c| {
        c.skip_bodies = true;
        c.auth_method = method;
        c.request_body = Some(Bytes::from_static(
            br#"{"model":"m","temperature":0.25,"max_completion_tokens":77,"messages":[]}"#,
        ));
        c.push_stream(b"data: {\"object\":\"chat.completion.chunk\"}\n\n");
    })
    .await;
    assert_eq!(row.auth_method.as_deref(), Some("master_key"));
    assert_eq!(row.data.to_value()["temperature"], 0.25);
    assert_eq!(row.data.to_value()["max_tokens"], 77);
    assert!(row.data.to_value().get("request_body").is_none());
    assert!(row.data.to_value().get("response_body").is_none());

    let (open, _) = new_recorder(true, None);
    assert_eq!(open.auth_method(&http::HeaderMap::new()), Some("no_key"));
    let (recorder, rows) = new_recorder(true, None);
    let row = row_for(
        &recorder,
        &rows,
        "/p/gemini/models/x:generateContent",
        |c| {
            c.request_body = Some(Bytes::from_static(
                br#"{"generationConfig":{"temperature":1,"maxOutputTokens":9}}"#,
            ));
        },
    )
    .await;
    assert_eq!(
        (
            row.data.to_value()["temperature"].clone(),
            row.data.to_value()["max_tokens"].clone()
        ),
        (json!(1.0), json!(9))
    );
}

#[test]
fn credential_headers_are_redacted_by_name() {
    let mut headers = http::HeaderMap::new();
    for name in [
        "authorization",
        "x-goog-api-key",
        "x-amz-security-token",
        "api-key",
        "cookie",
    ] {
        headers.insert(name, "value".parse().unwrap());
    }
    headers.insert("content-type", "application/json".parse().unwrap());
    for (name, value) in &headers {
        let value = header_text(name, value);
        let want = if name == "content-type" {
            "application/json"
        } else {
            REDACTED
        };
        assert_eq!(value, want, "{name}");
    }
}

#[test]
fn relayed_answers_are_capped_and_skipped_without_bodies() {
    let mut capture = AuditCapture::default();
    capture.push_stream(&vec![b'a'; BODY_CAP - 1]);
    capture.push_stream(b"bc");
    assert_eq!(capture.stream.len(), BODY_CAP);
    assert!(capture.stream_truncated);
    let mut skipped = AuditCapture {
        skip_bodies: true,
        ..AuditCapture::default()
    };
    skipped.push_stream(b"data");
    assert!(skipped.stream.is_empty());
}

#[tokio::test]
async fn bodies_go_into_the_document_as_the_json_text_they_arrived_as() {
    let (recorder, rows) = new_recorder(true, None);
    let request = br#"{"model":"m","previous_response_id":"resp_1","temperature":0.5, "note":"key sk-provider-secret-0123"}"#;
    let row = row_for(&recorder, &rows, "/v1/chat/completions", |c| {
        c.request_body = Some(Bytes::from_static(request));
        c.response_body = Some(Bytes::from_static(br#"{"id":"chatcmpl-9","n":1.50}"#));
    })
    .await;
    let text = row.data.get();
    // The body's own spacing survives: it was checked, not parsed and re-serialised.
    assert!(text.contains(r#""temperature":0.5, "note""#), "{text}");
    assert!(text.contains(r#""n":1.50}"#), "{text}");
    assert!(!text.contains("sk-provider-secret-0123"), "{text}");
    assert_eq!(row.previous_response_id.as_deref(), Some("resp_1"));
    assert_eq!(row.response_id.as_deref(), Some("chatcmpl-9"));
    let data = row.data.to_value();
    assert_eq!(data["temperature"], 0.5);
    assert_eq!(data["request_body"]["note"], "key [REDACTED]");

    // Not JSON, and JSON with an unpaired surrogate escape: both kept as strings of their text.
    // (`row_for` shuts its recorder's writer down, so each case gets a new one.)
    let (recorder, rows) = new_recorder(true, None);
    let row = row_for(&recorder, &rows, "/v1/chat/completions", |c| {
        c.request_body = Some(Bytes::from_static(b"model=m&stream=true"));
        c.response_body = Some(Bytes::from_static(br#"{"text":"\ud800 alone"}"#));
    })
    .await;
    let data = row.data.to_value();
    assert_eq!(data["request_body"], "model=m&stream=true");
    assert_eq!(data["response_body"], r#"{"text":"\ud800 alone"}"#);

    // Nothing but bodies: the document is still one well-formed object.
    let (quiet, quiet_rows) = new_recorder(true, None);
    let row = row_for(&quiet, &quiet_rows, "/v1/embeddings", |c| {
        c.request_body = Some(Bytes::from_static(b"[1,2]"));
    })
    .await;
    assert_eq!(row.data.to_value()["request_body"], json!([1, 2]));
}

#[tokio::test]
async fn unstorable_bodies_and_mistyped_fields_keep_the_row_readable() {
    let (recorder, rows) = new_recorder(true, None);
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let row = row_for(&recorder, &rows, "/v1/responses", |c| {
        c.request_body = Some(Bytes::from(
            r#"{"previous_response_id":"resp_7","temperature":"hot","n":1e400}"#,
        ));
        c.response_body = Some(Bytes::from(deep.clone()));
    })
    .await;
    // A mistyped sampling field does not lose the thread link.
    assert_eq!(row.previous_response_id.as_deref(), Some("resp_7"));
    let data = row.data.to_value();
    assert_eq!(
        data["request_body"],
        r#"{"previous_response_id":"resp_7","temperature":"hot","n":1e400}"#
    );
    assert_eq!(data["response_body"], deep.as_str());
    assert!(data.get("temperature").is_none());
}

#[tokio::test]
async fn bodies_the_gateway_parsed_are_not_checked_again_unless_scrubbed_or_cut() {
    // `1e400` is JSON a reader may not hold as a number: checked, such a body is kept as a
    // string; parsed by the handler already, it goes in as it is (the store deals with it).
    let odd = br#"{"n":1e400}"#;
    let (recorder, rows) = new_recorder(true, None);
    let row = row_for(&recorder, &rows, "/v1/chat/completions", |c| {
        c.request_body = Some(Bytes::from_static(odd));
        c.request_body_is_json = true;
        c.response_body = Some(Bytes::from_static(odd));
    })
    .await;
    let text = row.data.get();
    assert!(text.contains(r#""request_body":{"n":1e400}"#), "{text}");
    assert!(
        text.contains(r#""response_body":"{\"n\":1e400}""#),
        "{text}"
    );

    // A scrubbed body is checked again: the replacement could, in principle, have broken it.
    let (recorder, rows) = new_recorder(true, None);
    let row = row_for(&recorder, &rows, "/v1/chat/completions", |c| {
        c.request_body = Some(Bytes::from_static(
            br#"{"n":1e400,"k":"sk-provider-secret-0123"}"#,
        ));
        c.request_body_is_json = true;
    })
    .await;
    let text = row.data.get();
    assert!(
        text.contains(r#""request_body":"{\"n\":1e400,\"k\":\"[REDACTED]\"}""#),
        "{text}"
    );

    // A body cut at the cap is no longer the JSON that was parsed.
    let (recorder, rows) = new_recorder(true, None);
    let mut big = br#"{"s":""#.to_vec();
    big.resize(BODY_CAP + 10, b'a');
    big.extend_from_slice(br#""}"#);
    let row = row_for(&recorder, &rows, "/v1/chat/completions", |c| {
        c.response_body = Some(Bytes::from(big));
        c.response_body_is_json = true;
    })
    .await;
    let data = row.data.to_value();
    assert!(data["response_body"].is_string());
    assert_eq!(data["response_body_too_big_to_handle"], true);
}

/// The document is searched for secrets once, as a whole: one found anywhere (a header that is
/// not a credential header, the user agent, a body that is not JSON, an error message), raw
/// or in the escaped form the document gives it, makes every field scrubbed.
#[tokio::test]
async fn secrets_anywhere_in_the_document_are_scrubbed() {
    let quoted_secret = "tok\"en\\with-escapes\u{8}";
    let (recorder, rows) = recorder_with(
        vec![
            "sk-provider-secret-0123".to_owned(),
            quoted_secret.to_owned(),
        ],
        None,
        true,
    );
    let record = RequestRecord::audited("req-1".to_owned());
    record.capture(|c| {
        c.request_headers.insert(
            "x-forwarded-token",
            http::HeaderValue::from_static("Bearer sk-provider-secret-0123"),
        );
        c.user_agent = Some("agent sk-provider-secret-0123".into());
        c.request_body = Some(Bytes::from(format!("plain text {quoted_secret} end")));
        c.response_body = Some(Bytes::from_static(br#"{"id":"x","ok":true}"#));
        c.response_body_is_json = true;
    });
    record.set_error("upstream_error", "echoed sk-provider-secret-0123 back");
    recorder.record(
        &record,
        &record.snapshot(),
        "POST",
        "/v1/chat/completions",
        502,
    );
    recorder.writer().shutdown(Duration::from_secs(1)).await;
    let row = rows.lock().unwrap().pop().unwrap();
    let text = row.data.get();
    assert!(!text.contains("sk-provider-secret"), "{text}");
    assert!(!text.contains("with-escapes"), "{text}");
    let data = row.data.to_value();
    assert_eq!(
        data["request_headers"]["x-forwarded-token"],
        "Bearer [REDACTED]"
    );
    assert_eq!(data["user_agent"], "agent [REDACTED]");
    assert_eq!(data["request_body"], "plain text [REDACTED] end");
    assert_eq!(
        data["response_body"]["ok"], true,
        "untouched fields stay as they were"
    );

    // Only the escaped form in the document: still found.
    let record = RequestRecord::audited("req-2".to_owned());
    record.capture(|c| {
        c.request_body = Some(Bytes::from(format!("only {quoted_secret}")));
    });
    let (recorder, rows) = recorder_with(vec![quoted_secret.to_owned()], None, true);
    recorder.record(
        &record,
        &record.snapshot(),
        "POST",
        "/v1/chat/completions",
        200,
    );
    recorder.writer().shutdown(Duration::from_secs(1)).await;
    let row = rows.lock().unwrap().pop().unwrap();
    assert_eq!(row.data.to_value()["request_body"], "only [REDACTED]");
}
