//! Cutting an answer's text into the pieces a stream sends.

/// Splits `text` right before each `separator`, so the pieces join back to `text`:
/// `"Hello World"` by `" "` is `"Hello"`, `" World"`.
pub(crate) fn split_before<'t>(text: &'t str, separator: &str) -> Vec<&'t str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (at, _) in text.match_indices(separator) {
        if at > start {
            pieces.push(&text[start..at]);
            start = at;
        }
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_before_keeps_every_byte() {
        assert_eq!(split_before("Hello World", " "), ["Hello", " World"]);
        assert_eq!(split_before(" a  b", " "), [" a", " ", " b"]);
        assert_eq!(split_before("a\n\nb", "\n\n"), ["a", "\n\nb"]);
        assert!(split_before("", " ").is_empty());
    }
}
