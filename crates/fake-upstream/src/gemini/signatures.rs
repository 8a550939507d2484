//! Thought signatures: opaque base64 the model attaches to a part when thinking is on, which a
//! client must send back unchanged on the next turn
//! (https://ai.google.dev/gemini-api/docs/thought-signatures).
//!
//! The fake remembers every signature it issued, so a client that edits, invents or swaps one
//! gets the 400 the real API gives for a signature it cannot decrypt.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::base64;

/// The documented value that turns the Gemini 3 signature check off for a call.
pub(super) const SKIP_VALIDATOR: &str = "skip_thought_signature_validator";

#[derive(Default)]
pub(crate) struct Signatures {
    issued: Mutex<HashSet<String>>,
}

impl Signatures {
    /// A fresh signature: base64 of a marker and two random words, so it looks like Google's.
    pub(super) fn issue(&self, random: [u64; 2]) -> String {
        let mut bytes = b"\x12\x20fake-thought-signature".to_vec();
        bytes.extend_from_slice(&random[0].to_be_bytes());
        bytes.extend_from_slice(&random[1].to_be_bytes());
        let signature = base64::encode(&bytes);
        self.lock().insert(signature.clone());
        signature
    }

    /// Whether a client may send `signature` back: one this fake issued, or the skip value.
    pub(super) fn accepts(&self, signature: &str) -> bool {
        signature == SKIP_VALIDATOR || self.lock().contains(signature)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.issued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_issued_signatures_and_the_skip_value_are_accepted() {
        let signatures = Signatures::default();
        let issued = signatures.issue([1, 2]);
        assert_ne!(issued, signatures.issue([1, 3]));
        assert!(signatures.accepts(&issued));
        assert!(signatures.accepts(SKIP_VALIDATOR));
        assert!(!signatures.accepts("Zm9v"));
    }
}
