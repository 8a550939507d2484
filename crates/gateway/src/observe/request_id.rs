//! Request ids: UUIDv4 strings from a per-thread generator.
//!
//! `Uuid::new_v4` asks the OS for randomness on every call (a `getrandom` syscall, about 1% of
//! gateway CPU under load). Request ids only need to be unique, not unpredictable, so each
//! thread seeds a xorshift generator once from the OS and draws from it.

use std::cell::Cell;

thread_local! {
    static STATE: Cell<(u64, u64)> = Cell::new(seed());
}

fn seed() -> (u64, u64) {
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    let (a, b) = bytes.split_at(8);
    let a = u64::from_le_bytes(a.try_into().unwrap_or([1; 8])) | 1;
    let b = u64::from_le_bytes(b.try_into().unwrap_or([2; 8])) | 1;
    (a, b)
}

/// xorshift128+.
fn next_u64() -> u64 {
    STATE.with(|state| {
        let (mut s1, s0) = state.get();
        let result = s0.wrapping_add(s1);
        s1 ^= s1 << 23;
        let s1 = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        state.set((s0, s1));
        result
    })
}

/// A new random (version 4) UUID, hyphenated lowercase.
pub fn generate() -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&next_u64().to_le_bytes());
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// A row id that sorts by time: 16 hex digits of the microsecond timestamp, then 16 random.
/// Time-ordered keys append at the end of the primary-key index instead of landing at random
/// pages (random UUIDs made every usage insert touch a different page).
pub fn time_ordered(ts_us: i64) -> String {
    // Hand-formatted into a buffer: `format!` cost ~1,000 instructions per usage row, pushing
    // 32 chars one by one ~370.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 32];
    for (half, value) in [ts_us.max(0).unsigned_abs(), next_u64()]
        .into_iter()
        .enumerate()
    {
        for (i, digit) in digits[half * 16..][..16].iter_mut().enumerate() {
            *digit = HEX[((value >> ((15 - i) * 4)) & 0xf) as usize];
        }
    }
    std::str::from_utf8(&digits).map_or_else(|_| String::new(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ordered_ids_are_hex_timestamp_then_random() {
        let id = time_ordered(0x1234_5678_9abc);
        assert_eq!(id.len(), 32);
        assert!(id.starts_with("0000123456789abc"), "{id}");
        assert!(time_ordered(1) < time_ordered(2));
        assert!(
            id.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }

    #[test]
    fn ids_are_v4_uuids_and_distinct() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| generate()).collect();
        assert_eq!(ids.len(), 1000);
        let id = uuid::Uuid::parse_str(ids.iter().next().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 4);
    }
}
