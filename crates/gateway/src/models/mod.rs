//! The model inventory: which provider serves which model, refreshed in the background.
//!
//! [`ModelCatalog`] is an immutable snapshot (per-provider lists plus an index from model id to
//! the providers serving it, in registry order). [`ModelInventory`] holds the current snapshot
//! behind an `ArcSwap`, so the request path reads it without locks, and says whether a first
//! load has happened. [`refresh`] builds snapshots from each provider's `/models` and the
//! configured lists; [`cache_file`] saves them so a restart serves the last known list at once.

mod cache_file;
mod catalog;
mod fast_hash;
pub mod refresh;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::watch;

pub use cache_file::ModelCacheFile;
pub use catalog::{ModelCatalog, ModelSource, ProviderModels};

/// The current catalog, swapped atomically on refresh.
#[derive(Debug)]
pub struct ModelInventory {
    current: ArcSwap<ModelCatalog>,
    loaded: watch::Sender<bool>,
}

impl ModelInventory {
    pub fn new(initial: ModelCatalog, loaded: bool) -> Self {
        let (sender, _) = watch::channel(loaded);
        Self {
            current: ArcSwap::from_pointee(initial),
            loaded: sender,
        }
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<ModelCatalog> {
        self.current.load_full()
    }

    /// Replaces the snapshot and marks the inventory loaded.
    pub fn publish(&self, catalog: ModelCatalog) {
        self.current.store(Arc::new(catalog));
        self.loaded.send_replace(true);
    }

    /// Whether the provider instance named `provider` lists `model` now. Reads the snapshot
    /// without taking a reference count: cheap enough for every request (metrics labels).
    pub fn lists(&self, provider: &str, model: &str) -> bool {
        let catalog = self.current.load();
        catalog
            .providers()
            .iter()
            .position(|p| p.provider == provider)
            .is_some_and(|index| catalog.serves(index, model))
    }

    pub fn is_loaded(&self) -> bool {
        *self.loaded.borrow()
    }

    /// Waits (at most `limit`) for the first load, so requests that arrive in the first moments
    /// after a cold start do not fail for want of a model list.
    pub async fn wait_loaded(&self, limit: Duration) -> bool {
        let mut receiver = self.loaded.subscribe();
        tokio::time::timeout(limit, receiver.wait_for(|loaded| *loaded))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}
