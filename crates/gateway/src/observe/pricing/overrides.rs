//! Operators' price overrides, keyed by selector, and the rule for which one applies.
//!
//! Selectors: `/` (everything), `provider/` (a configured provider name or a provider type),
//! `model`, `provider/model`. The most specific match wins: `provider/model`, then `model`,
//! then `provider/`, then `/`; one override applies, and the fields it leaves unset come from
//! the catalog (not from a less specific override), so an override reads as "this model costs
//! X" rather than as one layer of a stack.
//!
//! A selector like `openai/gpt-4o-mini` is ambiguous (provider `openai` + model `gpt-4o-mini`,
//! or OpenRouter's model id `openai/gpt-4o-mini`). It is not resolved when stored: at lookup
//! the selector matches either way, so it prices both, which is what either reading wants.
//! Model parts match case-insensitively and through the same dated/prefixed spellings as the
//! catalog, so an override of `gpt-4o` also prices a response naming `gpt-4o-2024-08-06`.

use std::collections::HashMap;

use super::types::{ModelPrice, PricingError, PricingOverride};

/// Long enough for a Bedrock inference-profile ARN, short enough to refuse garbage.
const MAX_SELECTOR_LEN: usize = 512;

#[derive(Default)]
pub(super) struct Overrides {
    /// Lowercased selector → price.
    by_selector: HashMap<String, ModelPrice>,
}

impl Overrides {
    /// Invalid selectors are skipped with a warning (the admin API validates before storing, so
    /// this only meets rows written by hand or by an older version), and so are negative or
    /// non-finite rates.
    pub(super) fn new(overrides: Vec<PricingOverride>) -> Overrides {
        let mut by_selector = HashMap::with_capacity(overrides.len());
        for PricingOverride {
            selector,
            mut price,
        } in overrides
        {
            if let Err(err) = validate_selector(&selector) {
                tracing::warn!(%selector, %err, "pricing override skipped");
                continue;
            }
            let dropped = price.drop_invalid();
            if !dropped.is_empty() {
                tracing::warn!(
                    %selector,
                    fields = ?dropped,
                    "pricing override rates ignored: not finite or negative"
                );
            }
            by_selector.insert(selector.to_ascii_lowercase(), price);
        }
        Overrides { by_selector }
    }

    pub(super) fn len(&self) -> usize {
        self.by_selector.len()
    }

    /// The override for a request, most specific first. `provider_name`, `provider_type` and
    /// `candidates` (model spellings, most exact first) are lowercase.
    pub(super) fn find(
        &self,
        provider_name: &str,
        provider_type: &str,
        candidates: &[String],
    ) -> Option<&ModelPrice> {
        if self.by_selector.is_empty() {
            return None;
        }
        let other_type = (provider_type != provider_name).then_some(provider_type);
        let providers = || {
            std::iter::once(provider_name)
                .chain(other_type)
                .filter(|provider| !provider.is_empty())
        };
        let get = |key: &str| self.by_selector.get(key);
        candidates
            .iter()
            .find_map(|model| providers().find_map(|provider| get(&format!("{provider}/{model}"))))
            .or_else(|| candidates.iter().find_map(|model| get(model)))
            .or_else(|| providers().find_map(|provider| get(&format!("{provider}/"))))
            .or_else(|| get("/"))
    }
}

/// Whether `selector` is one of `/`, `provider/`, `model` or `provider/model`; for the admin
/// API, which answers 400 otherwise. Model ids may themselves hold `/` (OpenRouter, Groq), so
/// any number of inner slashes is fine; empty segments and stray whitespace are not.
pub fn validate_selector(selector: &str) -> Result<(), PricingError> {
    let refuse = |why: &str| {
        Err(PricingError::InvalidSelector(format!(
            "{selector:?}: {why} (expected `/`, `provider/`, `model` or `provider/model`)"
        )))
    };
    if selector == "/" {
        return Ok(());
    }
    if selector.is_empty() {
        return refuse("empty");
    }
    if selector.len() > MAX_SELECTOR_LEN {
        return refuse("too long");
    }
    if selector
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return refuse("contains whitespace or control characters");
    }
    if selector.starts_with('/') {
        return refuse("starts with `/`");
    }
    if selector.contains("//") {
        return refuse("has an empty segment");
    }
    if let Some(provider) = selector.strip_suffix('/')
        && provider.contains('/')
    {
        return refuse("a provider selector has a single trailing `/`");
    }
    Ok(())
}

/// How broadly a selector applies, in GoModel's terms (`scope_kind` in the admin API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectorScope<'a> {
    /// `global`, `provider`, `model` or `provider_model`.
    pub kind: &'static str,
    pub provider: Option<&'a str>,
    pub model: Option<&'a str>,
}

/// Reads a (valid) selector: `/` is global, `p/` a provider, `p/m` a provider's model when `p`
/// is a configured provider (`is_provider`: a name or a type), anything else one model id on
/// any provider (OpenRouter's `openai/gpt-4o-mini` included). Matching (`Overrides::find`)
/// does not depend on this reading; it is for display and for filters.
pub fn selector_scope<'a>(
    selector: &'a str,
    is_provider: impl Fn(&str) -> bool,
) -> SelectorScope<'a> {
    if selector == "/" {
        return SelectorScope {
            kind: "global",
            provider: None,
            model: None,
        };
    }
    if let Some(provider) = selector.strip_suffix('/') {
        return SelectorScope {
            kind: "provider",
            provider: Some(provider),
            model: None,
        };
    }
    match selector.split_once('/') {
        Some((provider, model)) if is_provider(provider) => SelectorScope {
            kind: "provider_model",
            provider: Some(provider),
            model: Some(model),
        },
        _ => SelectorScope {
            kind: "model",
            provider: None,
            model: Some(selector),
        },
    }
}
