//! Connecting: migrations apply once, however often and however concurrently we connect.

use gomodel_store::{Store, StoreConfig, StoreError, UsageFilter};

use crate::fixtures::{T0, usage};
use crate::harness::Target;

/// How many migrations each backend has; bump with every new `migrations/<backend>/NNNN_*.sql`.
const LATEST_MIGRATION: i64 = 8;

pub async fn connect_twice_is_idempotent(t: &Target) {
    let first = t.connect().await;
    first.insert_usage(&[usage("u1", T0)]).await.unwrap();
    first.close().await;

    let second = t.connect().await;
    let page = second
        .usage_log(&UsageFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(page.total, 1, "data survives a reconnect");
    assert_eq!(t.applied_migrations().await, LATEST_MIGRATION);
}

pub async fn concurrent_connects_migrate_once(t: &Target) {
    // Gateway processes starting at once on one empty database.
    let mut starting = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let config = t.config.clone();
        starting.spawn(async move { Store::connect(&config).await });
    }
    let mut stores = Vec::new();
    while let Some(joined) = starting.join_next().await {
        stores.push(joined.unwrap().unwrap());
    }
    for (i, store) in stores.iter().enumerate() {
        store
            .insert_usage(&[usage(&format!("from-{i}"), T0)])
            .await
            .unwrap();
    }
    let summary = stores[0]
        .usage_summary(&UsageFilter::default())
        .await
        .unwrap();
    assert_eq!(summary.total_requests, 4);
    assert_eq!(t.applied_migrations().await, LATEST_MIGRATION);
    for store in stores {
        store.close().await;
    }
}

pub async fn ping_and_backend_name(t: &Target) {
    let store = t.connect().await;
    store.ping().await.unwrap();
    let want = match t.config {
        StoreConfig::Sqlite { .. } => "sqlite",
        StoreConfig::Postgres { .. } => "postgresql",
    };
    assert_eq!(store.backend(), want);
    let clone = store.clone();
    store.close().await;
    assert!(clone.ping().await.is_err(), "a closed store refuses work");
}

pub async fn connect_errors_hide_the_password(t: &Target) {
    let bad = match &t.config {
        // A directory cannot be created under a regular file.
        StoreConfig::Sqlite { path } => {
            let parent = path.parent().unwrap().parent().unwrap();
            std::fs::write(parent.join("file"), b"x").unwrap();
            StoreConfig::Sqlite {
                path: parent.join("file").join("sub").join("db.sqlite"),
            }
        }
        // Nothing listens on port 1.
        StoreConfig::Postgres { .. } => StoreConfig::Postgres {
            url: "postgres://gm:hunter2-secret@127.0.0.1:1/x?password=other-secret".into(),
            max_connections: 1,
        },
    };
    let err = Store::connect(&bad).await.unwrap_err();
    assert!(matches!(err, StoreError::Connect(_)), "{err:?}");
    let message = err.to_string();
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!message.contains("other-secret"), "{message}");
}
