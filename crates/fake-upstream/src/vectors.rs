//! Deterministic embedding vectors, written as JSON floats or base64 little-endian f32.
//!
//! Values are whole thousandths in [-0.999, 0.999], so their decimal text is short and parses
//! back to exactly the f32 that the base64 form carries. They differ per input index, so tests
//! can tell the embeddings of a batch apart.

use crate::base64;

/// The thousandths of element `j` of the vector for input `index`; never zero.
fn millis(index: usize, j: usize) -> i32 {
    let mixed = (j as u64)
        .wrapping_mul(7919)
        .wrapping_add((index as u64).wrapping_mul(104_729))
        .wrapping_add(17);
    match (mixed % 1999) as i32 - 999 {
        0 => 1,
        m => m,
    }
}

pub(crate) fn value(index: usize, j: usize) -> f32 {
    millis(index, j) as f32 / 1000.0
}

/// Appends the vector as a JSON array of numbers.
pub(crate) fn push_floats(out: &mut Vec<u8>, index: usize, dim: usize) {
    out.reserve(dim * 7 + 2);
    out.push(b'[');
    for j in 0..dim {
        if j > 0 {
            out.push(b',');
        }
        push_millis(out, millis(index, j));
    }
    out.push(b']');
}

/// Appends the vector as a JSON string of base64 little-endian f32, as OpenAI sends it.
pub(crate) fn push_base64(out: &mut Vec<u8>, index: usize, dim: usize) {
    let raw: Vec<u8> = (0..dim)
        .flat_map(|j| value(index, j).to_le_bytes())
        .collect();
    out.push(b'"');
    base64::encode_into(out, &raw);
    out.push(b'"');
}

/// Writes m/1000 as decimal text without trailing zeros, e.g. -5 as `-0.005`, 120 as `0.12`.
fn push_millis(out: &mut Vec<u8>, m: i32) {
    if m < 0 {
        out.push(b'-');
    }
    let m = m.unsigned_abs();
    out.extend_from_slice(b"0.");
    let digits = [m / 100, m / 10 % 10, m % 10];
    let used = if digits[2] != 0 {
        3
    } else if digits[1] != 0 {
        2
    } else {
        1
    };
    out.extend(digits[..used].iter().map(|d| b'0' + *d as u8));
}

/// The default single-input vector, rendered once: the benchmark's embeddings fast path.
pub(crate) struct CachedVector {
    pub(crate) dim: usize,
    pub(crate) floats: Box<[u8]>,
    pub(crate) base64: Box<[u8]>,
}

impl CachedVector {
    pub(crate) fn new(dim: usize) -> Self {
        let (mut floats, mut base64) = (Vec::new(), Vec::new());
        push_floats(&mut floats, 0, dim);
        push_base64(&mut base64, 0, dim);
        Self {
            dim,
            floats: floats.into(),
            base64: base64.into(),
        }
    }

    /// Appends vector `index` of length `dim`, from the cache when it holds that one.
    pub(crate) fn push(&self, out: &mut Vec<u8>, index: usize, dim: usize, base64: bool) {
        match (index == 0 && dim == self.dim, base64) {
            (true, false) => out.extend_from_slice(&self.floats),
            (true, true) => out.extend_from_slice(&self.base64),
            (false, false) => push_floats(out, index, dim),
            (false, true) => push_base64(out, index, dim),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_text_parses_to_the_base64_values() {
        let mut text = Vec::new();
        push_floats(&mut text, 2, 64);
        let parsed: Vec<f32> = serde_json::from_slice(&text).unwrap();
        let expected: Vec<f32> = (0..64).map(|j| value(2, j)).collect();
        assert_eq!(parsed, expected);
        assert!(parsed.iter().all(|v| *v != 0.0 && v.abs() < 1.0));
    }

    #[test]
    fn millis_text() {
        for (m, text) in [(-5, "-0.005"), (120, "0.12"), (999, "0.999"), (100, "0.1")] {
            let mut out = Vec::new();
            push_millis(&mut out, m);
            assert_eq!(out, text.as_bytes());
        }
    }
}
