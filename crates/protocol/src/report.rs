//! `TranslationReport`: what a translation could not carry across dialects.
//!
//! Nothing is dropped silently. In strict mode a parameter the target cannot express fails the
//! request with a 400 naming it; in lenient mode the request goes through and the gateway lists
//! what was dropped or clamped in the `X-GoModel-Dropped-Params` and
//! `X-GoModel-Clamped-Params` response headers (docs/translation.md).

/// How to treat parameters the target dialect cannot express.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Strictness {
    /// Fail with a 400 that names the parameter.
    Strict,
    /// Drop it and report it in a response header.
    #[default]
    Lenient,
}

/// Why a request cannot be translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TranslationError {
    /// The offending parameter (`param` of the OpenAI error envelope).
    pub param: Option<String>,
    pub message: String,
}

impl TranslationError {
    pub fn new(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            param: Some(param.into()),
            message: message.into(),
        }
    }
}

/// What one translation dropped or changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TranslationReport {
    pub strictness: Strictness,
    pub dropped: Vec<String>,
    pub clamped: Vec<String>,
}

impl TranslationReport {
    pub fn new(strictness: Strictness) -> Self {
        Self {
            strictness,
            ..Self::default()
        }
    }

    /// `param` cannot be expressed for `target`: an error in strict mode, noted otherwise.
    pub fn drop(&mut self, param: &str, target: &str) -> Result<(), TranslationError> {
        if self.strictness == Strictness::Strict {
            return Err(TranslationError::new(
                param,
                format!(
                    "'{param}' cannot be expressed for {target}; remove it, or run the gateway with TRANSLATION_MODE=lenient to drop it"
                ),
            ));
        }
        if !self.dropped.iter().any(|d| d == param) {
            self.dropped.push(param.to_owned());
        }
        Ok(())
    }

    /// `param` was changed to fit the target (always allowed; reported).
    pub fn clamp(&mut self, param: &str, note: &str) {
        self.clamped.push(format!("{param} ({note})"));
    }

    pub fn is_empty(&self) -> bool {
        self.dropped.is_empty() && self.clamped.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_fails_and_lenient_records() {
        let mut strict = TranslationReport::new(Strictness::Strict);
        let err = strict.drop("logprobs", "Anthropic").unwrap_err();
        assert_eq!(err.param.as_deref(), Some("logprobs"));
        let mut lenient = TranslationReport::new(Strictness::Lenient);
        lenient.drop("logprobs", "Anthropic").unwrap();
        lenient.drop("logprobs", "Anthropic").unwrap();
        lenient.clamp("max_tokens", "raised to 21024 for the thinking budget");
        assert_eq!(lenient.dropped, ["logprobs"]);
        assert_eq!(lenient.clamped.len(), 1);
    }
}
