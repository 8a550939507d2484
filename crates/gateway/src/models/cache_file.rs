//! The warm-start cache: the last model inventory saved to `<GOMODEL_CACHE_DIR>/models.json`,
//! so a restarted gateway serves the last known list before its first refresh completes
//! (reference §3.5). Written atomically (temp file + rename); a corrupt or stale file is
//! ignored with a warning, never fatal.

use std::path::{Path, PathBuf};

use gomodel_providers::ProviderRegistry;
use serde::{Deserialize, Serialize};

use super::{ModelCatalog, ModelSource, ProviderModels};

const FILE_NAME: &str = "models.json";
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct CacheContents {
    version: u32,
    saved_at: u64,
    providers: Vec<ProviderModels>,
}

/// Reads and writes the cache file.
#[derive(Debug, Clone)]
pub struct ModelCacheFile {
    path: PathBuf,
}

impl ModelCacheFile {
    pub fn new(dir: &Path) -> Self {
        Self {
            path: dir.join(FILE_NAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached catalog for the providers still configured (same name and type); `None` when
    /// there is no usable file.
    pub fn load(&self, registry: &ProviderRegistry) -> Option<ModelCatalog> {
        let text = std::fs::read(&self.path).ok()?;
        let contents: CacheContents = match serde_json::from_slice(&text) {
            Ok(contents) => contents,
            Err(err) => {
                tracing::warn!(path = %self.path.display(), error = %err, "ignoring unreadable model cache file");
                return None;
            }
        };
        if contents.version != VERSION {
            return None;
        }
        let lists: Vec<ProviderModels> = registry
            .iter()
            .map(|provider| {
                contents
                    .providers
                    .iter()
                    .find(|c| {
                        c.provider == provider.name() && c.provider_type == provider.kind().as_str()
                    })
                    .map(|cached| ProviderModels {
                        source: ModelSource::Cache,
                        last_error: None,
                        ..cached.clone()
                    })
                    .unwrap_or_else(|| ProviderModels {
                        provider: provider.name().to_owned(),
                        provider_type: provider.kind().as_str().to_owned(),
                        source: ModelSource::None,
                        models: Vec::new(),
                        limits: Default::default(),
                        last_error: None,
                        fetched_at: None,
                        last_success_at: None,
                    })
            })
            .collect();
        let catalog = ModelCatalog::new(lists);
        (!catalog.is_empty()).then_some(catalog)
    }

    /// Saves the catalog; failures are logged (a read-only disk must not stop the gateway).
    pub async fn save(&self, catalog: &ModelCatalog) {
        let saved_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let contents = CacheContents {
            version: VERSION,
            saved_at,
            providers: catalog.providers().to_vec(),
        };
        let Ok(bytes) = serde_json::to_vec(&contents) else {
            return;
        };
        if let Err(err) = write_atomically(&self.path, &bytes).await {
            tracing::warn!(path = %self.path.display(), error = %err, "could not save the model cache file");
        }
    }
}

async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    // Unique per write, so two writers (two processes, or a refresh racing shutdown) never
    // share a half-written file.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = path.with_extension(format!("json.tmp{}-{serial}", std::process::id()));
    tokio::fs::write(&temp, bytes).await?;
    tokio::fs::rename(&temp, path).await
}
