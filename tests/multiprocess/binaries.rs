//! The per-service binaries. Cargo hands integration tests only the root package's own
//! executables, so the five processes are built here, once per test binary, with the same
//! profile and target directory as the test itself (a no-op when they are up to date).
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

const PACKAGES: [&str; 6] = [
    "gateway",
    "auth-service",
    "user-service",
    "admin-service",
    "notification-service",
    "example-consumer",
];

/// Builds the binaries on first call; returns the directory they are in.
pub fn build_once() -> &'static Path {
    static PROFILE_DIR: OnceLock<PathBuf> = OnceLock::new();
    PROFILE_DIR.get_or_init(build)
}

/// The path of `name`, one of the binaries of [`PACKAGES`].
pub fn path(name: &str) -> PathBuf {
    let path = build_once().join(name);
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// Runs `cargo build` for the service packages and returns `target/<profile>/`.
fn build() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // The test runs as target/<profile>/deps/<test>-<hash>.
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let target_dir = profile_dir.parent().expect("target/<profile> has a parent");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(other) => other,
        None => panic!("unexpected profile directory {}", profile_dir.display()),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = std::time::Instant::now();
    let mut command = Command::new(cargo);
    // What cargo sets for the running test (CARGO_PKG_NAME...) must not leak into the build:
    // build scripts (ring's) rerun when those change, which would rebuild half the tree on
    // every run, here and in the next `cargo test`.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if is_set_for_tests(&name) {
            command.env_remove(name.as_ref());
        }
    }
    let status = command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", target_dir)
        .args(["build", "--bins", "--profile", profile])
        .args(PACKAGES.iter().flat_map(|package| ["-p", package]))
        .status()
        .expect("running cargo build");
    assert!(
        status.success(),
        "cargo build of the service binaries failed: {status}"
    );
    eprintln!("service binaries ready in {:.1?}", started.elapsed());
    profile_dir.to_owned()
}

/// The variables cargo sets for a test or build script it runs (not user configuration).
fn is_set_for_tests(name: &str) -> bool {
    ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_BIN_", "CARGO_CFG_"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
        || [
            "CARGO_CRATE_NAME",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_TMPDIR",
            "OUT_DIR",
        ]
        .contains(&name)
}
