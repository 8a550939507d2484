//! What a Gemini model id implies for the translation: its generation (2.5 thinks with a
//! token budget, 3 with a level) and whether it validates thought signatures.

/// How a reasoning effort is expressed for one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thinking {
    /// Gemini 2.5 (and `-latest` aliases): `thinkingBudget`.
    Budget {
        tokens: i64,
        note: Option<&'static str>,
    },
    /// Gemini 3 and later: `thinkingLevel`.
    Level {
        level: &'static str,
        note: Option<&'static str>,
    },
    /// Gemini 2.0 and older, Gemma: no thinking.
    Unsupported,
}

/// `(major, minor)` of `gemini-X[.Y]-…`, after any `models/` or `google/` prefix.
pub fn version(model: &str) -> Option<(u32, u32)> {
    let id = model.rsplit('/').next().unwrap_or(model);
    let rest = id.strip_prefix("gemini-")?;
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut pieces = number.split('.');
    let major = pieces.next()?.parse().ok()?;
    let minor = pieces.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// Gemini 3 rejects function-call turns sent back without their thought signature. The
/// `-latest` aliases may point at Gemini 3 at any time, so they are treated as needing them
/// (the placeholder signature is harmless on older models).
pub fn requires_signatures(model: &str) -> bool {
    let id = model.rsplit('/').next().unwrap_or(model);
    version(model).is_some_and(|(major, _)| major >= 3)
        || (id.starts_with("gemini-") && id.ends_with("-latest"))
}

/// Maps an OpenAI reasoning effort (`none`, `minimal`, `low`, `medium`, `high`, `xhigh`) to
/// the model's thinking control. Budgets follow Google's OpenAI-compatibility mapping
/// (low 1,024, medium 8,192, high 24,576 tokens).
pub fn thinking(model: &str, effort: &str) -> Thinking {
    let id = model.rsplit('/').next().unwrap_or(model);
    let pro = id.contains("-pro");
    match version(model) {
        Some((major, _)) if major >= 3 => {
            let flash = id.contains("flash");
            let (level, note) = match effort {
                "none" | "minimal" if flash => ("minimal", None),
                "none" | "minimal" => (
                    "low",
                    Some("this Gemini model always thinks; lowest level used"),
                ),
                "low" => ("low", None),
                "medium" => ("medium", None),
                "high" => ("high", None),
                _ => ("high", Some("highest Gemini thinking level used")),
            };
            Thinking::Level { level, note }
        }
        // Gemini 2.5, and aliases (`gemini-flash-latest`), which may point at 2.5 or 3:
        // Gemini 3 also accepts a budget.
        Some((2, 5)) | None if id.starts_with("gemini-") => {
            let (tokens, note) = match effort {
                "none" if pro => (
                    128,
                    Some("Gemini 2.5 Pro cannot turn thinking off; smallest budget used"),
                ),
                "none" => (0, None),
                "minimal" | "low" => (1_024, None),
                "medium" => (8_192, None),
                "high" => (24_576, None),
                _ if pro => (32_768, None),
                _ => (24_576, Some("largest Gemini thinking budget used")),
            };
            Thinking::Budget { tokens, note }
        }
        _ => Thinking::Unsupported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_thinking_controls() {
        assert_eq!(version("models/gemini-2.5-flash"), Some((2, 5)));
        assert_eq!(version("google/gemini-3-pro-preview"), Some((3, 0)));
        assert_eq!(version("gemini-flash-latest"), None);
        assert!(requires_signatures("gemini-3.1-flash"));
        assert!(!requires_signatures("gemini-2.5-pro"));
        assert_eq!(
            thinking("gemini-2.5-flash", "medium"),
            Thinking::Budget {
                tokens: 8_192,
                note: None
            }
        );
        assert!(matches!(
            thinking("gemini-2.5-pro", "none"),
            Thinking::Budget {
                tokens: 128,
                note: Some(_)
            }
        ));
        assert_eq!(
            thinking("gemini-3-flash-preview", "minimal"),
            Thinking::Level {
                level: "minimal",
                note: None
            }
        );
        assert!(matches!(
            thinking("gemini-3-pro-preview", "none"),
            Thinking::Level {
                level: "low",
                note: Some(_)
            }
        ));
        assert!(matches!(
            thinking("gemini-flash-latest", "low"),
            Thinking::Budget { tokens: 1_024, .. }
        ));
        assert_eq!(thinking("gemini-2.0-flash", "high"), Thinking::Unsupported);
        assert_eq!(thinking("gemma-3-27b-it", "high"), Thinking::Unsupported);
    }
}
