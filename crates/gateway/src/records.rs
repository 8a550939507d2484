//! Start-up of the record pipeline: storage, pricing, the usage writer and retention.
//!
//! Storage is opened when usage or the audit log is on (SQLite by default, migrations applied).
//! A database that cannot be opened at start stops the gateway with a clear error, rather than
//! running while silently losing usage.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use gomodel_store::{EncodedAudit, Store, StoreConfig as DbConfig, UsageRow};
use tokio::task::JoinHandle;

use crate::app::Records;
use crate::config::{Config, StorageConfig};
use crate::observe::audit::AuditRecorder;
use crate::observe::audit::secrets::configured_secrets;
use crate::observe::price_sources::{PriceSources, refresh_from_url};
use crate::observe::pricing::{Pricing, PricingOverride};
use crate::observe::usage::UsageRecorder;
use crate::observe::writer::{BatchWriter, Sink, SinkError, WriterOptions};
use crate::server::StartError;

/// A store failure as the writer sees it: content the database refused is split out and
/// dropped; anything else is retried.
fn sink_error(err: gomodel_store::StoreError) -> SinkError {
    SinkError {
        rejected: err.is_rejected(),
        message: err.to_string(),
    }
}

/// Rows per INSERT batch.
const MAX_BATCH: usize = 500;
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

pub async fn start(config: &Config) -> Result<(Records, Vec<JoinHandle<()>>), StartError> {
    let pricing = Arc::new(ArcSwap::from_pointee(Pricing::embedded()));
    let configured = config
        .configured_prices
        .iter()
        .map(|(provider, model, price)| PricingOverride {
            selector: format!("{provider}/{model}"),
            price: price.clone(),
        })
        .collect();
    let price_sources = Arc::new(PriceSources::new(configured));
    price_sources.publish(&pricing);
    let mut background = Vec::new();
    if let Some(url) = config.model_list_url.clone() {
        background.push(tokio::spawn(refresh_from_url(
            url,
            config.models.refresh_interval,
            Arc::clone(&price_sources),
            Arc::clone(&pricing),
        )));
    }
    let records_config = &config.records;
    if !records_config.usage_enabled && !records_config.audit_enabled {
        tracing::info!("usage and audit logging are off: no storage opened");
        return Ok((
            Records {
                store: None,
                pricing,
                usage: None,
                audit: None,
                price_sources,
                metrics: None,
            },
            background,
        ));
    }
    let db_config = match &config.storage {
        StorageConfig::Sqlite { path } => DbConfig::Sqlite { path: path.clone() },
        StorageConfig::Postgres {
            url,
            max_connections,
        } => DbConfig::Postgres {
            url: url.expose().to_owned(),
            max_connections: *max_connections,
        },
    };
    let store = Store::connect(&db_config)
        .await
        .map_err(|err| StartError::Storage(err.to_string()))?;
    tracing::info!(backend = store.backend(), "storage ready");
    let usage = if records_config.usage_enabled {
        let sink_store = store.clone();
        let sink: Sink<UsageRow> = Arc::new(move |rows: Arc<Vec<UsageRow>>| {
            let store = sink_store.clone();
            Box::pin(async move { store.insert_usage(&rows).await.map_err(sink_error) })
        });
        let options = WriterOptions {
            capacity: records_config.usage_buffer_size,
            max_batch: MAX_BATCH.min(records_config.usage_buffer_size),
            flush_interval: records_config.usage_flush_interval,
        };
        let (writer, task) = BatchWriter::spawn("usage", options, sink);
        background.push(task);
        Some(Arc::new(UsageRecorder::new(writer, Arc::clone(&pricing))))
    } else {
        None
    };
    let audit = if records_config.audit_enabled {
        let sink_store = store.clone();
        let sink: Sink<EncodedAudit> = Arc::new(move |rows: Arc<Vec<EncodedAudit>>| {
            let store = sink_store.clone();
            Box::pin(async move { store.insert_encoded_audit(&rows).await.map_err(sink_error) })
        });
        let options = WriterOptions {
            capacity: records_config.audit_buffer_size,
            // As for usage rows: a commit has fixed costs, and on SQLite a batch is one
            // compressed segment: fuller batches compress better.
            max_batch: MAX_BATCH.min(records_config.audit_buffer_size),
            flush_interval: records_config.audit_flush_interval,
        };
        let (writer, task) = BatchWriter::spawn("audit", options, sink);
        background.push(task);
        Some(Arc::new(AuditRecorder::new(
            writer,
            configured_secrets(config),
            config.server.master_key.clone(),
            records_config.audit_log_bodies,
            records_config.audit_log_headers,
        )))
    } else {
        None
    };
    background.push(tokio::spawn(retention(
        store.clone(),
        records_config.usage_retention_days,
        records_config.audit_retention_days,
    )));
    Ok((
        Records {
            store: Some(store),
            pricing,
            usage,
            audit,
            price_sources,
            metrics: None,
        },
        background,
    ))
}

/// Deletes rows older than the retention periods, hourly (0 days keeps them forever).
async fn retention(store: Store, usage_days: u32, audit_days: u32) {
    loop {
        let now_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        let day_us = 86_400_000_000i64;
        if usage_days > 0 {
            match store
                .delete_usage_before(now_us - i64::from(usage_days) * day_us)
                .await
            {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "usage retention: old rows deleted"),
                Err(err) => tracing::warn!(error = %err, "usage retention failed"),
            }
        }
        if audit_days > 0 {
            match store
                .delete_audit_before(now_us - i64::from(audit_days) * day_us)
                .await
            {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "audit retention: old rows deleted"),
                Err(err) => tracing::warn!(error = %err, "audit retention failed"),
            }
        }
        tokio::time::sleep(RETENTION_EVERY).await;
    }
}
