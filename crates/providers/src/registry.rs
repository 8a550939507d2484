//! `ProviderRegistry`: the configured instances, in a fixed order.
//!
//! Order matters: when several providers serve the same bare model name, the first in this
//! order wins. Instances are sorted by name (as GoModel instantiates them), so the choice does
//! not depend on map iteration or env ordering, and is documented in docs/configuration.md.

use std::sync::Arc;

use crate::{GlobalProviderOptions, Provider, ProviderKind, ProviderSettings, UpstreamClient};

#[derive(Debug, Default)]
pub struct ProviderRegistry {
    providers: Vec<Arc<Provider>>,
}

impl ProviderRegistry {
    pub fn new(
        mut settings: Vec<ProviderSettings>,
        client: &UpstreamClient,
        options: &GlobalProviderOptions,
    ) -> Self {
        settings.sort_by(|a, b| a.name.cmp(&b.name));
        let providers = settings
            .into_iter()
            .map(|s| Arc::new(Provider::new(s, client.clone(), options)))
            .collect();
        Self { providers }
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    pub fn len(&self) -> usize {
        self.providers.len()
    }

    /// All instances, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Provider>> {
        self.providers.iter()
    }

    /// Position of an instance in registry order.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.providers.iter().position(|p| p.name() == name)
    }

    pub fn get(&self, index: usize) -> Option<&Arc<Provider>> {
        self.providers.get(index)
    }

    pub fn by_name(&self, name: &str) -> Option<&Arc<Provider>> {
        self.providers.iter().find(|p| p.name() == name)
    }

    /// The first instance of a type, for selectors that name a type (`openai/gpt-4o` when the
    /// only OpenAI instance is called `openai-east`).
    pub fn first_of_kind(&self, kind: ProviderKind) -> Option<&Arc<Provider>> {
        self.providers.iter().find(|p| p.kind() == kind)
    }

    /// Resolves a provider reference: an instance name first, then a type name.
    pub fn lookup(&self, reference: &str) -> Option<&Arc<Provider>> {
        self.by_name(reference)
            .or_else(|| ProviderKind::parse(reference).and_then(|kind| self.first_of_kind(kind)))
    }

    /// Instance names, for error messages.
    pub fn names(&self) -> Vec<&str> {
        self.providers.iter().map(|p| p.name()).collect()
    }
}
