//! The JSON report printed at the end of a run: one object, fixed keys, `null` for what the
//! mode does not measure, so scripts can read every run the same way.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::args::Config;
use crate::stats::{EventCounts, Recorder};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `closed`, `open` or `stream` (stream mode runs closed or, with a rate, open loop).
    pub mode: &'static str,
    pub url: String,
    pub concurrency: usize,
    pub threads: usize,
    /// From the start of the measured period until the last connection finished.
    pub duration_s: f64,
    /// Measured requests, whatever their outcome.
    pub requests: u64,
    pub ok: u64,
    pub errors: Errors,
    /// `requests / duration_s`: the achieved rate.
    pub rps: f64,
    pub target_rate: Option<f64>,
    /// Open loop only: measured-period requests never sent because the run ended while behind.
    pub unsent: Option<u64>,
    /// Successful requests; open loop: coordinated-omission corrected. `null` without any.
    pub latency_us: Option<Summary>,
    /// Open loop only: send start to body end.
    pub latency_uncorrected_us: Option<Summary>,
    /// Stream mode only: send start to first body data.
    pub ttfb_us: Option<Summary>,
    /// Stream mode only, over successful streams.
    pub events_per_stream: Option<EventSummary>,
    /// Response body bytes of all measured responses.
    pub bytes_received: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Errors {
    pub total: u64,
    /// Non-2xx responses, by status code.
    pub status: BTreeMap<u16, u64>,
    pub transport: u64,
    pub timeout: u64,
    pub incomplete_stream: u64,
}

/// Percentiles in whole microseconds (HDR: within 0.1%), mean to 0.1 µs.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub mean: f64,
    pub min: u64,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct EventSummary {
    pub min: u64,
    pub mean: f64,
    pub max: u64,
}

/// Builds the report from the merged measurements.
pub fn build(config: &Config, total: &Recorder, elapsed: Duration) -> Report {
    let mode = if config.stream {
        "stream"
    } else if config.rate.is_some() {
        "open"
    } else {
        "closed"
    };
    let seconds = elapsed.as_secs_f64();
    let rps = if seconds > 0.0 {
        total.requests as f64 / seconds
    } else {
        0.0
    };
    Report {
        mode,
        url: config.url.to_string(),
        concurrency: config.concurrency,
        threads: config.threads,
        duration_s: round(seconds, 1000.0),
        requests: total.requests,
        ok: total.ok,
        errors: Errors {
            total: total.errors(),
            status: total.status.clone(),
            transport: total.transport,
            timeout: total.timeout,
            incomplete_stream: total.incomplete_stream,
        },
        rps: round(rps, 10.0),
        target_rate: config.rate,
        unsent: config.rate.map(|_| total.unsent),
        latency_us: summarize(&total.latency),
        latency_uncorrected_us: total.uncorrected.as_ref().and_then(summarize),
        ttfb_us: total.ttfb.as_ref().and_then(summarize),
        events_per_stream: total.events.as_ref().and_then(event_summary),
        bytes_received: total.bytes,
    }
}

fn summarize(histogram: &Histogram<u64>) -> Option<Summary> {
    if histogram.is_empty() {
        return None;
    }
    Some(Summary {
        p50: histogram.value_at_quantile(0.50),
        p90: histogram.value_at_quantile(0.90),
        p99: histogram.value_at_quantile(0.99),
        p999: histogram.value_at_quantile(0.999),
        max: histogram.max(),
        mean: round(histogram.mean(), 10.0),
        min: histogram.min(),
    })
}

fn event_summary(events: &EventCounts) -> Option<EventSummary> {
    (events.streams > 0).then(|| EventSummary {
        min: events.min,
        mean: round(events.sum as f64 / events.streams as f64, 100.0),
        max: events.max,
    })
}

/// Rounds to `1/scale`: the JSON stays readable and no digit claims false precision.
fn round(value: f64, scale: f64) -> f64 {
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Parsed, parse_args};

    fn config(args: &[&str]) -> Config {
        match parse_args(args.iter().map(|s| (*s).to_owned())).unwrap() {
            Parsed::Run(config) => *config,
            Parsed::Help => panic!("help"),
        }
    }

    #[test]
    fn closed_loop_schema() {
        let config = config(&["--url", "http://127.0.0.1:1/x", "-c", "4"]);
        let mut recorder = Recorder::new(false, false).unwrap();
        for micros in 1..=1000 {
            recorder.latency.record(micros).unwrap();
        }
        recorder.requests = 1002;
        recorder.ok = 1000;
        recorder.status.insert(503, 2);
        let report = build(&config, &recorder, Duration::from_millis(2000));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["mode"], "closed");
        assert_eq!(json["url"], "http://127.0.0.1:1/x");
        assert_eq!(json["concurrency"], 4);
        assert_eq!(json["duration_s"], 2.0);
        assert_eq!(json["rps"], 501.0);
        assert_eq!(json["errors"]["total"], 2);
        assert_eq!(json["errors"]["status"]["503"], 2);
        assert_eq!(json["latency_us"]["p50"], 500);
        assert_eq!(json["latency_us"]["p99"], 990);
        assert_eq!(json["latency_us"]["min"], 1);
        assert_eq!(json["latency_us"]["max"], 1000);
        assert_eq!(json["latency_us"]["mean"], 500.5);
        for key in [
            "target_rate",
            "unsent",
            "latency_uncorrected_us",
            "ttfb_us",
            "events_per_stream",
        ] {
            assert!(json[key].is_null(), "{key} should be null");
        }
    }

    #[test]
    fn open_stream_schema() {
        let config = config(&["--url", "http://h/", "--rate", "100", "--stream"]);
        let recorder = Recorder::new(true, true).unwrap();
        let json = serde_json::to_value(build(&config, &recorder, Duration::from_secs(1))).unwrap();
        assert_eq!(json["mode"], "stream");
        assert_eq!(json["target_rate"], 100.0);
        assert_eq!(json["unsent"], 0);
        // Nothing succeeded: no percentiles to claim.
        assert!(json["latency_us"].is_null());
        assert!(json["events_per_stream"].is_null());
    }
}
