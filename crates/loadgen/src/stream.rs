//! SSE measurement: counts the events of a streamed body as its chunks arrive, wherever the
//! chunk boundaries fall, and checks that the last event is the `data: [DONE]` end marker.
//!
//! An event ends at a blank line (`"\n\n"`; `\r` is ignored so `"\r\n\r\n"` counts too). Blank
//! lines with no event before them are not events: that is how SSE dispatch works, and it keeps
//! `"data: [DONE]\n\n\n\n"` a complete stream.

/// The end markers accepted as the last event (the space after the colon is optional in SSE).
const DONE_MARKERS: [&[u8]; 2] = [b"data: [DONE]", b"data:[DONE]"];

/// How many bytes of the current event are kept: enough to compare with a marker, so the scanner
/// never allocates whatever the event sizes.
const KEPT: usize = 16;

/// Per-stream state; reused across requests with [`SseScanner::reset`].
#[derive(Debug, Clone, Default)]
pub struct SseScanner {
    events: u64,
    /// The previous significant byte was a `\n`: one more makes a blank line.
    line_ended: bool,
    /// The first bytes of the event in progress (lines joined by `\n`), up to [`KEPT`].
    head: [u8; KEPT],
    /// Length of the event in progress, which may exceed [`KEPT`]; 0 means none started.
    len: usize,
    /// Whether the last complete event was an end marker.
    last_was_done: bool,
}

impl SseScanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the previous stream (the scanner is reused to keep the hot path allocation-free).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Consumes the next chunk of the body.
    pub fn feed(&mut self, chunk: &[u8]) {
        for &byte in chunk {
            match byte {
                b'\r' => {}
                b'\n' if self.line_ended => {
                    self.line_ended = false;
                    if self.len > 0 {
                        self.events += 1;
                        self.last_was_done =
                            self.len <= KEPT && DONE_MARKERS.contains(&&self.head[..self.len]);
                        self.len = 0;
                    }
                }
                b'\n' => self.line_ended = true,
                _ => {
                    // A line ended inside an event: keep the separator so a multi-line event can
                    // never look like a one-line marker.
                    if self.line_ended && self.len > 0 {
                        self.push(b'\n');
                    }
                    self.line_ended = false;
                    self.push(byte);
                }
            }
        }
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.head.get_mut(self.len) {
            *slot = byte;
        }
        self.len = self.len.saturating_add(1);
    }

    /// Complete events seen so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// True when the body, as fed so far, ends with a complete `[DONE]` event and nothing after
    /// it but blank lines; anything else means the stream was cut short.
    pub fn ended_with_done(&self) -> bool {
        self.last_was_done && self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(chunks: &[&[u8]]) -> SseScanner {
        let mut scanner = SseScanner::new();
        for chunk in chunks {
            scanner.feed(chunk);
        }
        scanner
    }

    const STREAM: &[u8] = b"data: {\"a\":1}\n\ndata: {\"b\":2}\n\n: comment\n\ndata: [DONE]\n\n";

    #[test]
    fn whole_body() {
        let scanner = scan(&[STREAM]);
        assert_eq!(scanner.events(), 4);
        assert!(scanner.ended_with_done());
    }

    #[test]
    fn every_single_split_gives_the_same_answer() {
        for at in 0..=STREAM.len() {
            let (a, b) = STREAM.split_at(at);
            let scanner = scan(&[a, b]);
            assert_eq!(scanner.events(), 4, "split at {at}");
            assert!(scanner.ended_with_done(), "split at {at}");
        }
    }

    #[test]
    fn every_double_split_gives_the_same_answer() {
        for i in 0..=STREAM.len() {
            for j in i..=STREAM.len() {
                let scanner = scan(&[&STREAM[..i], &STREAM[i..j], &STREAM[j..]]);
                assert_eq!(scanner.events(), 4, "split at {i},{j}");
                assert!(scanner.ended_with_done(), "split at {i},{j}");
            }
        }
    }

    #[test]
    fn byte_by_byte_terminator_split() {
        let scanner = scan(&[b"data: x\n", b"\n", b"data: [DONE]\n", b"\n"]);
        assert_eq!(scanner.events(), 2);
        assert!(scanner.ended_with_done());
    }

    #[test]
    fn crlf_line_endings() {
        let scanner = scan(&[b"data: x\r\n\r", b"\ndata:[DONE]\r\n\r\n"]);
        assert_eq!(scanner.events(), 2);
        assert!(scanner.ended_with_done());
    }

    #[test]
    fn missing_done_is_incomplete() {
        let scanner = scan(&[b"data: x\n\ndata: y\n\n"]);
        assert_eq!(scanner.events(), 2);
        assert!(!scanner.ended_with_done());
    }

    #[test]
    fn unterminated_done_is_incomplete() {
        // The marker's blank line never came: by SSE rules that event was never dispatched.
        let scanner = scan(&[b"data: x\n\ndata: [DONE]\n"]);
        assert_eq!(scanner.events(), 1);
        assert!(!scanner.ended_with_done());
    }

    #[test]
    fn data_after_done_is_incomplete() {
        let scanner = scan(&[b"data: [DONE]\n\ndata: late"]);
        assert_eq!(scanner.events(), 1);
        assert!(!scanner.ended_with_done());
    }

    #[test]
    fn extra_blank_lines_are_not_events() {
        let scanner = scan(&[b"\n\ndata: x\n\n\n\n\ndata: [DONE]\n\n\n\n"]);
        assert_eq!(scanner.events(), 2);
        assert!(scanner.ended_with_done());
    }

    #[test]
    fn marker_must_be_the_whole_event() {
        for body in [
            &b"data: [DONE] extra\n\n"[..],
            b"event: end\ndata: [DONE]\n\n",
            b"data: [DONE]\ndata: more\n\n",
            b"data: [DONE]]]]]]]]]]]]]]]]]\n\n",
        ] {
            let scanner = scan(&[body]);
            assert_eq!(scanner.events(), 1);
            assert!(
                !scanner.ended_with_done(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn reset_forgets_the_previous_stream() {
        let mut scanner = scan(&[b"data: [DONE]\n\n"]);
        scanner.reset();
        assert_eq!(scanner.events(), 0);
        assert!(!scanner.ended_with_done());
    }
}
