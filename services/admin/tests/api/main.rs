//! Black-box tests of the admin service's library parts: the audit repository contract on both
//! databases. One test binary for the crate.
mod audit_contract;
mod helpers;
