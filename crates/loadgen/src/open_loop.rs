//! Open loop at a fixed total rate, corrected for coordinated omission.
//!
//! Each of the N connections gets its own schedule: request k of connection i is intended to
//! start at `t0 + (i/N + k) * N/R`, so together they offer R requests/s evenly interleaved. A
//! connection sends request k at max(intended time, previous completion) and never skips one.
//!
//! Corrected latency: a server stall must count against every request it delayed, not just the
//! one that saw it (coordinated omission; wrk2 / oha `--latency-correction` record
//! completion − intended start). Taken literally on a real clock, that rule also charges the
//! generator's own lateness to the server: tokio's timer fires up to 1 ms late, which at
//! sub-millisecond intervals makes a connection "behind" after every wake-up and puts a floor
//! of ~0.5 ms under loopback percentiles. So the clock used for correction is the schedule's,
//! not the wall's: each request is taken to start at max(intended, previous request's corrected
//! completion) and to take as long as it actually took (connection set-up included), i.e.
//!
//! ```text
//! done(k) = max(intended(k), done(k-1)) + service(k);  latency(k) = done(k) - intended(k)
//! ```
//!
//! This is the queueing (Lindley) recursion: a stall of S delays every later request that would
//! have queued behind it, exactly as in the literal rule, but generator-side slack adds nothing.
//! It is never below the request's own service time and never above the literal value. The
//! uncorrected latency (send start to body end) is recorded separately in any case.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Plan;
use crate::client::Client;
use crate::stats::Recorder;
use crate::stream::SseScanner;

/// The schedule arithmetic of one connection, kept pure so it can be tested.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// This connection's index, `0..connections`.
    pub connection: usize,
    pub connections: usize,
    /// Total requests per second over all connections.
    pub rate: f64,
}

impl Schedule {
    /// Offset from t0 of request `k`: `(i + k*N) / R` seconds, the same as `(i/N + k) * N/R`.
    pub fn offset(&self, k: u64) -> Duration {
        Duration::from_secs_f64(self.slot(k) / self.rate)
    }

    /// `i + k*N`: the request's position in the global interleaved sequence.
    fn slot(&self, k: u64) -> f64 {
        self.connection as f64 + k as f64 * self.connections as f64
    }

    /// How many of this connection's requests are intended strictly before `offset` from t0:
    /// the number of k >= 0 with `(i + k*N) / R < offset`, i.e. `ceil((offset*R - i) / N)`.
    pub fn count_before(&self, offset: Duration) -> u64 {
        let slots = offset.as_secs_f64() * self.rate - self.connection as f64;
        if slots <= 0.0 {
            return 0;
        }
        // Saturating float-to-int conversion; far beyond any real run length.
        (slots / self.connections as f64).ceil() as u64
    }
}

/// One step of the correction recursion (see the module docs): request intended at `intended`,
/// the previous one finishing at `previous` on the schedule clock, taking `service` itself.
pub fn corrected_completion(intended: Instant, previous: Instant, service: Duration) -> Instant {
    intended.max(previous) + service
}

/// Drives one connection through its schedule: warmup requests (intended before the measured
/// period) run unrecorded; the run stops at the end of the measured period even when behind,
/// and the requests it had no time to send are counted as unsent.
pub async fn run_connection(
    mut client: Client,
    plan: Arc<Plan>,
    mut recorder: Recorder,
    schedule: Schedule,
) -> Recorder {
    // Integer request indices, not clock comparisons, decide which requests are measured and
    // where the schedule ends, so the counts add up exactly.
    let first_measured = schedule.count_before(plan.measure_start - plan.t0);
    let end = schedule.count_before(plan.measure_end - plan.t0);
    let mut sse = plan.stream.then(SseScanner::new);
    // done(k-1) of the recursion in the module docs: the schedule-clock completion.
    let mut corrected_done = plan.t0;
    let mut k = 0;
    while k < end {
        if Instant::now() >= plan.measure_end {
            // Behind at the end: stop rather than drain a backlog for an unbounded time.
            break;
        }
        let intended = plan.t0 + schedule.offset(k);
        client.idle_until(intended).await;
        if let Some(scanner) = sse.as_mut() {
            scanner.reset();
        }
        let attempt_start = Instant::now();
        let result = client.exchange(sse.as_mut()).await;
        corrected_done = corrected_completion(intended, corrected_done, attempt_start.elapsed());
        if k >= first_measured {
            let corrected = corrected_done.saturating_duration_since(intended);
            recorder.record(&result, sse.as_ref(), Some(corrected));
        }
        k += 1;
    }
    recorder.unsent += end.saturating_sub(k.max(first_measured));
    recorder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_connection_is_evenly_spaced() {
        let schedule = Schedule {
            connection: 0,
            connections: 1,
            rate: 10.0,
        };
        assert_eq!(schedule.offset(0), Duration::ZERO);
        assert_eq!(schedule.offset(1), Duration::from_millis(100));
        assert_eq!(schedule.offset(25), Duration::from_millis(2500));
    }

    #[test]
    fn connections_interleave() {
        // 4 connections at 1000/s: each sends every 4 ms, offset by 1 ms from its neighbour, so
        // together they send one request per millisecond.
        let mut offsets: Vec<Duration> = (0..4)
            .flat_map(|connection| {
                let schedule = Schedule {
                    connection,
                    connections: 4,
                    rate: 1000.0,
                };
                (0..5).map(move |k| schedule.offset(k))
            })
            .collect();
        offsets.sort();
        let expected: Vec<Duration> = (0..20).map(Duration::from_millis).collect();
        assert_eq!(offsets, expected);
        let second = Schedule {
            connection: 1,
            connections: 4,
            rate: 1000.0,
        };
        assert_eq!(second.offset(0), Duration::from_millis(1));
        assert_eq!(second.offset(1), Duration::from_millis(5));
    }

    #[test]
    fn count_before_matches_offsets() {
        for connections in [1, 3, 16] {
            for connection in 0..connections {
                let schedule = Schedule {
                    connection,
                    connections,
                    rate: 700.0,
                };
                for millis in [0, 1, 5, 37, 1000, 2500] {
                    let limit = Duration::from_millis(millis);
                    let brute = (0..10_000).filter(|&k| schedule.offset(k) < limit).count() as u64;
                    assert_eq!(
                        schedule.count_before(limit),
                        brute,
                        "{connection}/{connections} {millis}ms"
                    );
                }
            }
        }
    }

    #[test]
    fn a_stall_counts_against_every_request_it_delays() {
        // One connection every 10 ms; request 1 stalls for 50 ms, the rest take 1 ms.
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut done = t0;
        let mut latencies = Vec::new();
        for (k, service) in [1, 50, 1, 1, 1, 1, 1, 1].into_iter().enumerate() {
            let intended = t0 + ms(10 * k as u64);
            done = corrected_completion(intended, done, ms(service));
            latencies.push(done - intended);
        }
        // The requests queued behind the stall wait out its remainder, 9 ms less each time.
        let expected: Vec<Duration> = [1, 50, 41, 32, 23, 14, 5, 1].into_iter().map(ms).collect();
        assert_eq!(latencies, expected);
    }

    #[test]
    fn on_time_requests_are_charged_their_service_time_only() {
        // Whenever the connection actually went out late (timer slack), the schedule clock
        // still starts the request at its intended time.
        let t0 = Instant::now();
        let previous = t0 + Duration::from_micros(300);
        let intended = t0 + Duration::from_millis(1);
        let done = corrected_completion(intended, previous, Duration::from_micros(200));
        assert_eq!(done - intended, Duration::from_micros(200));
    }

    #[test]
    fn counts_sum_to_rate_times_duration() {
        let total: u64 = (0..7)
            .map(|connection| Schedule {
                connection,
                connections: 7,
                rate: 250.0,
            })
            .map(|schedule| schedule.count_before(Duration::from_secs(2)))
            .sum();
        assert_eq!(total, 500);
    }
}
