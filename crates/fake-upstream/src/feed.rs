//! The body of an event stream: events paced by `chunk_delay`, then an ending, and a count of
//! streams the client abandoned.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;

use crate::app::App;

/// How a stream ends after its last event.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The body ends cleanly.
    Done,
    /// The body fails, so hyper resets the connection mid-response (`fake-drop-<n>`).
    Abort,
    /// The body never ends (`fake-stall`); only the client leaving stops it.
    Stall,
}

pub(crate) struct Feed {
    events: std::vec::IntoIter<Bytes>,
    delay: Duration,
    sent: usize,
    ending: Ending,
    guard: CancelGuard,
}

impl Feed {
    pub(crate) fn new(app: Arc<App>, events: Vec<Bytes>, delay: Duration, ending: Ending) -> Self {
        Self {
            events: events.into_iter(),
            delay,
            sent: 0,
            ending,
            guard: CancelGuard {
                app,
                finished: false,
            },
        }
    }

    pub(crate) fn into_body(self) -> Body {
        Body::from_stream(futures_util::stream::unfold(self, Self::next))
    }

    async fn next(mut self) -> Option<(Result<Bytes, std::io::Error>, Self)> {
        if let Some(event) = self.events.next() {
            if self.sent > 0 && !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            self.sent += 1;
            // Once the last event of a clean stream is handed to hyper the stream is complete,
            // even if the client closes before hyper polls for the end.
            if self.events.len() == 0 && self.ending == Ending::Done {
                self.guard.finished = true;
            }
            return Some((Ok(event), self));
        }
        match self.ending {
            Ending::Done => {
                self.guard.finished = true;
                None
            }
            Ending::Abort => {
                // A body error makes hyper drop its unsent write buffer, so first return Pending
                // once: hyper flushes the events already handed over, then polls us again.
                tokio::task::yield_now().await;
                // The fake ended this one on purpose; it is not a client cancellation.
                self.guard.finished = true;
                self.ending = Ending::Done;
                let error = std::io::Error::other("fake-drop: connection aborted on purpose");
                Some((Err(error), self))
            }
            Ending::Stall => std::future::pending().await,
        }
    }
}

/// Counts a cancelled stream when hyper drops the body before it finished, which is what
/// happens when the client goes away.
struct CancelGuard {
    app: Arc<App>,
    finished: bool,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.app.traffic.stream_cancelled();
        }
    }
}
