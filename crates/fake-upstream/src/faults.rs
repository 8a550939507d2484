//! Scripted faults, chosen by the request's `model`.
//!
//! The gateway forwards the model name to the provider untouched, so a test scripts a fault just
//! by asking for a model such as `fake-error-429`, with no side channel into the fake.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    /// `fake-error-<status>`: that status with the provider's error body (400..=599 only).
    Error(u16),
    /// `fake-openrouter-error`: 502 with OpenRouter's error wrapper.
    OpenRouterError,
    /// `fake-slow-<ms>`: wait, then answer normally.
    Slow(Duration),
    /// `fake-garbage`: 200 with a body that is not JSON.
    Garbage,
    /// `fake-drop-<n>`: n stream events, then the connection is aborted.
    Drop(usize),
    /// `fake-stall`: the first stream event, then nothing.
    Stall,
    /// `fake-error-event`: a stream that carries an error event mid-way.
    ErrorEvent,
}

impl Fault {
    pub(crate) fn from_model(model: &str) -> Self {
        let Some(name) = model.strip_prefix("fake-") else {
            return Self::None;
        };
        match name {
            "openrouter-error" => return Self::OpenRouterError,
            "garbage" => return Self::Garbage,
            "stall" => return Self::Stall,
            "error-event" => return Self::ErrorEvent,
            _ => {}
        }
        if let Some(status) = name.strip_prefix("error-").and_then(|s| s.parse().ok()) {
            if (400..=599).contains(&status) {
                return Self::Error(status);
            }
        } else if let Some(ms) = name.strip_prefix("slow-").and_then(|s| s.parse().ok()) {
            return Self::Slow(Duration::from_millis(ms));
        } else if let Some(n) = name.strip_prefix("drop-").and_then(|s| s.parse().ok()) {
            return Self::Drop(n);
        }
        Self::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_fault_name() {
        let cases = [
            ("gpt-4o-mini", Fault::None),
            ("fake-error-429", Fault::Error(429)),
            ("fake-error-200", Fault::None),
            ("fake-error-x", Fault::None),
            ("fake-openrouter-error", Fault::OpenRouterError),
            ("fake-slow-250", Fault::Slow(Duration::from_millis(250))),
            ("fake-garbage", Fault::Garbage),
            ("fake-drop-3", Fault::Drop(3)),
            ("fake-stall", Fault::Stall),
            ("fake-error-event", Fault::ErrorEvent),
        ];
        for (model, fault) in cases {
            assert_eq!(Fault::from_model(model), fault, "{model}");
        }
    }
}
