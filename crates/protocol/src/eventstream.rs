//! The AWS event-stream binary framing (`application/vnd.amazon.eventstream`), decoded
//! incrementally as bytes arrive.
//!
//! A frame: total length (u32 BE), headers length (u32 BE), prelude CRC32 (of those 8 bytes),
//! headers, payload, message CRC32 (of everything before it). A header: name length (u8),
//! name, value type (u8), value (type-dependent; strings and byte arrays carry a u16 length).
//! CRC32 is the IEEE polynomial (reflected 0xEDB88320), as in zlib.
//!
//! The decoder never panics and never reads past what it was given: a bad CRC, an impossible
//! length or a malformed header is an error, after which the stream is unusable (framing is
//! lost), so the caller ends it with a clear message.

use bytes::{Buf, Bytes, BytesMut};

/// Prelude (12 bytes) plus message CRC (4).
const MIN_FRAME: usize = 16;
/// Frames larger than this are refused rather than buffered (AWS's limit is 16 MiB).
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub headers: Vec<(String, HeaderValue)>,
    pub payload: Bytes,
}

impl Frame {
    /// A string header's value (`:event-type`, `:message-type`, `:exception-type`).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|(n, v)| match v {
            HeaderValue::String(s) if n == name => Some(s.as_str()),
            _ => None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum HeaderValue {
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Bytes(Bytes),
    String(String),
    Timestamp(i64),
    Uuid([u8; 16]),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("event-stream frame length {0} is impossible")]
    BadLength(usize),
    #[error("event-stream prelude checksum mismatch")]
    PreludeChecksum,
    #[error("event-stream message checksum mismatch")]
    MessageChecksum,
    #[error("event-stream header is malformed: {0}")]
    BadHeader(&'static str),
}

/// Incremental decoder: [`push`](Self::push) bytes, then take frames with
/// [`next_frame`](Self::next_frame) until it returns `Ok(None)`.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: BytesMut,
    failed: bool,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if !self.failed {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Bytes received but not yet part of a complete frame.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        if self.failed || self.buf.len() < 12 {
            return Ok(None);
        }
        let result = self.decode();
        if result.is_err() {
            self.failed = true;
            self.buf.clear();
        }
        result
    }

    fn decode(&mut self) -> Result<Option<Frame>, FrameError> {
        let total = be_u32(&self.buf[0..4]) as usize;
        let headers_len = be_u32(&self.buf[4..8]) as usize;
        if crc32(&self.buf[0..8]) != be_u32(&self.buf[8..12]) {
            return Err(FrameError::PreludeChecksum);
        }
        if !(MIN_FRAME..=MAX_FRAME).contains(&total) || headers_len > total - MIN_FRAME {
            return Err(FrameError::BadLength(total));
        }
        if self.buf.len() < total {
            return Ok(None);
        }
        let frame = self.buf.split_to(total).freeze();
        if crc32(&frame[..total - 4]) != be_u32(&frame[total - 4..]) {
            return Err(FrameError::MessageChecksum);
        }
        let headers = parse_headers(frame.slice(12..12 + headers_len))?;
        let payload = frame.slice(12 + headers_len..total - 4);
        Ok(Some(Frame { headers, payload }))
    }
}

fn parse_headers(mut bytes: Bytes) -> Result<Vec<(String, HeaderValue)>, FrameError> {
    let mut headers = Vec::new();
    while bytes.has_remaining() {
        let name_len = usize::from(bytes.get_u8());
        if name_len == 0 || bytes.remaining() < name_len + 1 {
            return Err(FrameError::BadHeader("name"));
        }
        let name = String::from_utf8(bytes.split_to(name_len).to_vec())
            .map_err(|_| FrameError::BadHeader("name is not UTF-8"))?;
        let kind = bytes.get_u8();
        let need = |bytes: &Bytes, n: usize| {
            if bytes.remaining() < n {
                Err(FrameError::BadHeader("value is cut short"))
            } else {
                Ok(())
            }
        };
        let value = match kind {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => {
                need(&bytes, 1)?;
                HeaderValue::Byte(bytes.get_i8())
            }
            3 => {
                need(&bytes, 2)?;
                HeaderValue::Short(bytes.get_i16())
            }
            4 => {
                need(&bytes, 4)?;
                HeaderValue::Int(bytes.get_i32())
            }
            5 => {
                need(&bytes, 8)?;
                HeaderValue::Long(bytes.get_i64())
            }
            6 | 7 => {
                need(&bytes, 2)?;
                let len = usize::from(bytes.get_u16());
                need(&bytes, len)?;
                let raw = bytes.split_to(len);
                if kind == 6 {
                    HeaderValue::Bytes(raw)
                } else {
                    HeaderValue::String(
                        String::from_utf8(raw.to_vec())
                            .map_err(|_| FrameError::BadHeader("string is not UTF-8"))?,
                    )
                }
            }
            8 => {
                need(&bytes, 8)?;
                HeaderValue::Timestamp(bytes.get_i64())
            }
            9 => {
                need(&bytes, 16)?;
                let mut uuid = [0u8; 16];
                bytes.copy_to_slice(&mut uuid);
                HeaderValue::Uuid(uuid)
            }
            _ => return Err(FrameError::BadHeader("unknown value type")),
        };
        headers.push((name, value));
    }
    Ok(headers)
}

fn be_u32(bytes: &[u8]) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[..4]);
    u32::from_be_bytes(word)
}

/// Encodes a frame with string headers (for tests; the fake's encoder is separate code). A
/// name over 255 bytes, a value over 65,535 or a frame over [`MAX_FRAME`] cannot be encoded.
pub fn encode(headers: &[(&str, &str)], payload: &[u8]) -> Result<Vec<u8>, FrameError> {
    let mut header_bytes = Vec::new();
    for (name, value) in headers {
        let name_len = u8::try_from(name.len()).map_err(|_| FrameError::BadHeader("name"))?;
        let value_len =
            u16::try_from(value.len()).map_err(|_| FrameError::BadHeader("value too long"))?;
        header_bytes.push(name_len);
        header_bytes.extend_from_slice(name.as_bytes());
        header_bytes.push(7);
        header_bytes.extend_from_slice(&value_len.to_be_bytes());
        header_bytes.extend_from_slice(value.as_bytes());
    }
    let total = MIN_FRAME + header_bytes.len() + payload.len();
    if total > MAX_FRAME {
        return Err(FrameError::BadLength(total));
    }
    let mut frame = Vec::with_capacity(total);
    frame.extend_from_slice(&(total as u32).to_be_bytes());
    frame.extend_from_slice(&(header_bytes.len() as u32).to_be_bytes());
    let prelude_crc = crc32(&frame);
    frame.extend_from_slice(&prelude_crc.to_be_bytes());
    frame.extend_from_slice(&header_bytes);
    frame.extend_from_slice(payload);
    let message_crc = crc32(&frame);
    frame.extend_from_slice(&message_crc.to_be_bytes());
    Ok(frame)
}

/// CRC32 (IEEE 802.3), table-driven; the table is built at compile time.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(*byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32/ISO-HDLC check value of "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn decodes_frames_split_anywhere() {
        let a = encode(
            &[(":event-type", "messageStart"), (":message-type", "event")],
            br#"{"role":"assistant"}"#,
        );
        let b = encode(
            &[(":event-type", "messageStop")],
            br#"{"stopReason":"end_turn"}"#,
        );
        let stream = [a.unwrap(), b.unwrap()].concat();
        for split in 0..stream.len() {
            let mut decoder = Decoder::new();
            let mut frames = Vec::new();
            decoder.push(&stream[..split]);
            while let Some(frame) = decoder.next_frame().unwrap() {
                frames.push(frame);
            }
            decoder.push(&stream[split..]);
            while let Some(frame) = decoder.next_frame().unwrap() {
                frames.push(frame);
            }
            assert_eq!(frames.len(), 2, "split at {split}");
            assert_eq!(frames[0].header(":event-type"), Some("messageStart"));
            assert_eq!(&frames[1].payload[..], br#"{"stopReason":"end_turn"}"#);
            assert_eq!(decoder.pending(), 0);
        }
    }

    #[test]
    fn every_header_type_decodes() {
        let mut headers = Vec::new();
        let mut push = |name: &str, kind: u8, value: &[u8]| {
            headers.push(name.len() as u8);
            headers.extend_from_slice(name.as_bytes());
            headers.push(kind);
            headers.extend_from_slice(value);
        };
        push("t", 0, &[]);
        push("f", 1, &[]);
        push("b", 2, &[0xFF]);
        push("s", 3, &7i16.to_be_bytes());
        push("i", 4, &(-5i32).to_be_bytes());
        push("l", 5, &9i64.to_be_bytes());
        push("y", 6, &[0, 2, 1, 2]);
        push("z", 8, &1_700_000_000_000i64.to_be_bytes());
        push("u", 9, &[7u8; 16]);
        let total = MIN_FRAME + headers.len();
        let mut frame = (total as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&(headers.len() as u32).to_be_bytes());
        let crc = crc32(&frame);
        frame.extend_from_slice(&crc.to_be_bytes());
        frame.extend_from_slice(&headers);
        let crc = crc32(&frame);
        frame.extend_from_slice(&crc.to_be_bytes());
        let mut decoder = Decoder::new();
        decoder.push(&frame);
        let decoded = decoder.next_frame().unwrap().unwrap();
        let values: Vec<&HeaderValue> = decoded.headers.iter().map(|(_, v)| v).collect();
        assert_eq!(values[0], &HeaderValue::Bool(true));
        assert_eq!(values[2], &HeaderValue::Byte(-1));
        assert_eq!(values[4], &HeaderValue::Int(-5));
        assert_eq!(values[6], &HeaderValue::Bytes(Bytes::from_static(&[1, 2])));
        assert_eq!(values[8], &HeaderValue::Uuid([7u8; 16]));
    }

    #[test]
    fn corruption_is_an_error_and_ends_the_stream() {
        let good = encode(&[(":event-type", "messageStart")], b"{}").unwrap();
        let mut bad_payload = good.clone();
        let at = bad_payload.len() - 6;
        bad_payload[at] ^= 1;
        let mut decoder = Decoder::new();
        decoder.push(&bad_payload);
        assert_eq!(decoder.next_frame(), Err(FrameError::MessageChecksum));
        decoder.push(&good);
        assert_eq!(decoder.next_frame(), Ok(None), "no frames after a failure");

        let mut bad_prelude = good.clone();
        bad_prelude[1] ^= 0x40;
        let mut decoder = Decoder::new();
        decoder.push(&bad_prelude);
        assert_eq!(decoder.next_frame(), Err(FrameError::PreludeChecksum));

        // A consistent prelude announcing an absurd size is refused without waiting for it.
        let mut huge = (u32::MAX).to_be_bytes().to_vec();
        huge.extend_from_slice(&0u32.to_be_bytes());
        let crc = crc32(&huge);
        huge.extend_from_slice(&crc.to_be_bytes());
        let mut decoder = Decoder::new();
        decoder.push(&huge);
        assert!(matches!(
            decoder.next_frame(),
            Err(FrameError::BadLength(_))
        ));
    }
}
