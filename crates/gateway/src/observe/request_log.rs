//! The per-request log line, formatted by hand.
//!
//! Every request logs one line, so its cost is per-request cost: through `tracing`'s JSON
//! formatter it was ~5% of gateway CPU (perf). This module writes the same fields, in the same
//! JSON-lines or text shape as the rest of the log, straight into the log sink that
//! `logging::init` installed. Before `init` (tests) it falls back to a `tracing` event.

use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::Level;

use crate::logging::BatchedStderr;

/// Where request lines go, set once by `logging::init`.
#[derive(Clone)]
pub struct RequestLogSink {
    pub writer: BatchedStderr,
    pub json: bool,
    pub max_level: Level,
}

static SINK: OnceLock<RequestLogSink> = OnceLock::new();

pub fn install(sink: RequestLogSink) {
    let _ = SINK.set(sink);
}

/// The fields of one request line. Strings are never bodies or header values, so no secret can
/// appear here.
pub struct RequestLine<'a> {
    pub level: Level,
    pub request_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub duration_ms: f64,
    pub ttfb_ms: Option<f64>,
    pub provider: Option<&'a str>,
    pub provider_type: Option<&'a str>,
    pub model: Option<&'a str>,
    pub upstream_model: Option<&'a str>,
    pub stream: bool,
    pub tokens: Option<(u64, u64, u64)>,
    pub error_code: Option<&'a str>,
    pub error: Option<&'a str>,
    pub client_disconnected: bool,
}

impl RequestLine<'_> {
    pub fn emit(&self) {
        let Some(sink) = SINK.get() else {
            self.emit_tracing();
            return;
        };
        // Level order: ERROR < WARN < INFO < DEBUG; a line is kept when it is at most max_level.
        if self.level > sink.max_level {
            return;
        }
        let mut out = String::with_capacity(512);
        if sink.json {
            self.write_json(&mut out);
        } else {
            self.write_text(&mut out);
        }
        out.push('\n');
        sink.writer.append(out.as_bytes());
    }

    fn write_json(&self, out: &mut String) {
        out.push_str("{\"timestamp\":\"");
        write_timestamp(out);
        let _ = write!(
            out,
            "\",\"level\":\"{}\",\"message\":\"request\"",
            self.level
        );
        json_str(out, "request_id", Some(self.request_id));
        json_str(out, "method", Some(self.method));
        json_str(out, "path", Some(self.path));
        let _ = write!(out, ",\"status\":{},\"duration_ms\":", self.status);
        write_millis(out, self.duration_ms);
        if let Some(ttfb) = self.ttfb_ms {
            out.push_str(",\"ttfb_ms\":");
            write_millis(out, ttfb);
        }
        json_str(out, "provider", self.provider);
        json_str(out, "provider_type", self.provider_type);
        json_str(out, "model", self.model);
        json_str(out, "upstream_model", self.upstream_model);
        let _ = write!(out, ",\"stream\":{}", self.stream);
        if let Some((prompt, completion, total)) = self.tokens {
            let _ = write!(
                out,
                ",\"prompt_tokens\":{prompt},\"completion_tokens\":{completion},\"total_tokens\":{total}"
            );
        }
        json_str(out, "error_code", self.error_code);
        json_str(out, "error", self.error);
        let _ = write!(
            out,
            ",\"client_disconnected\":{}}}",
            self.client_disconnected
        );
    }

    fn write_text(&self, out: &mut String) {
        write_timestamp(out);
        let _ = write!(
            out,
            " {:>5} request request_id={} method={} path={} status={} duration_ms=",
            self.level, self.request_id, self.method, self.path, self.status
        );
        write_millis(out, self.duration_ms);
        if let Some(ttfb) = self.ttfb_ms {
            out.push_str(" ttfb_ms=");
            write_millis(out, ttfb);
        }
        for (key, value) in [
            ("provider", self.provider),
            ("provider_type", self.provider_type),
            ("model", self.model),
            ("upstream_model", self.upstream_model),
        ] {
            if let Some(value) = value {
                let _ = write!(out, " {key}={value}");
            }
        }
        let _ = write!(out, " stream={}", self.stream);
        if let Some((prompt, completion, total)) = self.tokens {
            let _ = write!(
                out,
                " prompt_tokens={prompt} completion_tokens={completion} total_tokens={total}"
            );
        }
        if let Some(code) = self.error_code {
            let _ = write!(out, " error_code={code}");
        }
        if let Some(error) = self.error {
            let _ = write!(out, " error={error:?}");
        }
        if self.client_disconnected {
            out.push_str(" client_disconnected=true");
        }
    }

    fn emit_tracing(&self) {
        let tokens = self.tokens;
        macro_rules! line {
            ($level:expr) => {
                tracing::event!(
                    target: "gomodel::request",
                    $level,
                    request_id = self.request_id,
                    method = self.method,
                    path = self.path,
                    status = self.status,
                    duration_ms = self.duration_ms,
                    ttfb_ms = self.ttfb_ms,
                    provider = self.provider,
                    model = self.model,
                    upstream_model = self.upstream_model,
                    stream = self.stream,
                    total_tokens = tokens.map(|t| t.2),
                    error_code = self.error_code,
                    client_disconnected = self.client_disconnected,
                    "request"
                )
            };
        }
        match self.level {
            Level::ERROR | Level::WARN => line!(Level::WARN),
            Level::DEBUG | Level::TRACE => line!(Level::DEBUG),
            _ => line!(Level::INFO),
        }
    }
}

/// Milliseconds with three decimals, through integer formatting (`{:.3}` on an f64 takes
/// the slow float-printing path; measurable at one call per request).
fn write_millis(out: &mut String, millis: f64) {
    let micros = (millis * 1000.0).round().max(0.0) as u64;
    let _ = write!(out, "{}.{:03}", micros / 1000, micros % 1000);
}

fn json_str(out: &mut String, key: &str, value: Option<&str>) {
    let Some(value) = value else {
        return;
    };
    let _ = write!(out, ",\"{key}\":");
    match serde_json::to_string(value) {
        Ok(encoded) => out.push_str(&encoded),
        Err(_) => out.push_str("null"),
    }
}

/// RFC 3339 UTC with microseconds, e.g. `2026-11-25T15:49:23.344967Z`.
fn write_timestamp(out: &mut String) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        now.subsec_micros()
    );
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_358), (2023, 1, 1));
        assert_eq!(civil_from_days(20_782), (2026, 11, 25));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn json_line_is_valid_json_with_escaped_strings() {
        let line = RequestLine {
            level: Level::INFO,
            request_id: "id\"1",
            method: "POST",
            path: "/v1/chat/completions",
            status: 200,
            duration_ms: 1.5,
            ttfb_ms: Some(0.25),
            provider: Some("openai"),
            provider_type: Some("openai"),
            model: Some("gpt-4o"),
            upstream_model: None,
            stream: true,
            tokens: Some((1, 2, 3)),
            error_code: None,
            error: Some("bad \"thing\"\n"),
            client_disconnected: false,
        };
        let mut out = String::new();
        line.write_json(&mut out);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["request_id"], "id\"1");
        assert_eq!(value["total_tokens"], 3);
        assert_eq!(value["level"], "INFO");
        assert_eq!(value["error"], "bad \"thing\"\n");
        assert!(value["timestamp"].as_str().unwrap().ends_with('Z'));
        let mut text = String::new();
        line.write_text(&mut text);
        assert!(
            text.contains("status=200") && text.contains("total_tokens=3"),
            "{text}"
        );
    }
}
