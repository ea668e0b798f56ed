//! The signing keys on either database.
use crate::repo::{
    RepoResult, SqlAuthRepo,
    signing_keys::{SigningKeyRepo, StoredKey},
};
use astro_store::on_pool;
use async_trait::async_trait;

/// `ON CONFLICT DO NOTHING` on the unique generation: the one insert of a generation wins.
const INSERT_KEY: &str = "INSERT INTO signing_keys \
     (kid, generation, algorithm, public_key, sealed_private_key, created_at, not_before) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (generation) DO NOTHING";
const SELECT_KEYS: &str = "SELECT kid, generation, algorithm, public_key, sealed_private_key, \
     created_at, not_before FROM signing_keys ORDER BY generation";
const DELETE_KEY: &str = "DELETE FROM signing_keys WHERE kid = $1";

#[async_trait]
impl SigningKeyRepo for SqlAuthRepo {
    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.insert_signing_key"))]
    async fn insert_signing_key(&self, key: &StoredKey) -> RepoResult<bool> {
        let inserted = on_pool!(self.db, |pool| {
            sqlx::query(INSERT_KEY)
                .bind(&key.kid)
                .bind(key.generation)
                .bind(&key.algorithm)
                .bind(&key.public_key)
                .bind(&key.sealed_private_key)
                .bind(key.created_at)
                .bind(key.not_before)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(inserted == 1)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.signing_keys"))]
    async fn signing_keys(&self) -> RepoResult<Vec<StoredKey>> {
        on_pool!(self.db, |pool| sqlx::query_as(SELECT_KEYS).fetch_all(pool).await)
    }

    #[tracing::instrument(name = "db.query", skip_all, fields(db.operation = "auth.delete_signing_keys"))]
    async fn delete_signing_keys(&self, kids: &[String]) -> RepoResult<()> {
        on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            for kid in kids {
                sqlx::query(DELETE_KEY).bind(kid).execute(&mut *tx).await?;
            }
            tx.commit().await
        })
    }
}
