//! Awaiting from `Drop`, which cannot: stopping a stack or dropping a database must finish
//! before the test ends, however it ends (a panicking test unwinds through `Drop` too).
use std::{future::Future, time::Duration};
use tokio::runtime::{Handle, RuntimeFlavor};

/// How long a cleanup may take before the test goes on without it.
const CLEANUP_DEADLINE: Duration = Duration::from_secs(30);

/// Runs `cleanup` to completion on a thread with a runtime of its own and waits for it. Not on
/// the test's runtime: it may be unwinding a panic, or (single-threaded) be the very thread
/// that would have to drive the future while this one blocks.
pub fn await_in_drop(cleanup: impl Future<Output = ()> + Send + 'static) {
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        let finished = runtime
            .expect("a cleanup runtime")
            .block_on(async { tokio::time::timeout(CLEANUP_DEADLINE, cleanup).await });
        if finished.is_err() {
            eprintln!("a test cleanup did not finish within {CLEANUP_DEADLINE:?}");
        }
    });
    let join = || {
        if thread.join().is_err() {
            eprintln!("a test cleanup panicked");
        }
    };
    match Handle::try_current() {
        // Blocking a worker of a multi-threaded runtime starves its other tasks unless the
        // runtime is told to move them elsewhere first.
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(join)
        }
        _ => join(),
    }
}
