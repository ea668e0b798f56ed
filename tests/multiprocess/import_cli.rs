//! `astro-auth import-users` as an operator runs it: the summary on standard output, refused
//! rows making the exit status 1 with a one-line reason (no trace), a re-run importing nothing.
use std::process::Command;

#[test]
fn import_users_reports_and_exits_by_its_outcome() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("users.jsonl");
    let hash = bcrypt::hash("cli-0riginal-pass", 4).expect("bcrypt");
    let good = serde_json::json!({"email": "cli@import.test", "username": "cli_user", "password_hash": hash});
    let bad = serde_json::json!({"email": "cli2@import.test", "username": "cli2", "password_hash": "plain"});
    std::fs::write(&file, format!("{good}\n{bad}\n")).expect("writing the file");
    let database = format!("sqlite:///{}", dir.path().join("astro.db").display());
    let import = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_astro-auth"))
            .args(["import-users", "--file"])
            .arg(&file)
            .args(["--database-url", &database])
            .args(extra)
            .env_clear()
            .env("RUST_BACKTRACE", "1")
            .current_dir(dir.path())
            .output()
            .expect("running astro-auth import-users")
    };
    let first = import(&[]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&first.stderr),
    );
    assert_eq!(first.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("imported: 1, skipped (already present): 0, refused: 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("refused line 2: password_hash: not a bcrypt"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(&hash) && !stderr.contains(&hash),
        "a hash printed"
    );
    assert!(
        stderr.contains("1 rows refused") && !stderr.contains("backtrace"),
        "{stderr}"
    );

    std::fs::write(&file, format!("{good}\n")).expect("rewriting the file");
    let again = import(&[]);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("imported: 0, skipped (already present): 1, refused: 0"),
        "{stdout}"
    );
}
