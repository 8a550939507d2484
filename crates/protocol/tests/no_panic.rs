#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]
//! Every decoder of untrusted bytes in this crate, fed mutated and random input: none may panic.
//! (A cheap stand-in for a fuzzer that runs on stable in the normal test suite; the seeds are
//! real request and stream shapes, mutated byte by byte with a fixed-seed generator.)

use gomodel_protocol::JsonObject;
use gomodel_protocol::bedrock::stream_in::BedrockToOpenAi;
use gomodel_protocol::bedrock::wire::StreamPayload;
use gomodel_protocol::eventstream::{Decoder, crc32, encode};
use gomodel_protocol::gemini::response::to_openai_response;
use gomodel_protocol::gemini::stream_in::GeminiToOpenAi;
use gomodel_protocol::gemini::wire::GenerateContentResponse;
use gomodel_protocol::openai::{UpstreamErrorBody, extract_usage, inspect_event};
use gomodel_protocol::sse::{EventSplitter, data_payload};

const SEEDS: [&[u8]; 7] = [
    br#"{"model":"gpt-4o","messages":[{"role":"user","content":"h\u00e9"}],"stream":true,"stream_options":{"include_usage":true}}"#,
    b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\ndata: [DONE]\n\n",
    br#"{"error":{"message":"x","type":"t","code":429,"metadata":{"raw":"{\"error\":\"y\"}"}}}"#,
    b"event: x\r\ndata: 1\r\n\r\n: c\n\n",
    br#"{"usage":{"prompt_tokens":1,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":1}}}"#,
    br#"{"candidates":[{"content":{"parts":[{"text":"a","thought":true},{"functionCall":{"name":"f","args":{"x":1}},"thoughtSignature":"s"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":2,"totalTokenCount":6,"thoughtsTokenCount":3},"responseId":"r"}"#,
    br#"{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":"C","probability":"HIGH","blocked":true}]},"error":{"code":503,"message":"m","status":"UNAVAILABLE"}}"#,
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(4) {
            0 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] = rng.next() as u8;
            }
            1 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes.truncate(i);
            }
            2 => {
                let i = rng.below(bytes.len() + 1);
                let interesting = [b'{', b'}', b'"', b'\\', b'\n', b'\r', b':', b'[', 0xff];
                bytes.insert(i, interesting[rng.below(interesting.len())]);
            }
            _ => {
                let i = rng.below(bytes.len() + 1);
                let j = rng.below(bytes.len() + 1);
                let (a, b) = (i.min(j), i.max(j));
                let copy = bytes[a..b].to_vec();
                bytes.splice(a..a, copy);
            }
        }
    }
    bytes
}

fn exercise(input: &[u8], rng: &mut Rng) {
    if let Ok(mut object) = JsonObject::parse(input) {
        let _ = object.get_str("model");
        let _ = object.get_bool("stream");
        object.set_str("model", "m");
        object.remove("provider");
        let out = object.to_vec();
        assert!(
            JsonObject::parse(&out).is_ok(),
            "re-encoded object must parse"
        );
    }
    let _ = extract_usage(input);
    let _ = UpstreamErrorBody::parse(input);
    let _ = inspect_event(input);
    let _ = data_payload(input);
    exercise_gemini(input);
    exercise_eventstream(input, rng);
    let mut splitter = EventSplitter::new();
    let mut rest = input;
    while !rest.is_empty() {
        let take = 1 + rng.below(rest.len());
        splitter.push(&rest[..take]);
        for event in splitter.drain_events() {
            let _ = inspect_event(&event);
        }
        rest = &rest[take..];
    }
    let _ = splitter.take_remainder();
}

/// AWS event-stream bytes through the frame decoder (fed in random pieces) and the Bedrock
/// stream translator.
fn exercise_eventstream(input: &[u8], rng: &mut Rng) {
    let mut decoder = Decoder::new();
    let mut machine = BedrockToOpenAi::new("id", "m", 0);
    let mut rest = input;
    while !rest.is_empty() {
        let take = 1 + rng.below(rest.len());
        decoder.push(&rest[..take]);
        rest = &rest[take..];
        while let Ok(Some(frame)) = decoder.next_frame() {
            let kind = frame.header(":event-type").unwrap_or("").to_owned();
            if let Ok(payload) = serde_json::from_slice::<StreamPayload>(&frame.payload) {
                let _ = machine.on_event(&kind, payload);
            }
        }
    }
    let _ = machine.finish();
}

/// Gemini answers and stream events through both translators.
fn exercise_gemini(input: &[u8]) {
    let Ok(event) = serde_json::from_slice::<GenerateContentResponse>(input) else {
        return;
    };
    let _ = to_openai_response(&event, "m", 0, "r");
    let mut machine = GeminiToOpenAi::new("m", 0, "r");
    let _ = machine.on_event(event.clone());
    let _ = machine.on_event(event);
    let _ = machine.finish();
}

#[test]
fn decoders_never_panic_on_mutated_input() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..20_000 {
        let seed = SEEDS[round % SEEDS.len()];
        let input = mutate(&mut rng, seed);
        exercise(&input, &mut rng);
    }
}

/// Real ConverseStream frames, mutated (lengths, CRCs, header bytes, payloads): the decoder
/// reports an error or waits for more, never panics, and never buffers past its limit.
#[test]
fn event_stream_decoder_never_panics_on_mutated_frames() {
    let frames: Vec<u8> = [
        (
            ":event-type",
            "messageStart",
            r#"{"role":"assistant","p":"abc"}"#,
        ),
        (
            ":event-type",
            "contentBlockStart",
            r#"{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t","name":"f"}}}"#,
        ),
        (
            ":event-type",
            "contentBlockDelta",
            r#"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"a\":"}}}"#,
        ),
        (":event-type", "messageStop", r#"{"stopReason":"tool_use"}"#),
        (
            ":event-type",
            "metadata",
            r#"{"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3}}"#,
        ),
    ]
    .iter()
    .flat_map(|(name, value, payload)| {
        encode(
            &[(name, value), (":message-type", "event")],
            payload.as_bytes(),
        )
        .unwrap()
    })
    .collect();
    let mut rng = Rng(7);
    for _ in 0..20_000 {
        let input = mutate(&mut rng, &frames);
        exercise_eventstream(&input, &mut rng);
    }
    // Frames whose header and payload bytes are mutated but whose CRCs are recomputed: the
    // header parser itself meets garbage (type codes, lengths past the end, bad UTF-8).
    let one = encode(
        &[
            (":event-type", "contentBlockDelta"),
            (":message-type", "event"),
            (":content-type", "application/json"),
        ],
        br#"{"contentBlockIndex":0,"delta":{"text":"hi"}}"#,
    )
    .unwrap();
    for _ in 0..20_000 {
        let mut frame = one.clone();
        let inner = 12..frame.len() - 4;
        for _ in 0..=rng.below(3) {
            let at = inner.start + rng.below(inner.len());
            frame[at] = rng.next() as u8;
        }
        let prelude_crc = crc32(&frame[..8]);
        frame[8..12].copy_from_slice(&prelude_crc.to_be_bytes());
        let end = frame.len() - 4;
        let message_crc = crc32(&frame[..end]);
        frame[end..].copy_from_slice(&message_crc.to_be_bytes());
        exercise_eventstream(&frame, &mut rng);
    }
    // Valid frames around mutated payloads reach the translator itself.
    let kinds = [
        "messageStart",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
        "throttlingException",
    ];
    let payloads = [
        &br#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"a","signature":"s"}}}"#[..],
        br#"{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"t","name":"f"}}}"#,
        br#"{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{}"}}}"#,
        br#"{"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3,"cacheReadInputTokens":9}}"#,
    ];
    for round in 0..5_000 {
        let mut stream = Vec::new();
        for step in 0..4 {
            let payload = mutate(&mut rng, payloads[(round + step) % payloads.len()]);
            let kind = kinds[rng.below(kinds.len())];
            stream.extend(encode(&[(":event-type", kind)], &payload).unwrap());
        }
        exercise_eventstream(&stream, &mut rng);
    }
}

#[test]
fn decoders_never_panic_on_random_bytes() {
    let mut rng = Rng(42);
    for _ in 0..5_000 {
        let len = rng.below(256);
        let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        exercise(&input, &mut rng);
    }
}
