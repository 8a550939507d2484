//! Per-connection measurements: HDR histograms and error counters. Each connection task owns
//! its own [`Recorder`] (no locking or shared cache lines on the hot path); they are merged once
//! at the end.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::anyhow;
use hdrhistogram::Histogram;

use crate::client::{Exchange, Failure};
use crate::stream::SseScanner;

/// Histogram range: 1 µs resolution up to 60 s, 3 significant digits (0.1% value error).
const LOWEST_US: u64 = 1;
const HIGHEST_US: u64 = 60_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

/// Events per successful stream.
#[derive(Debug, Clone, Default)]
pub struct EventCounts {
    pub streams: u64,
    pub sum: u64,
    pub min: u64,
    pub max: u64,
}

impl EventCounts {
    fn add(&mut self, events: u64) {
        self.min = if self.streams == 0 {
            events
        } else {
            self.min.min(events)
        };
        self.max = self.max.max(events);
        self.sum += events;
        self.streams += 1;
    }

    fn merge(&mut self, other: &Self) {
        if other.streams == 0 {
            return;
        }
        self.min = if self.streams == 0 {
            other.min
        } else {
            self.min.min(other.min)
        };
        self.max = self.max.max(other.max);
        self.sum += other.sum;
        self.streams += other.streams;
    }
}

/// What one connection (or, merged, the whole run) measured.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// Successful requests only. Open loop: coordinated-omission corrected.
    pub latency: Histogram<u64>,
    /// Open loop only: send start to body end, whatever the schedule said.
    pub uncorrected: Option<Histogram<u64>>,
    /// Stream mode only: send start to first body data.
    pub ttfb: Option<Histogram<u64>>,
    /// Stream mode only.
    pub events: Option<EventCounts>,
    /// Measured requests that got an answer or failed (all outcomes).
    pub requests: u64,
    pub ok: u64,
    /// Non-2xx responses by status code.
    pub status: BTreeMap<u16, u64>,
    pub transport: u64,
    pub timeout: u64,
    pub incomplete_stream: u64,
    /// Open loop only: measured-period requests never sent because the run ended while behind.
    pub unsent: u64,
    /// Response body bytes, of every response.
    pub bytes: u64,
}

impl Recorder {
    /// An empty recorder; the optional histograms exist only in the modes that report them.
    pub fn new(open_loop: bool, stream: bool) -> anyhow::Result<Self> {
        let histogram = || {
            Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
                .map_err(|error| anyhow!("creating histogram: {error:?}"))
        };
        Ok(Self {
            latency: histogram()?,
            uncorrected: if open_loop { Some(histogram()?) } else { None },
            ttfb: if stream { Some(histogram()?) } else { None },
            events: stream.then(EventCounts::default),
            requests: 0,
            ok: 0,
            status: BTreeMap::new(),
            transport: 0,
            timeout: 0,
            incomplete_stream: 0,
            unsent: 0,
            bytes: 0,
        })
    }

    /// Records one measured request. `corrected` is the open loop's coordinated-omission corrected
    /// latency (see `open_loop`); without it latency runs from send start to body end. Errors
    /// never enter the latency histograms.
    pub fn record(
        &mut self,
        result: &Result<Exchange, Failure>,
        sse: Option<&SseScanner>,
        corrected: Option<Duration>,
    ) {
        self.requests += 1;
        let exchange = match result {
            Ok(exchange) => exchange,
            Err(Failure::Timeout) => {
                self.timeout += 1;
                return;
            }
            Err(Failure::Connect(_) | Failure::Transport(_)) => {
                self.transport += 1;
                return;
            }
        };
        self.bytes += exchange.bytes;
        if !exchange.status.is_success() {
            *self.status.entry(exchange.status.as_u16()).or_insert(0) += 1;
            return;
        }
        if let Some(events) = self.events.as_mut() {
            match sse {
                Some(scanner) if scanner.ended_with_done() => events.add(scanner.events()),
                _ => {
                    self.incomplete_stream += 1;
                    return;
                }
            }
        }
        self.ok += 1;
        let service = exchange.end.saturating_duration_since(exchange.start);
        self.latency
            .saturating_record(micros(corrected.unwrap_or(service)));
        if let Some(histogram) = self.uncorrected.as_mut() {
            histogram.saturating_record(micros(service));
        }
        if let Some(histogram) = self.ttfb.as_mut() {
            let first = exchange.first_data.unwrap_or(exchange.end);
            histogram.saturating_record(micros(first.saturating_duration_since(exchange.start)));
        }
    }

    /// Adds another connection's measurements to this one.
    pub fn merge(&mut self, other: &Self) -> anyhow::Result<()> {
        add_histogram(&mut self.latency, &other.latency)?;
        if let (Some(mine), Some(theirs)) = (self.uncorrected.as_mut(), other.uncorrected.as_ref())
        {
            add_histogram(mine, theirs)?;
        }
        if let (Some(mine), Some(theirs)) = (self.ttfb.as_mut(), other.ttfb.as_ref()) {
            add_histogram(mine, theirs)?;
        }
        if let (Some(mine), Some(theirs)) = (self.events.as_mut(), other.events.as_ref()) {
            mine.merge(theirs);
        }
        self.requests += other.requests;
        self.ok += other.ok;
        for (code, count) in &other.status {
            *self.status.entry(*code).or_insert(0) += count;
        }
        self.transport += other.transport;
        self.timeout += other.timeout;
        self.incomplete_stream += other.incomplete_stream;
        self.unsent += other.unsent;
        self.bytes += other.bytes;
        Ok(())
    }

    /// All failed requests.
    pub fn errors(&self) -> u64 {
        self.status.values().sum::<u64>() + self.transport + self.timeout + self.incomplete_stream
    }
}

fn add_histogram(into: &mut Histogram<u64>, from: &Histogram<u64>) -> anyhow::Result<()> {
    into.add(from)
        .map_err(|error| anyhow!("merging histograms: {error:?}"))
}

/// Whole microseconds; anything beyond the histogram's range is clamped by `saturating_record`.
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use std::time::Instant;

    fn exchange(status: u16, micros: u64) -> Exchange {
        let start = Instant::now();
        Exchange {
            start,
            first_data: Some(start + Duration::from_micros(micros / 2)),
            end: start + Duration::from_micros(micros),
            status: StatusCode::from_u16(status).unwrap(),
            bytes: 10,
        }
    }

    #[test]
    fn counts_outcomes_separately() {
        let mut recorder = Recorder::new(false, false).unwrap();
        recorder.record(&Ok(exchange(200, 100)), None, None);
        recorder.record(&Ok(exchange(500, 100)), None, None);
        recorder.record(&Ok(exchange(429, 100)), None, None);
        recorder.record(&Err(Failure::Timeout), None, None);
        recorder.record(&Err(Failure::Transport("reset".into())), None, None);
        recorder.record(&Err(Failure::Connect("refused".into())), None, None);
        assert_eq!(recorder.requests, 6);
        assert_eq!(recorder.ok, 1);
        assert_eq!(recorder.status, BTreeMap::from([(429, 1), (500, 1)]));
        assert_eq!(recorder.timeout, 1);
        assert_eq!(recorder.transport, 2);
        assert_eq!(recorder.errors(), 5);
        assert_eq!(
            recorder.latency.len(),
            1,
            "errors stay out of the histogram"
        );
        assert_eq!(recorder.bytes, 30);
    }

    #[test]
    fn corrected_latency_goes_to_the_main_histogram() {
        let mut recorder = Recorder::new(true, false).unwrap();
        let done = exchange(200, 1_000);
        recorder.record(&Ok(done), None, Some(Duration::from_micros(10_000)));
        let uncorrected = recorder.uncorrected.as_ref().unwrap();
        assert!(recorder.latency.equivalent(recorder.latency.max(), 10_000));
        assert!(uncorrected.equivalent(uncorrected.max(), 1_000));
    }

    #[test]
    fn streams_need_done_and_merge_sums() {
        let mut a = Recorder::new(false, true).unwrap();
        let mut done = SseScanner::new();
        done.feed(b"data: 1\n\ndata: [DONE]\n\n");
        let mut cut = SseScanner::new();
        cut.feed(b"data: 1\n\n");
        a.record(&Ok(exchange(200, 100)), Some(&done), None);
        a.record(&Ok(exchange(200, 100)), Some(&cut), None);
        assert_eq!((a.ok, a.incomplete_stream), (1, 1));

        let mut b = Recorder::new(false, true).unwrap();
        let mut longer = SseScanner::new();
        longer.feed(b"data: 1\n\ndata: 2\n\ndata: 3\n\ndata: [DONE]\n\n");
        b.record(&Ok(exchange(200, 100)), Some(&longer), None);
        a.merge(&b).unwrap();
        let events = a.events.as_ref().unwrap();
        assert_eq!(
            (events.streams, events.min, events.max, events.sum),
            (2, 2, 4, 6)
        );
        assert_eq!(a.ttfb.as_ref().unwrap().len(), 2);
        assert_eq!(a.requests, 3);
    }
}
