//! The spellings of a model id worth looking up.
//!
//! Responses name dated snapshots (`gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`, Vertex's
//! `claude-sonnet-4-5@20250929`) and some APIs prefix ids (`models/gemini-2.5-flash`, or a
//! public `provider/model` selector). A catalog lists the undated, unprefixed id, so lookups
//! try the exact id first and then progressively looser spellings. A dated id that has its own
//! price (`gpt-4o-2024-05-13`) is still found first, by the exact match.

/// `model` (already lowercase), then without its date suffix, then without a `models/` or
/// `provider/` prefix, then without both; duplicates removed, most exact first.
pub(super) fn candidates(model: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::with_capacity(4);
    let mut push = |id: &str| {
        if !id.is_empty() && !ids.iter().any(|seen| seen == id) {
            ids.push(id.to_owned());
        }
    };
    push(model);
    if let Some(undated) = strip_date(model) {
        push(undated);
    }
    if let Some(unprefixed) = strip_prefix(model) {
        push(unprefixed);
        if let Some(undated) = strip_date(unprefixed) {
            push(undated);
        }
    }
    ids
}

/// `id` without a trailing `-YYYY-MM-DD`, `-YYYYMMDD` or `@YYYYMMDD` (years 20xx only, so a
/// version like `-0905` or a size like `-128e` is left alone).
pub(super) fn strip_date(id: &str) -> Option<&str> {
    let bytes = id.as_bytes();
    let digits = |range: &[u8]| !range.is_empty() && range.iter().all(u8::is_ascii_digit);
    if let Some(start) = bytes.len().checked_sub(11)
        && let Some(tail) = bytes.get(start..)
        && start > 0
        && tail[0] == b'-'
        && tail[5] == b'-'
        && tail[8] == b'-'
        && tail[1..3] == *b"20"
        && digits(&tail[1..5])
        && digits(&tail[6..8])
        && digits(&tail[9..11])
    {
        return id.get(..start);
    }
    if let Some(start) = bytes.len().checked_sub(9)
        && let Some(tail) = bytes.get(start..)
        && start > 0
        && (tail[0] == b'-' || tail[0] == b'@')
        && tail[1..3] == *b"20"
        && digits(&tail[1..])
    {
        return id.get(..start);
    }
    None
}

/// Bedrock's extra spellings of `model` (already lowercase): without its geographic
/// inference-profile prefix (`us.`, `eu.`, `apac.`, `global.` ...) and its version suffix
/// (`-v1:0`), then also without a date. `us.anthropic.claude-sonnet-4-5-20250929-v1:0` gives
/// `anthropic.claude-sonnet-4-5-20250929` and `anthropic.claude-sonnet-4-5`, which the
/// catalog's `anthropic.` fallback reads as Anthropic's `claude-sonnet-4-5`.
pub(super) fn bedrock_candidates(model: &str) -> Vec<String> {
    let unprofiled = BEDROCK_PROFILE_PREFIXES
        .iter()
        .find_map(|prefix| model.strip_prefix(prefix))
        .unwrap_or(model);
    let base = strip_bedrock_version(unprofiled).unwrap_or(unprofiled);
    let mut ids = Vec::with_capacity(2);
    if base != model {
        ids.push(base.to_owned());
    }
    if let Some(undated) = strip_date(base) {
        ids.push(undated.to_owned());
    }
    ids
}

/// Prefixes of Bedrock's cross-region inference profiles.
const BEDROCK_PROFILE_PREFIXES: [&str; 8] = [
    "us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.",
];

/// `id` without a trailing Bedrock version, `-v` + a digit + digits, letters or `:`
/// (`-v1:0`, `-v2:0`, `-v1:0:200k`).
fn strip_bedrock_version(id: &str) -> Option<&str> {
    let start = id.rfind("-v")?;
    let version = id.get(start + 2..)?;
    let well_formed = version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ':');
    (start > 0 && well_formed).then(|| &id[..start])
}

/// `id` without a leading `models/` (Gemini) or its first `segment/` (a provider or vendor).
fn strip_prefix(id: &str) -> Option<&str> {
    id.strip_prefix("models/")
        .or_else(|| id.split_once('/').map(|(_, rest)| rest))
        .filter(|rest| !rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_suffixes() {
        for (id, want) in [
            ("gpt-4o-2024-08-06", Some("gpt-4o")),
            ("claude-sonnet-4-20250514", Some("claude-sonnet-4")),
            ("claude-sonnet-4-5@20250929", Some("claude-sonnet-4-5")),
            ("o3-2025-04-16", Some("o3")),
            ("gpt-4o", None),
            ("kimi-k2-instruct-0905", None),
            ("grok-4-0709", None),
            ("-20250514", None),
            ("model-2025-0a-01", None),
        ] {
            assert_eq!(strip_date(id), want, "{id}");
        }
    }

    #[test]
    fn candidates_go_from_exact_to_loose() {
        assert_eq!(
            candidates("models/gemini-2.5-flash"),
            ["models/gemini-2.5-flash", "gemini-2.5-flash"]
        );
        assert_eq!(
            candidates("openai/gpt-4o-2024-08-06"),
            [
                "openai/gpt-4o-2024-08-06",
                "openai/gpt-4o",
                "gpt-4o-2024-08-06",
                "gpt-4o"
            ]
        );
        assert_eq!(candidates("gpt-4o"), ["gpt-4o"]);
    }

    #[test]
    fn bedrock_ids_lose_profile_version_and_date() {
        assert_eq!(
            bedrock_candidates("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            [
                "anthropic.claude-sonnet-4-5-20250929",
                "anthropic.claude-sonnet-4-5"
            ]
        );
        assert_eq!(
            bedrock_candidates("amazon.nova-pro-v1:0"),
            ["amazon.nova-pro"]
        );
        assert_eq!(
            bedrock_candidates("global.amazon.nova-2-lite-v1:0:256k"),
            ["amazon.nova-2-lite"]
        );
        assert!(bedrock_candidates("amazon.nova-pro").is_empty());
        // Not a version: `-vision` has no digit after `-v`.
        assert!(bedrock_candidates("meta.llama-vision").is_empty());
    }
}
