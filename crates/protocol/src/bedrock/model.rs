//! What a Bedrock model id says about the model: its vendor (`anthropic.claude-…`,
//! `amazon.nova-…`), once cross-region prefixes (`us.`, `eu.`, `apac.`, `global.`, …) and
//! inference-profile ARNs are looked through.

/// The bare vendor model id: `us.anthropic.claude-sonnet-4-5-20250929-v1:0` and
/// `arn:aws:bedrock:us-east-1:123:inference-profile/us.anthropic.claude-…` both give
/// `anthropic.claude-sonnet-4-5-20250929-v1:0`.
pub fn base_model_id(model: &str) -> &str {
    let id = model.rsplit('/').next().unwrap_or(model);
    for prefix in [
        "us-gov.", "us.", "eu.", "apac.", "jp.", "au.", "ca.", "global.",
    ] {
        if let Some(rest) = id.strip_prefix(prefix) {
            return rest;
        }
    }
    id
}

/// Anthropic's id without the vendor (`claude-sonnet-4-5-20250929-v1:0`), for the Anthropic
/// rules (thinking).
pub fn claude_id(model: &str) -> Option<&str> {
    base_model_id(model).strip_prefix("anthropic.")
}

pub fn is_claude(model: &str) -> bool {
    claude_id(model).is_some()
}

/// Amazon Nova 2 (reasoning through `reasoningConfig`).
pub fn is_nova_2(model: &str) -> bool {
    base_model_id(model).starts_with("amazon.nova-2")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_and_arns_resolve_to_the_base_model() {
        assert_eq!(
            base_model_id("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            "anthropic.claude-sonnet-4-5-20250929-v1:0"
        );
        assert_eq!(
            base_model_id(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-opus-4-6-v1"
            ),
            "anthropic.claude-opus-4-6-v1"
        );
        assert!(is_claude("eu.anthropic.claude-3-7-sonnet-20250219-v1:0"));
        assert!(!is_claude("amazon.nova-pro-v1:0"));
        assert_eq!(
            claude_id("anthropic.claude-opus-4-6-v1"),
            Some("claude-opus-4-6-v1")
        );
        assert!(is_nova_2("us.amazon.nova-2-lite-v1:0"));
    }
}
