//! `astro-auth import-users`: the original backend's users, with their passwords, into the
//! user service's table, through its own repository (the contract's "Moving from the original
//! backend"). Their bcrypt hashes are checked at login until the first success rehashes them
//! to argon2id (`auth_service::hashing`).
mod row;
mod source;

pub use source::{Labelled, SourceRow, from_database, from_file};

use astro_domain::{Email, input};
use std::collections::HashMap;
use std::io::Write;
use user_service::{UserError, repo::UserRepo};

/// How to import.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Check and report, write nothing.
    pub dry_run: bool,
    /// Import rows whose role is admin (refused otherwise).
    pub allow_admin: bool,
}

/// What an import did (or, dry, would do).
#[derive(Debug, Default)]
pub struct Summary {
    pub imported: usize,
    /// Already imported: a user with the same email and password hash exists.
    pub skipped: usize,
    /// By label (email or line), with the reason.
    pub refused: Vec<(String, String)>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "imported: {}, skipped (already present): {}, refused: {}",
            self.imported,
            self.skipped,
            self.refused.len()
        )?;
        for (label, reason) in &self.refused {
            writeln!(f, "  refused {label}: {reason}")?;
        }
        Ok(())
    }
}

/// Inputs larger than this show their progress on standard error.
const PROGRESS_FROM: usize = 1_000;

/// Checks and imports `rows` in order: a row is refused when it breaks a rule, repeats an
/// email or username (case-insensitively) of an earlier row, or meets an existing user of
/// another email or hash; skipped when its user is already there with the same hash.
pub async fn import(
    repo: &dyn UserRepo,
    rows: Vec<Labelled>,
    options: Options,
) -> Result<Summary, UserError> {
    let mut summary = Summary::default();
    let mut emails: HashMap<String, String> = HashMap::new();
    let mut usernames: HashMap<String, String> = HashMap::new();
    let total = rows.len();
    for (done, Labelled { label, row }) in rows.into_iter().enumerate() {
        if total >= PROGRESS_FROM && done % 500 == 0 {
            eprint!("\rimporting: {done}/{total}");
            let _ = std::io::stderr().flush();
        }
        let user = match row.and_then(|row| row::check(row, options.allow_admin)) {
            Ok(user) => user,
            Err(reason) => {
                summary.refused.push((label, reason));
                continue;
            }
        };
        let username_key = input::username_key(user.username.as_str());
        if let Some(first) = emails.get(user.email.as_str()) {
            summary.refused.push((label, format!("email repeats {first}")));
            continue;
        }
        if let Some(first) = usernames.get(&username_key) {
            summary.refused.push((label, format!("username repeats {first}")));
            continue;
        }
        emails.insert(user.email.as_str().to_owned(), label.clone());
        usernames.insert(username_key, label.clone());
        match existing(repo, &user.email).await? {
            Some(hash) if hash == user.password_hash => {
                summary.skipped += 1;
                continue;
            }
            Some(_) => {
                summary.refused.push((label, "email already registered".into()));
                continue;
            }
            None => {}
        }
        if repo.username_exists(&user.username).await? {
            summary.refused.push((label, "username already taken".into()));
            continue;
        }
        if options.dry_run {
            summary.imported += 1;
            continue;
        }
        match repo.import(user).await {
            Ok(_) => summary.imported += 1,
            // Registered meanwhile, between the check and the insert.
            Err(UserError::Conflict(field)) => {
                summary.refused.push((label, format!("{field} already taken")))
            }
            Err(err) => return Err(err),
        }
    }
    if total >= PROGRESS_FROM {
        eprintln!("\rimporting: {total}/{total}");
    }
    Ok(summary)
}

/// The password hash of the user with `email`, if there is one.
async fn existing(repo: &dyn UserRepo, email: &Email) -> Result<Option<String>, UserError> {
    match repo.get_by_email(email).await {
        Ok(user) => Ok(Some(user.password_hash)),
        Err(UserError::NotFound) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Imports `rows` into the user service's database at `database_url` (migrated first, so a
/// fresh deployment can be filled before it starts). With separate processes, that is the
/// user service's `DATABASE_URL`.
pub async fn into_database(
    database_url: &str,
    rows: Vec<Labelled>,
    options: Options,
) -> anyhow::Result<Summary> {
    let db = astro_store::Db::connect(database_url).await?;
    db.migrate(&user_service::MIGRATIONS).await?;
    let repo = user_service::repo::for_db(&db);
    let summary = import(&*repo, rows, options).await;
    db.close().await;
    Ok(summary?)
}
