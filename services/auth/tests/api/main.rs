//! Black-box tests of the auth service's library parts: the repository contract on both
//! databases. One test binary for the crate.
mod helpers;
mod repo;
