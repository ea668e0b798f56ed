//! The repository contract suites' runner: testkit's, with this service's database prefix.
use astro_store::{Db, Migrations};

/// Runs `contract` on a fresh, migrated SQLite database and, when `TEST_DATABASE_URL` is set,
/// on a fresh, migrated PostgreSQL one.
pub async fn on_both<F, Fut>(migrations: &Migrations, contract: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    testkit::on_each_backend("ad", migrations, contract).await;
}
