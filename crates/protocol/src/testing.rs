//! Test helpers: fixtures and golden files.

use std::path::PathBuf;

pub(crate) fn fixture_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

pub(crate) fn fixture(relative: &str) -> String {
    std::fs::read_to_string(fixture_path(relative))
        .unwrap_or_else(|err| panic!("fixture {relative}: {err}"))
}

/// Compares `lines` with the golden file (one line each); `UPDATE_GOLDEN=1` rewrites it.
pub(crate) fn assert_golden(relative: &str, lines: &[String]) {
    let path = fixture_path(relative);
    let actual = lines.join("\n") + "\n";
    #[allow(clippy::disallowed_methods)]
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    if update || !path.exists() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        actual, expected,
        "golden {relative} differs (UPDATE_GOLDEN=1 to accept)"
    );
}

/// The `data:` payloads of an SSE text.
pub(crate) fn sse_payloads(text: &str) -> Vec<Vec<u8>> {
    let mut splitter = crate::sse::EventSplitter::new();
    splitter.push(text.as_bytes());
    let mut events = splitter.drain_events();
    // Recordings may end without the final blank line; real relays flush the remainder too.
    events.extend(splitter.take_remainder());
    events
        .iter()
        .filter_map(|event| crate::sse::data_payload(event).map(|d| d.into_owned()))
        .collect()
}
