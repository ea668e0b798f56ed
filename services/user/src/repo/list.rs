//! The admin listing's SQL, assembled from fixed fragments only: user input is always bound,
//! never interpolated, so the dynamic text cannot be injected into.
use super::{ListQuery, SortKey};

/// A value to bind, in placeholder order.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Bind {
    Text(String),
    Bool(bool),
}

/// The page query and the count query, sharing one `WHERE`.
#[derive(Debug)]
pub(super) struct ListSql {
    /// Binds `filter_binds` then `LIMIT` and `OFFSET`.
    pub rows: String,
    /// Binds `filter_binds` only.
    pub count: String,
    pub filter_binds: Vec<Bind>,
    /// `LIMIT` and `OFFSET`.
    pub page_binds: [i64; 2],
}

/// Builds the statements for `query`, selecting `columns`.
pub(super) fn build(query: &ListQuery, columns: &str) -> ListSql {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds = Vec::new();
    // `$n` placeholders work on both databases (sqlx maps them on SQLite).
    let mut bind = |value: Bind| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(search) = &query.search {
        let p = bind(Bind::Text(format!("%{}%", escape_like(search))));
        // The expressions match the trigram indexes on PostgreSQL exactly, so they are used.
        conditions.push(format!(
            "(lower(email) LIKE lower({p}) ESCAPE '\\' \
             OR lower(username) LIKE lower({p}) ESCAPE '\\' \
             OR lower(coalesce(first_name, '')) LIKE lower({p}) ESCAPE '\\' \
             OR lower(coalesce(last_name, '')) LIKE lower({p}) ESCAPE '\\')"
        ));
    }
    if let Some(role) = query.role {
        conditions.push(format!("role = {}", bind(Bind::Text(role.as_str().into()))));
    }
    if let Some(verified) = query.is_verified {
        conditions.push(format!("is_verified = {}", bind(Bind::Bool(verified))));
    }
    if let Some(active) = query.is_active {
        conditions.push(format!("is_active = {}", bind(Bind::Bool(active))));
    }
    let where_clause = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    // Sorting by the case-folded username is backed by its unique index.
    let column = match query.sort.key {
        SortKey::CreatedAt => "created_at",
        SortKey::Email => "email",
        SortKey::Username => "username_key",
    };
    let direction = if query.sort.descending { "DESC" } else { "ASC" };
    let n = binds.len();
    let order = format!(
        "ORDER BY {column} {direction}, id {direction} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    // With a search, PostgreSQL tends to walk the sort index and filter row by row, hoping to
    // fill the page early; a search matching fewer rows than a page then reads the whole table
    // (~250 ms at 300k rows against ~5 ms through the trigram indexes). Materialising the
    // matches first bounds a page by the cost of its COUNT, which runs anyway.
    let rows = if query.search.is_some() {
        format!(
            "WITH matched AS MATERIALIZED (SELECT {columns}, username_key FROM users{where_clause}) \
             SELECT {columns} FROM matched {order}"
        )
    } else {
        format!("SELECT {columns} FROM users{where_clause} {order}")
    };
    ListSql {
        rows,
        // Without a search the filters are all on the counted columns, so the trigger-kept
        // counters (migrations 3 and 4) answer exactly, without touching the table; `SUM`
        // adds up their shard rows.
        count: if query.search.is_some() {
            format!("SELECT COUNT(*) FROM users{where_clause}")
        } else {
            format!("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM user_counts{where_clause}")
        },
        filter_binds: binds,
        page_binds: [query.limit, query.offset],
    }
}

/// Makes `%`, `_` and `\` match themselves under `LIKE … ESCAPE '\'`.
fn escape_like(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::{Role, Sort};

    fn query() -> ListQuery {
        ListQuery {
            limit: 20,
            offset: 40,
            search: None,
            role: None,
            is_verified: None,
            is_active: None,
            sort: Sort::parse("").unwrap(),
        }
    }

    #[test]
    fn wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }

    #[test]
    fn everything_from_the_caller_is_bound() {
        let q = ListQuery {
            search: Some("x'; DROP TABLE users; --".into()),
            role: Some(Role::Admin),
            is_verified: Some(true),
            sort: Sort::parse("-email").unwrap(),
            ..query()
        };
        let sql = build(&q, "id");
        assert!(!sql.rows.contains("DROP"));
        assert!(
            sql.rows
                .ends_with("ORDER BY email DESC, id DESC LIMIT $4 OFFSET $5")
        );
        assert!(sql.count.contains("role = $2 AND is_verified = $3"));
        assert_eq!(sql.filter_binds.len(), 3);
        assert_eq!(sql.page_binds, [20, 40]);
    }

    #[test]
    fn no_filters_no_where() {
        let sql = build(&query(), "id");
        assert_eq!(
            sql.count,
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM user_counts"
        );
        assert!(
            sql.rows
                .contains("ORDER BY created_at ASC, id ASC LIMIT $1 OFFSET $2")
        );
    }
}
