//! Black-box tests of the user service over gRPC, each run on SQLite and (when
//! `TEST_DATABASE_URL` is set) on PostgreSQL.
mod accounts;
mod admin_guard;
mod counters;
mod first_admin;
mod helpers;
mod listing;
mod users;
