//! Black-box tests of the notification service: the queue contract on both databases and the
//! real gRPC server on a loopback port. One test binary for the crate.
mod helpers;
mod queue_contract;
mod service;
mod smtp;
