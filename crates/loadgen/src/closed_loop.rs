//! Closed loop: each connection sends its next request as soon as the previous response body
//! has completed, so the offered load is whatever the server sustains at this concurrency.
//! Latency runs from send start to body end.

use std::sync::Arc;
use std::time::Instant;

use crate::Plan;
use crate::client::Client;
use crate::stats::Recorder;
use crate::stream::SseScanner;

/// Drives one connection until the measured period ends or the request budget is spent.
pub async fn run_connection(
    mut client: Client,
    plan: Arc<Plan>,
    mut recorder: Recorder,
) -> Recorder {
    let mut sse = plan.stream.then(SseScanner::new);
    loop {
        let now = Instant::now();
        // Warmup requests run exactly like measured ones but are not recorded or counted.
        let measured = now >= plan.measure_start;
        if measured {
            let more = match &plan.limit {
                // --requests: a shared counter hands out exactly N request slots.
                Some(limit) => limit.claim(),
                None => now < plan.measure_end,
            };
            if !more {
                break;
            }
        }
        if let Some(scanner) = sse.as_mut() {
            scanner.reset();
        }
        let result = client.exchange(sse.as_mut()).await;
        if measured {
            recorder.record(&result, sse.as_ref(), None);
        }
    }
    recorder
}
