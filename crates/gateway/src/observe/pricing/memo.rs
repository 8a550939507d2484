//! Resolved prices remembered per (provider name, provider type, model) as requests spell
//! them. Resolving normalises the three names and tries the model's spellings against the
//! overrides and the catalog (a handful of allocations and lookups, ~1.7 µs per request at
//! saturation, a tenth of what a usage row cost); a gateway serves a few models, so the answer
//! is almost always known. A memo belongs to one [`super::Pricing`]: new overrides or a new
//! catalog make a new `Pricing`, and so a new, empty memo.

use std::collections::HashMap;
use std::sync::RwLock;

use super::types::{CostSource, ModelPrice};

/// A resolved price and whether Anthropic's cache-write rules apply.
pub(super) type Resolved = (Option<(ModelPrice, CostSource)>, bool);

/// Names kept at most: made-up model names must not grow the memo without limit (past it,
/// new names are resolved every time, as before).
const MAX_ENTRIES: usize = 4_096;

#[derive(Default)]
pub(super) struct Memo {
    /// By model, then by provider (a model is usually served by one or two providers).
    by_model: RwLock<HashMap<Box<str>, Vec<Entry>>>,
}

struct Entry {
    provider_name: Box<str>,
    provider_type: Box<str>,
    resolved: Resolved,
}

impl Memo {
    pub(super) fn get_or_resolve(
        &self,
        provider_name: &str,
        provider_type: &str,
        model: &str,
        resolve: impl FnOnce() -> Resolved,
    ) -> Resolved {
        let found = |entries: &[Entry]| {
            entries
                .iter()
                .find(|e| &*e.provider_name == provider_name && &*e.provider_type == provider_type)
                .map(|e| e.resolved.clone())
        };
        {
            let by_model = self
                .by_model
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(resolved) = by_model.get(model).and_then(|entries| found(entries)) {
                return resolved;
            }
        }
        let resolved = resolve();
        let mut by_model = self
            .by_model
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stored: usize = by_model.values().map(Vec::len).sum();
        if stored < MAX_ENTRIES {
            let entries = by_model.entry(model.into()).or_default();
            if found(entries).is_none() {
                entries.push(Entry {
                    provider_name: provider_name.into(),
                    provider_type: provider_type.into(),
                    resolved: resolved.clone(),
                });
            }
        }
        resolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_once_per_name_and_stops_growing_at_the_limit() {
        let memo = Memo::default();
        let mut calls = 0;
        for _ in 0..3 {
            memo.get_or_resolve("openai", "openai", "gpt-4o", || {
                calls += 1;
                (None, false)
            });
        }
        assert_eq!(calls, 1);
        let other = memo.get_or_resolve("azure", "azure", "gpt-4o", || (None, true));
        assert!(
            other.1,
            "another provider of the same model is its own entry"
        );
        for i in 0..MAX_ENTRIES + 10 {
            memo.get_or_resolve("p", "t", &format!("m{i}"), || (None, false));
        }
        let stored: usize = memo.by_model.read().unwrap().values().map(Vec::len).sum();
        assert_eq!(stored, MAX_ENTRIES);
    }
}
