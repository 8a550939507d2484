//! Test-side AWS helpers, written apart from the fake's own code so the two check each other:
//! a small SigV4 signer, an AWS event stream decoder with a bit-by-bit CRC-32, and raw
//! chunk reading to see how a stream was cut on the wire.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gomodel_fake_upstream::FakeUpstream;
use ring::{digest, hmac};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::{Response, request_bytes, send};

pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const REGION: &str = "us-east-1";

/// What a request is signed with.
#[derive(Clone)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
    pub region: String,
    /// Seconds to shift `x-amz-date` by (negative: in the past).
    pub clock_offset: i64,
    /// Whether `x-amz-security-token` is among the signed headers.
    pub sign_token: bool,
}

impl Credentials {
    pub fn example() -> Self {
        Self::new(ACCESS_KEY, SECRET_KEY, None)
    }

    pub fn new(access_key: &str, secret_key: &str, session_token: Option<&str>) -> Self {
        Self {
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            session_token: session_token.map(str::to_owned),
            region: REGION.to_owned(),
            clock_offset: 0,
            sign_token: true,
        }
    }
}

/// The headers that sign `method path?query` with `body`, as the test client sends it
/// (`host: fake`, JSON content type).
pub fn sign(
    credentials: &Credentials,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let amz_date = basic_date(now + credentials.clock_offset);
    let mut signed: Vec<(String, String)> = vec![
        ("content-type".into(), "application/json".into()),
        ("host".into(), "fake".into()),
        ("x-amz-date".into(), amz_date.clone()),
    ];
    if let (Some(token), true) = (&credentials.session_token, credentials.sign_token) {
        signed.push(("x-amz-security-token".into(), token.clone()));
    }
    signed.sort();
    let canonical_headers: String = signed.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let signed_names = signed
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    // Non-S3 services encode the wire path once more, segment by segment.
    let canonical_path = path.split('/').map(encode).collect::<Vec<_>>().join("/");
    let mut query_pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            format!("{}={}", encode(k), encode(v))
        })
        .collect();
    query_pairs.sort();
    let canonical = format!(
        "{method}\n{canonical_path}\n{}\n{canonical_headers}\n{signed_names}\n{}",
        query_pairs.join("&"),
        sha256_hex(body)
    );
    let day = &amz_date[..8];
    let scope = format!("{day}/{}/bedrock/aws4_request", credentials.region);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let mut key = hmac_sha256(format!("AWS4{}", credentials.secret_key).as_bytes(), day);
    key = hmac_sha256(&key, &credentials.region);
    key = hmac_sha256(&key, "bedrock");
    key = hmac_sha256(&key, "aws4_request");
    let signature: String = hmac_sha256(&key, &to_sign)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut headers: Vec<(String, String)> =
        signed.into_iter().filter(|(n, _)| n != "host").collect();
    if let (Some(token), false) = (&credentials.session_token, credentials.sign_token) {
        headers.push(("x-amz-security-token".into(), token.clone()));
    }
    headers.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_names}, \
             Signature={signature}",
            credentials.access_key
        ),
    ));
    headers
}

/// RFC 3986 unreserved characters stay, every other byte becomes `%XX`.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    digest::digest(&digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn hmac_sha256(key: &[u8], data: &str) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::sign(&key, data.as_bytes()).as_ref().to_vec()
}

/// `YYYYMMDDTHHMMSSZ` for Unix seconds.
pub fn basic_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// `POST path` with `body`, signed with `credentials` (or unsigned with `None`).
pub async fn post_signed(
    fake: &FakeUpstream,
    credentials: Option<&Credentials>,
    path: &str,
    body: &Value,
) -> Response {
    let body = serde_json::to_vec(body).unwrap();
    let headers = match credentials {
        Some(credentials) => sign(credentials, "POST", path, "", &body),
        None => vec![("content-type".into(), "application/json".into())],
    };
    send_with(fake, "POST", path, &headers, &body).await
}

pub async fn send_with(
    fake: &FakeUpstream,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Response {
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    send(fake.addr(), method, target, &headers, body)
        .await
        .expect("no response")
}

/// `POST /model/{encoded id}/converse` signed with the example key.
pub async fn converse(fake: &FakeUpstream, model: &str, body: &Value) -> Response {
    let path = format!("/model/{}/converse", encode(model));
    post_signed(fake, Some(&Credentials::example()), &path, body).await
}

/// The same, streamed.
pub async fn converse_stream(fake: &FakeUpstream, model: &str, body: &Value) -> Response {
    let path = format!("/model/{}/converse-stream", encode(model));
    post_signed(fake, Some(&Credentials::example()), &path, body).await
}

/// `(status, x-amzn-ErrorType, message)` of a Bedrock error.
pub fn error(response: &Response) -> (u16, String, String) {
    let body = response.json();
    let message = body["message"]
        .as_str()
        .or_else(|| body["Message"].as_str())
        .unwrap_or_default()
        .to_owned();
    let kind = response.header("x-amzn-errortype").unwrap_or_default();
    (response.status, kind.to_owned(), message)
}

/// One event stream message.
#[derive(Debug)]
pub struct Frame {
    pub headers: Vec<(String, String)>,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.payload).unwrap()
    }
}

/// Decodes every message of `bytes`; an error says which check failed and where.
pub fn decode_frames(mut bytes: &[u8]) -> Result<Vec<Frame>, String> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let index = frames.len();
        if bytes.len() < 16 {
            return Err(format!("frame {index}: {} trailing bytes", bytes.len()));
        }
        let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        let (total, headers_len) = (word(0) as usize, word(4) as usize);
        if word(8) != crc32(&bytes[..8]) {
            return Err(format!("frame {index}: prelude CRC mismatch"));
        }
        if bytes.len() < total {
            return Err(format!(
                "frame {index}: truncated, {} of {total} bytes",
                bytes.len()
            ));
        }
        if word(total - 4) != crc32(&bytes[..total - 4]) {
            return Err(format!("frame {index}: message CRC mismatch"));
        }
        let mut headers = Vec::new();
        let mut rest = &bytes[12..12 + headers_len];
        while !rest.is_empty() {
            let name_len = rest[0] as usize;
            let name = String::from_utf8(rest[1..1 + name_len].to_vec()).unwrap();
            let kind = rest[1 + name_len];
            if kind != 7 {
                return Err(format!("frame {index}: header {name} has type {kind}"));
            }
            let at = 2 + name_len;
            let value_len = u16::from_be_bytes([rest[at], rest[at + 1]]) as usize;
            let value = String::from_utf8(rest[at + 2..at + 2 + value_len].to_vec()).unwrap();
            headers.push((name, value));
            rest = &rest[at + 2 + value_len..];
        }
        let payload = bytes[12 + headers_len..total - 4].to_vec();
        frames.push(Frame { headers, payload });
        bytes = &bytes[total..];
    }
    Ok(frames)
}

/// CRC-32/ISO-HDLC one bit at a time.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Sends a signed request and returns the HTTP chunks of the body as they were framed.
pub async fn raw_chunks(fake: &FakeUpstream, path: &str, body: &Value) -> Vec<Vec<u8>> {
    let body = serde_json::to_vec(body).unwrap();
    let headers = sign(&Credentials::example(), "POST", path, "", &body);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let mut stream = TcpStream::connect(fake.addr()).await.unwrap();
    stream
        .write_all(&request_bytes("POST", path, &headers, &body))
        .await
        .unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let start = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut rest = &raw[start..];
    let mut chunks = Vec::new();
    loop {
        let line = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line]).unwrap(), 16).unwrap();
        rest = &rest[line + 2..];
        if size == 0 {
            return chunks;
        }
        chunks.push(rest[..size].to_vec());
        rest = &rest[size + 2..];
    }
}

#[test]
fn crc_and_dates_of_the_helpers() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(basic_date(1_440_938_160), "20150830T123600Z");
}
