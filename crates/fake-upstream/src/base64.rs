//! Base64 (RFC 4648): the standard alphabet with padding (§4) for `encoding_format: "base64"`
//! embeddings, Gemini's thought signatures and Bedrock's image bytes, and the URL-safe alphabet
//! without padding (§5) for the JWTs of Google's token endpoint and Gemini response ids.
//!
//! Forty lines here beat a dependency for the few places the fake needs it.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Standard alphabet, padded.
pub(crate) fn encode_into(out: &mut Vec<u8>, input: &[u8]) {
    encode_with(out, input, STANDARD, true);
}

/// Standard alphabet, padded, as a `String`.
pub(crate) fn encode(input: &[u8]) -> String {
    let mut out = Vec::new();
    encode_into(&mut out, input);
    String::from_utf8_lossy(&out).into_owned()
}

/// URL-safe alphabet, unpadded (what JWTs use, RFC 7515 §2).
pub(crate) fn encode_url(input: &[u8]) -> String {
    let mut out = Vec::new();
    encode_with(&mut out, input, URL_SAFE, false);
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes the URL-safe alphabet; padding is tolerated, any other byte is an error.
pub(crate) fn decode_url(text: &str) -> Option<Vec<u8>> {
    decode_with(text, URL_SAFE)
}

/// Decodes the standard alphabet; padding is tolerated, any other byte is an error.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    decode_with(text, STANDARD)
}

fn decode_with(text: &str, alphabet: &[u8; 64]) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0u32);
    for byte in text.bytes() {
        let value = alphabet.iter().position(|a| *a == byte)? as u32;
        bits = (bits << 6 | value) & 0xFFFF;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    // One leftover sextet cannot be a whole byte: the text was cut.
    (count < 6).then_some(out)
}

fn encode_with(out: &mut Vec<u8>, input: &[u8], alphabet: &[u8; 64], pad: bool) {
    out.reserve(input.len().div_ceil(3) * 4);
    let sextet = |n: u32, shift: u32| alphabet[((n >> shift) & 63) as usize];
    let mut chunks = input.chunks_exact(3);
    for chunk in &mut chunks {
        let n = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
        out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6), sextet(n, 0)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[sextet(n, 18), sextet(n, 12)]);
            if pad {
                out.extend_from_slice(b"==");
            }
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6)]);
            if pad {
                out.push(b'=');
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc4648_vectors() {
        for (input, expected) in VECTORS {
            let mut out = Vec::new();
            encode_into(&mut out, input.as_bytes());
            assert_eq!(out, expected.as_bytes(), "{input}");
        }
    }

    #[test]
    fn url_safe_round_trips_without_padding() {
        for (input, padded) in VECTORS {
            let encoded = encode_url(input.as_bytes());
            assert_eq!(encoded, padded.trim_end_matches('='), "{input}");
            assert_eq!(decode_url(&encoded).unwrap(), input.as_bytes());
            assert_eq!(decode_url(padded).unwrap(), input.as_bytes());
        }
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_url(&encode_url(&bytes)).unwrap(), bytes);
        assert!(encode_url(&[0xfb, 0xff]).contains(['-', '_']));
    }

    #[test]
    fn standard_decodes_what_it_encodes() {
        for (input, encoded) in VECTORS {
            assert_eq!(decode(encoded).unwrap(), input.as_bytes());
        }
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
        assert_eq!(decode("ab-_"), None);
    }

    #[test]
    fn url_safe_rejects_other_bytes() {
        assert_eq!(decode_url("ab+/"), None);
        assert_eq!(decode_url("a.b"), None);
        assert_eq!(decode_url("abcde"), None, "a lone trailing sextet");
    }
}
