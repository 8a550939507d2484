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
    /// The database refused the content of a statement (a value it cannot store, a constraint,
    /// a size or depth limit): the same statement will fail every time, unlike [`Self::Query`]
    /// failures of reaching or running the database, which a retry may cure.
    #[error("store refused the data: {0}")]
    Rejected(String),
}

impl StoreError {
    /// Whether retrying the same statement cannot succeed (see [`Self::Rejected`]).
    pub fn is_rejected(&self) -> bool {
        matches!(self, StoreError::Rejected(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        let rejected = match &err {
            sqlx::Error::Database(db) => db.code().is_some_and(|code| refused_content(&code)),
            _ => false,
        };
        if rejected {
            StoreError::Rejected(err.to_string())
        } else {
            StoreError::Query(err.to_string())
        }
    }
}

/// Whether a database error code says the data itself was refused. PostgreSQL SQLSTATE classes
/// 22 (data exception: a number out of range, an invalid `jsonb`), 23 (integrity constraint)
/// and 54 (program limit: too deep, too long); SQLite's primary result codes TOOBIG (18),
/// CONSTRAINT (19), MISMATCH (20) and RANGE (25), which sqlx reports as the extended code.
/// A SQLSTATE is always five characters; SQLite's extended codes have at most four digits.
fn refused_content(code: &str) -> bool {
    if code.len() == 5 {
        return code.starts_with("22") || code.starts_with("23") || code.starts_with("54");
    }
    code.parse::<u32>()
        .is_ok_and(|sqlite| matches!(sqlite & 0xff, 18 | 19 | 20 | 25))
}

/// The crate's result alias.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::refused_content;

    #[test]
    fn content_errors_are_told_from_availability_errors() {
        for code in ["22003", "22P02", "23502", "54001", "19", "2067", "18", "20"] {
            assert!(refused_content(code), "{code}");
        }
        // Connection failures, locks and disk trouble may pass: retried, never dropped.
        for code in ["08006", "57P01", "53300", "40001", "5", "517", "10", "13"] {
            assert!(!refused_content(code), "{code}");
        }
    }
}
