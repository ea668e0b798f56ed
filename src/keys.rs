//! `astro-auth keys rotate`: the operator's side of the signing keys (`JWT_ALGORITHM=EdDSA`),
//! run with the server's configuration against its database while the servers run. They see
//! the next key within `JWT_KEYS_REFRESH_SECONDS`; it signs from
//! `JWT_KEY_PUBLISH_AHEAD_SECONDS` on (see `auth_service::signing`).
use anyhow::Context;
use astro_platform::Settings;
use astro_store::Db;
use auth_service::signing::{Rotation, SigningKeys};

/// Publishes a next signing key and removes the keys no live token carries; at `now`, seconds
/// since the epoch.
pub async fn rotate(settings: &Settings, now: i64) -> anyhow::Result<Rotation> {
    let db = Db::connect(&settings.database.url).await?;
    db.migrate(&auth_service::MIGRATIONS).await?;
    let keys = SigningKeys::for_db(&db, &settings.into()).context("DATA_ENCRYPTION_KEY")?;
    let rotated = keys.rotate(now).await;
    db.close().await;
    Ok(rotated?)
}
