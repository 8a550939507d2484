//! The store's one error type, by fault domain: reaching the database, bringing its schema up to
//! date, running a statement, or asking for something the backend cannot do.
//!
//! Messages are built from sqlx errors, which never echo a connection password, and connect
//! errors additionally pass through [`crate::redact_url`]'s scrubbing, because the URL is the
//! one place a password lives.

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or reached (bad URL, refused, auth, unwritable path).
    #[error("cannot connect to the store: {0}")]
    Connect(String),
    /// The embedded schema migrations could not be applied.
    #[error("cannot migrate the store schema: {0}")]
    Migrate(String),
    /// A statement failed.
    #[error("store query failed: {0}")]
    Query(String),
    /// The request cannot be served by this backend or with these arguments.
    #[error("unsupported by the store: {0}")]
    Unsupported(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::Query(err.to_string())
    }
}

/// The crate's result alias.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
