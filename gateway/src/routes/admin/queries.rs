//! The query strings of the admin listings, parsed into what the admin service takes.
use super::params::Params;
use crate::error::ApiError;
use astro_platform::time::micros_to_timestamp;
use astro_proto::{admin::v1::ListAuditLogRequest, user::v1::ListUsersRequest};
use utoipa::IntoParams;

const MAX_PER_PAGE: i64 = 100;
const DEFAULT_PER_PAGE: i64 = 20;
const SEARCH_MAX: usize = 200;

/// `page` (≥ 1, default 1) and `per_page` (1-100, default 20), as every listing takes them.
fn paging(p: &mut Params) -> (u32, u32) {
    let page = p.int("page", 1, i64::from(u32::MAX)).unwrap_or(1);
    let per_page = p.int("per_page", 1, MAX_PER_PAGE).unwrap_or(DEFAULT_PER_PAGE);
    // Both are range-checked above.
    (page as u32, per_page as u32)
}

/// Filters and order of `GET /api/admin/users`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// 1-based page number (default 1).
    #[param(value_type = i64, minimum = 1, maximum = 4294967295_i64, required = false, default = 1)]
    pub page: u32,
    /// Users per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100, required = false, default = 20)]
    pub per_page: u32,
    /// Case-insensitive substring of email, username, first or last name (`%`, `_` literal).
    pub search: Option<String>,
    /// `user` or `admin`.
    pub role: Option<String>,
    pub is_verified: Option<bool>,
    pub is_active: Option<bool>,
    /// `created_at` (default), `email` or `username`; `-` prefix for descending. Ties by id.
    #[param(pattern = "^-?(created_at|email|username)$")]
    pub sort: Option<String>,
}

impl UserListQuery {
    pub fn parse(pairs: Vec<(String, String)>) -> Result<Self, ApiError> {
        let mut p = Params::new(pairs);
        let (page, per_page) = paging(&mut p);
        let query = UserListQuery {
            page,
            per_page,
            search: p.string("search", SEARCH_MAX),
            role: p.choice("role", &["user", "admin"]),
            is_verified: p.bool("is_verified"),
            is_active: p.bool("is_active"),
            sort: p.choice(
                "sort",
                &[
                    "created_at",
                    "-created_at",
                    "email",
                    "-email",
                    "username",
                    "-username",
                ],
            ),
        };
        p.finish(query)
    }

    /// The admin service's request for this page.
    pub fn request(&self) -> ListUsersRequest {
        ListUsersRequest {
            page: self.page,
            per_page: self.per_page,
            search: self.search.clone(),
            role: self.role.as_deref().map(super::models::wire_role),
            is_verified: self.is_verified,
            is_active: self.is_active,
            sort: self.sort.clone().unwrap_or_default(),
        }
    }
}

/// Filters of `GET /api/admin/audit-log`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditLogQuery {
    /// 1-based page number (default 1).
    #[param(value_type = i64, minimum = 1, maximum = 4294967295_i64, required = false, default = 1)]
    pub page: u32,
    /// Events per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100, required = false, default = 20)]
    pub per_page: u32,
    /// Events where this user is the actor or the target.
    pub user_id: Option<i64>,
    pub action: Option<String>,
    /// RFC 3339: events at or after this instant.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<i64>,
    /// RFC 3339: events at or before this instant (a whole second includes all of it).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<i64>,
}

impl AuditLogQuery {
    /// `since` and `until` become µs since the Unix epoch.
    pub fn parse(pairs: Vec<(String, String)>) -> Result<Self, ApiError> {
        let mut p = Params::new(pairs);
        let (page, per_page) = paging(&mut p);
        let user_id = p.int("user_id", i64::MIN, i64::MAX);
        let action = p.string("action", 100);
        let since = p.datetime("since").map(|at| at.timestamp_micros());
        // Times are shown in whole seconds, so `until` a shown time must include that event.
        let until = p.datetime("until").map(|at| {
            let micros = at.timestamp_micros();
            if at.timestamp_subsec_nanos() == 0 {
                micros + 999_999
            } else {
                micros
            }
        });
        p.finish(AuditLogQuery {
            page,
            per_page,
            user_id,
            action,
            since,
            until,
        })
    }

    /// The admin service's request for this page.
    pub fn request(&self) -> ListAuditLogRequest {
        ListAuditLogRequest {
            page: self.page,
            per_page: self.per_page,
            user_id: self.user_id,
            action: self.action.clone(),
            since: self.since.map(micros_to_timestamp),
            until: self.until.map(micros_to_timestamp),
        }
    }
}
