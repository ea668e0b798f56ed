//! Each binary reads only the settings groups it needs, and its `--help` says which: every
//! variable it honours as a flag with its `[env: …]`, none it ignores, no secret's value.
use crate::binaries;
use std::process::{Command, Output};

fn run(binary: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(binary)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|err| panic!("running {}: {err}", binary.display()))
}

/// (binary, flags its help must list, flags it must not).
const SURFACES: [(&str, &[&str], &[&str]); 5] = [
    (
        "gateway",
        &[
            "--port",
            "--cors-origins",
            "--jwt-secret",
            "--redis-url",
            "--trusted-proxies",
        ],
        &[
            "--database-url",
            "--argon2-memory-kib",
            "--smtp-host",
            "--avatar-dir",
        ],
    ),
    (
        "auth-service",
        &[
            "--database-url",
            "--jwt-secret",
            "--argon2-memory-kib",
            "--initial-admin-email",
            "--mail-retry-base-ms",
        ],
        &["--port", "--cors-origins", "--smtp-host", "--avatar-dir"],
    ),
    (
        "user-service",
        &[
            "--database-url",
            "--avatar-dir",
            "--cloudinary-api-key",
            "--base-url",
        ],
        &["--jwt-secret", "--smtp-host", "--port", "--argon2-memory-kib"],
    ),
    (
        "admin-service",
        &["--database-url", "--jwt-secret", "--audit-retention-days"],
        &["--smtp-host", "--port", "--avatar-dir", "--argon2-memory-kib"],
    ),
    (
        "notification-service",
        &[
            "--database-url",
            "--smtp-host",
            "--template-dir",
            "--frontend-url",
        ],
        &["--jwt-secret", "--port", "--avatar-dir", "--argon2-memory-kib"],
    ),
];

#[test]
fn each_binary_lists_exactly_the_variables_it_reads() {
    const SECRET: &str = "a-secret-value-that-must-never-print";
    for (name, listed, absent) in SURFACES {
        let output = run(
            &binaries::path(name),
            &["--help"],
            &[
                ("JWT_SECRET", SECRET),
                ("DATABASE_URL", SECRET),
                ("SMTP_PASSWORD", SECRET),
            ],
        );
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{name} --help: {help}");
        for flag in listed {
            assert!(help.contains(flag), "{name} --help lacks {flag}:\n{help}");
        }
        for flag in absent {
            assert!(
                !help.contains(flag),
                "{name} --help lists {flag}, which it does not read:\n{help}"
            );
        }
        assert!(
            help.contains("[env: ENVIRONMENT"),
            "{name}: variables are named: {help}"
        );
        assert!(!help.contains(SECRET), "{name} --help shows a secret:\n{help}");
    }
    let one = run(
        std::path::Path::new(env!("CARGO_BIN_EXE_astro-auth")),
        &["--help"],
        &[],
    );
    let help = String::from_utf8_lossy(&one.stdout);
    for word in [
        "import-users",
        "--cors-origins",
        "--argon2-memory-kib",
        "--smtp-host",
        "--avatar-dir",
    ] {
        assert!(help.contains(word), "astro-auth --help lacks {word}:\n{help}");
    }
}

#[test]
fn a_bad_value_stops_the_start_and_names_its_variable() {
    let output = run(&binaries::path("gateway"), &[], &[("PORT", "eighty")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "started with PORT=eighty");
    assert!(stderr.contains("PORT has an invalid value"), "{stderr}");
    // A flag wins over the environment, with the same check.
    let output = run(
        &binaries::path("gateway"),
        &["--port", "eighty"],
        &[("PORT", "8000")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PORT has an invalid value"), "{stderr}");
}
