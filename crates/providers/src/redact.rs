//! Scrubbing credentials out of text that came from a provider.
//!
//! Providers echo keys back in error messages ("Incorrect API key provided: sk-proj-…"); the
//! gateway passes those messages to clients, so every upstream message goes through here.

use crate::Secret;

/// Prefixes of provider API keys that are recognisable on sight.
const KEY_PREFIXES: [&str; 9] = [
    "sk-", "sk_", "gsk_", "xai-", "AIza", "sk-or-", "sk-ant-", "Bearer ", "ya29.",
];

/// Replaces `secret` and anything that looks like an API key with `[redacted]`.
pub(crate) fn redact(text: &str, secret: &Secret) -> String {
    let mut out = if secret.expose().len() >= 4 {
        text.replace(secret.expose(), "[redacted]")
    } else {
        text.to_owned()
    };
    for prefix in KEY_PREFIXES {
        out = redact_tokens_with_prefix(&out, prefix);
    }
    out
}

fn redact_tokens_with_prefix(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(prefix) {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + prefix.len()..];
        // Only at the start of a word: "sk_" inside "gsk_…" is that key's own prefix.
        let at_word_start =
            !out.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !at_word_start {
            out.push_str(prefix);
            rest = after;
            continue;
        }
        // Google access tokens have dots inside (`ya29.c.b0Aa…`).
        let dots = prefix == "ya29.";
        let token_len = after
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*') || (dots && c == '.'))
            })
            .unwrap_or(after.len());
        if token_len >= 6 {
            out.push_str("[redacted]");
        } else {
            out.push_str(&rest[pos..pos + prefix.len() + token_len]);
        }
        rest = &after[token_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_the_key_and_key_shaped_tokens() {
        let secret = Secret::new("abcdef123456");
        assert_eq!(
            redact(
                "Incorrect API key provided: sk-proj-****3456. key abcdef123456 bad",
                &secret
            ),
            "Incorrect API key provided: [redacted]. key [redacted] bad"
        );
        assert_eq!(redact("use sk- prefix", &secret), "use sk- prefix");
        assert_eq!(
            redact("gsk_abcdefghij and AIzaSyABCDEFG", &Secret::default()),
            "[redacted] and [redacted]"
        );
        assert_eq!(
            redact(
                "token ya29.c.b0AaAbCdEf.GhIj-kl rejected",
                &Secret::default()
            ),
            "token [redacted] rejected"
        );
    }
}
