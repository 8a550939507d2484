//! FNV-1a for the model index: keys are short model ids and the table is built from provider
//! model lists (not from requests), so a fast non-keyed hash is safe here; SipHash showed up at
//! ~3% of a request's instructions (callgrind).

use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default)]
pub struct Fnv1a(u64);

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

pub type FastHashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<Fnv1a>>;
