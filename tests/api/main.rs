//! Black-box tests of the HTTP contract (`shared/api-contract.md`): each test starts the whole
//! stack on port 0 with a database of its own, and runs once on SQLite and once on PostgreSQL
//! (skipped unless `TEST_DATABASE_URL` points at a server where databases may be created).
mod admin_support;
mod broken_service;
mod checks;
mod consumer_api;
mod edge_support;
mod helpers;
mod janitor_support;
mod jwt;
mod notification_support;
mod redis_support;
mod smtp;

mod account;
mod admin_access;
mod admin_audit;
mod admin_edit;
mod admin_rules;
mod admin_users;
mod auth_login;
mod auth_logout;
mod auth_password;
mod auth_refresh;
mod auth_register;
mod auth_verify;
mod avatar;
mod avatar_cloudinary;
mod avatar_refusals;
mod edge_accounts;
mod edge_enumeration;
mod edge_http;
mod edge_input;
mod edge_limits;
mod edge_redis;
mod edge_tokens;
mod import;
mod internal_grpc;
mod janitor;
mod meta;
mod notification_content;
mod notification_dead;
mod notification_outage;
mod notification_replicas;
mod profile;
mod service_failure;
mod tokens;
