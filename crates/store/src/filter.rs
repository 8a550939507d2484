//! What a caller may filter usage and audit listings by, and how each filter becomes a `WHERE`
//! clause that an index can serve.
//!
//! Every field is optional and the set ones are ANDed. Equality filters on a pair of columns
//! (`model` matches the resolved or the requested model) are ORs of two indexed equalities. The
//! user-path filter selects a subtree and is written as a range so the `(user_path, ts_us)`
//! index serves it: `/team` matches `/team` and everything in `[/team/, /team0)` (`'0'` is the
//! byte after `'/'`), which excludes `/teamx` and `/team-b`. Both backends compare `user_path`
//! bytewise (SQLite's BINARY collation; `COLLATE "C"` on PostgreSQL), so the range means the
//! same on both. `search` is a case-insensitive substring match and scans; combine it with a
//! time range on large tables.

use crate::sql::{Sql, contains_pattern};

/// Filters for usage listings and reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageFilter {
    /// Inclusive lower bound on `ts_us`.
    pub from_us: Option<i64>,
    /// Exclusive upper bound on `ts_us`.
    pub to_us: Option<i64>,
    /// Matches `model` or `requested_model` exactly.
    pub model: Option<String>,
    /// Matches `provider_name` or `provider_type` exactly.
    pub provider: Option<String>,
    /// A user-path subtree: `/team` matches `/team` and `/team/...`, not `/teamx`.
    pub user_path: Option<String>,
    /// Case-insensitive substring of request id, model, requested model, provider name or user path.
    pub search: Option<String>,
}

/// Filters for audit-log listings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Inclusive lower bound on `ts_us`.
    pub from_us: Option<i64>,
    /// Exclusive upper bound on `ts_us`.
    pub to_us: Option<i64>,
    /// Matches `requested_model` or `resolved_model` exactly.
    pub model: Option<String>,
    /// Matches `provider_name` or `provider_type` exactly.
    pub provider: Option<String>,
    /// HTTP method, compared case-insensitively (stored upper-case).
    pub method: Option<String>,
    /// Request path, exactly.
    pub path: Option<String>,
    /// A user-path subtree, as in [`UsageFilter::user_path`].
    pub user_path: Option<String>,
    pub error_type: Option<String>,
    pub status_code: Option<i32>,
    pub stream: Option<bool>,
    /// Case-insensitive substring of request id, path, requested or resolved model, or response id.
    pub search: Option<String>,
}

/// Appends `WHERE`/`AND` conditions to a statement, whichever comes first.
pub(crate) struct Where<'a> {
    sql: &'a mut Sql,
    started: bool,
    /// The time column: `ts_us`, or `bucket_us` on the rollups.
    ts_column: &'static str,
}

impl<'a> Where<'a> {
    pub(crate) fn new(sql: &'a mut Sql) -> Self {
        Where {
            sql,
            started: false,
            ts_column: "ts_us",
        }
    }

    /// Conditions on `usage_rollup`, whose rows carry `bucket_us` in place of `ts_us` and the
    /// same key columns; only valid for filters [`crate::rollup::serves`].
    pub(crate) fn on_rollup(sql: &'a mut Sql) -> Self {
        Where {
            sql,
            started: false,
            ts_column: "bucket_us",
        }
    }

    /// Starts the next condition and returns the statement to write it into.
    pub(crate) fn and(&mut self) -> &mut Sql {
        self.sql
            .push(if self.started { " AND " } else { " WHERE " });
        self.started = true;
        self.sql
    }

    fn time_range(&mut self, from_us: Option<i64>, to_us: Option<i64>) {
        let column = self.ts_column;
        if let Some(from) = from_us {
            self.and().push(column).push(" >= ").bind(from);
        }
        if let Some(to) = to_us {
            self.and().push(column).push(" < ").bind(to);
        }
    }

    /// `(a = v OR b = v)`.
    fn either_equals(&mut self, a: &str, b: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.and()
                .push("(")
                .push(a)
                .push(" = ")
                .bind(v.as_str())
                .push(" OR ")
                .push(b)
                .push(" = ")
                .bind(v.as_str())
                .push(")");
        }
    }

    fn user_path_subtree(&mut self, path: &Option<String>) {
        let Some(root) = path.as_deref().and_then(subtree_root) else {
            return;
        };
        // One index range [root, root0) plus a residual that drops siblings such as "/team-b",
        // which sort between "/team" and "/team/".
        let upper = format!("{root}0");
        let children = format!("{root}/");
        self.and()
            .push("user_path >= ")
            .bind(root)
            .push(" AND user_path < ")
            .bind(upper)
            .push(" AND (user_path = ")
            .bind(root)
            .push(" OR user_path >= ")
            .bind(children)
            .push(")");
    }

    fn search(&mut self, needle: &Option<String>, columns: &[&str]) {
        let Some(needle) = needle.as_deref().filter(|n| !n.is_empty()) else {
            return;
        };
        let pattern = contains_pattern(needle);
        let sql = self.and();
        let op = sql.dialect.ilike();
        sql.push("(");
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push(column)
                .push(" ")
                .push(op)
                .push(" ")
                .bind(pattern.as_str())
                .push(" ESCAPE '\\'");
        }
        sql.push(")");
    }

    pub(crate) fn usage(&mut self, f: &UsageFilter) {
        self.time_range(f.from_us, f.to_us);
        self.either_equals("model", "requested_model", &f.model);
        self.either_equals("provider_name", "provider_type", &f.provider);
        self.user_path_subtree(&f.user_path);
        self.search(
            &f.search,
            &[
                "request_id",
                "model",
                "requested_model",
                "provider_name",
                "user_path",
            ],
        );
    }

    pub(crate) fn audit(&mut self, f: &AuditFilter) {
        self.time_range(f.from_us, f.to_us);
        self.either_equals("requested_model", "resolved_model", &f.model);
        self.either_equals("provider_name", "provider_type", &f.provider);
        if let Some(method) = &f.method {
            self.and()
                .push("method = ")
                .bind(method.to_ascii_uppercase());
        }
        if let Some(path) = &f.path {
            self.and().push("path = ").bind(path.as_str());
        }
        self.user_path_subtree(&f.user_path);
        if let Some(error_type) = &f.error_type {
            self.and().push("error_type = ").bind(error_type.as_str());
        }
        if let Some(status) = f.status_code {
            self.and().push("status_code = ").bind(status);
        }
        if let Some(stream) = f.stream {
            self.and().push("stream = ").bind(stream);
        }
        self.search(
            &f.search,
            &[
                "request_id",
                "path",
                "requested_model",
                "resolved_model",
                "response_id",
            ],
        );
    }
}

/// The path a subtree filter is rooted at, without trailing slashes; `None` for the root itself,
/// which matches everything and so needs no condition.
fn subtree_root(path: &str) -> Option<&str> {
    let trimmed = path.trim_end_matches('/');
    (!trimmed.is_empty()).then_some(trimmed)
}

/// Whether `path` is `root` or below it, as [`Where`]'s subtree condition reads it (the root
/// `/` holds everything).
pub(crate) fn in_subtree(path: &str, root: &str) -> bool {
    match subtree_root(root) {
        None => true,
        Some(root) => {
            path == root || (path.starts_with(root) && path[root.len()..].starts_with('/'))
        }
    }
}

/// Whether `text` contains `needle`, ASCII letters compared case-insensitively: SQLite's
/// `LIKE '%needle%'`, which the search filter is on that backend.
pub(crate) fn contains_ascii_case_insensitive(text: &str, needle: &str) -> bool {
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    needle.is_empty()
        || text
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{Arg, Dialect};

    #[test]
    fn subtree_roots_ignore_trailing_slashes_and_the_root() {
        assert_eq!(subtree_root("/team/"), Some("/team"));
        assert_eq!(subtree_root("/team"), Some("/team"));
        assert_eq!(subtree_root("/"), None);
        assert_eq!(subtree_root(""), None);
    }

    #[test]
    fn an_empty_filter_adds_nothing() {
        let mut sql = Sql::new(Dialect::Sqlite, "SELECT 1 FROM usage");
        Where::new(&mut sql).usage(&UsageFilter::default());
        assert_eq!(sql.text, "SELECT 1 FROM usage");
    }

    #[test]
    fn user_path_becomes_an_index_range() {
        let mut sql = Sql::new(Dialect::Postgres, "SELECT 1 FROM usage");
        let filter = UsageFilter {
            user_path: Some("/team/".into()),
            from_us: Some(5),
            ..Default::default()
        };
        Where::new(&mut sql).usage(&filter);
        assert_eq!(
            sql.text,
            "SELECT 1 FROM usage WHERE ts_us >= $1 AND user_path >= $2 AND user_path < $3 \
             AND (user_path = $4 OR user_path >= $5)"
        );
        assert_eq!(
            sql.args,
            vec![
                Arg::Int(5),
                Arg::from("/team"),
                Arg::from("/team0"),
                Arg::from("/team"),
                Arg::from("/team/"),
            ]
        );
    }
}
