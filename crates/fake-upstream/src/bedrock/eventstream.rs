//! The AWS event stream encoding (`application/vnd.amazon.eventstream`), as ConverseStream
//! sends it: each event is one binary message
//!
//! ```text
//! total length (u32 BE) | headers length (u32 BE) | prelude CRC32 (u32 BE, of the 8 bytes before)
//! headers | payload | message CRC32 (u32 BE, of every byte before it)
//! ```
//!
//! and each header is `name length (u8) | name | value type (u8) | value`, where the only type
//! used here is 7, a string: `length (u16 BE) | UTF-8 bytes`. The CRC is CRC-32 (IEEE 802.3,
//! reflected polynomial 0xEDB88320), written here rather than shared with the gateway so a bug
//! in one cannot hide in the other. Reference: "Event stream encoding" in the Amazon Transcribe
//! and Lex V2 developer guides (https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html,
//! https://docs.aws.amazon.com/lexv2/latest/dg/event-stream-encoding.html).

/// Header value type 7: a UTF-8 string with a 16-bit length.
const STRING: u8 = 7;
/// Total length, headers length, prelude CRC.
const PRELUDE: usize = 12;

/// One message: its headers (name, string value) and payload.
pub(super) fn message(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut encoded_headers = Vec::new();
    for (name, value) in headers {
        // Names are ours and short; values are event and exception names.
        encoded_headers.push(name.len() as u8);
        encoded_headers.extend_from_slice(name.as_bytes());
        encoded_headers.push(STRING);
        encoded_headers.extend_from_slice(&(value.len() as u16).to_be_bytes());
        encoded_headers.extend_from_slice(value.as_bytes());
    }
    let total = PRELUDE + encoded_headers.len() + payload.len() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(encoded_headers.len() as u32).to_be_bytes());
    let prelude_crc = crc32(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&encoded_headers);
    out.extend_from_slice(payload);
    let message_crc = crc32(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    out
}

/// An `event` message of type `event_type` with a JSON payload.
pub(super) fn event(event_type: &str, payload: &[u8]) -> Vec<u8> {
    message(
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload,
    )
}

/// An `exception` message: how a ConverseStream fails after it started
/// (`throttlingException`, `modelStreamErrorException`, …).
pub(super) fn exception(exception_type: &str, payload: &[u8]) -> Vec<u8> {
    message(
        &[
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        payload,
    )
}

/// The same message with its final CRC flipped: `fake-corrupt-frame`.
pub(super) fn corrupt(mut message: Vec<u8>) -> Vec<u8> {
    if let Some(last) = message.last_mut() {
        *last ^= 0xFF;
    }
    message
}

/// CRC-32 lookup table for the reflected polynomial, built at compile time.
const TABLE: [u32; 256] = table();

const fn table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// CRC-32 (IEEE 802.3): initial value and final XOR all ones, reflected input and output.
pub(super) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc = TABLE[((crc ^ u32::from(*byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_values() {
        // The catalogue's check value for CRC-32/ISO-HDLC, and two well-known ones.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn message_layout() {
        let frame = message(&[("a", "bc")], b"{}");
        // 12 prelude + (1 + 1 + 1 + 2 + 2) headers + 2 payload + 4 CRC.
        assert_eq!(frame.len(), 25);
        assert_eq!(frame[..4], 25u32.to_be_bytes());
        assert_eq!(frame[4..8], 7u32.to_be_bytes());
        assert_eq!(frame[8..12], crc32(&frame[..8]).to_be_bytes());
        assert_eq!(frame[12..19], [1, b'a', STRING, 0, 2, b'b', b'c']);
        assert_eq!(&frame[19..21], b"{}");
        assert_eq!(frame[21..], crc32(&frame[..21]).to_be_bytes());
        let broken = corrupt(frame.clone());
        assert_eq!(broken[..21], frame[..21]);
        assert_ne!(broken[21..], frame[21..]);
    }

    #[test]
    fn empty_message_is_sixteen_bytes() {
        // The event stream spec's smallest message: no headers, no payload.
        let frame = message(&[], b"");
        assert_eq!(
            frame,
            [
                0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x05, 0xC2, 0x48, 0xEB, 0x7D, 0x98,
                0xC8, 0xFF
            ]
        );
    }
}
