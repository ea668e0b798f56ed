//! What a request means, independent of how it travels: the domain types parsed once where
//! data enters (`Email`, `Username`, `Role`, `Page`), the input rules behind them, and the
//! typed reasons a service refuses a call with. No I/O; every process depends on it.
pub mod input;
pub mod password_policy;
pub mod reason;
mod types;

pub use types::{Email, Page, Role, Username, holds_admin_rights};
