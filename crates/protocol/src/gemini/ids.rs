//! Tool-call ids. Gemini's function calls usually carry no id, while OpenAI clients need one
//! to answer each call. The gateway makes one up from the response id and the call's
//! position, so a stream and a non-stream answer use the same scheme, and ids are unique
//! across the turns of a conversation. A made-up id is never sent back to Gemini; an id
//! Gemini issued is sent back as it came.

const PREFIX: &str = "call_";
const HEX_LEN: usize = 24;

/// The id for call `index` of the answer with id `seed`.
pub fn synthesize(seed: &str, index: usize) -> String {
    let hash = fnv1a(seed.as_bytes());
    format!("{PREFIX}{hash:016x}{:08x}", index as u32)
}

/// The id to send Gemini for a client-side tool-call id: `None` for ids the gateway made up.
pub fn upstream_id(id: &str) -> Option<String> {
    (!is_synthesized(id) && !id.is_empty()).then(|| id.to_owned())
}

fn is_synthesized(id: &str) -> bool {
    id.strip_prefix(PREFIX)
        .is_some_and(|hex| hex.len() == HEX_LEN && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthesized_ids_are_stable_distinct_and_never_sent_upstream() {
        let a = synthesize("resp-1", 0);
        assert_eq!(a, synthesize("resp-1", 0));
        assert_ne!(a, synthesize("resp-1", 1));
        assert_ne!(a, synthesize("resp-2", 0));
        assert_eq!(upstream_id(&a), None);
        assert_eq!(upstream_id("fc-123"), Some("fc-123".to_owned()));
        assert_eq!(upstream_id("call_abc"), Some("call_abc".to_owned()));
    }
}
