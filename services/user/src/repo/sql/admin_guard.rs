//! The last-admin guard: writes that could take away someone's admin rights carry it in their
//! own `WHERE`, so the check and the write are one step.
use super::{
    SqlUserRepo,
    statements::{SELECT_BY_ID, UPDATE},
};
use crate::repo::{UserChanges, UserError, UserRecord, write_error};
use astro_domain::{Email, Username};
use astro_platform::time::now_micros;
use astro_store::{Db, on_pool};

/// Whether the row being written is not the only active, verified admin: either it is not one,
/// or another one exists. (A macro only so that `concat!` can splice it into statements.)
macro_rules! another_admin_remains {
    () => {
        "(NOT (role = 'admin' AND is_active AND is_verified) \
         OR EXISTS (SELECT 1 FROM users AS other WHERE other.role = 'admin' \
         AND other.is_active AND other.is_verified AND other.id <> $1))"
    };
}

/// Deletes a user unless they are the last active, verified admin.
const DELETE_KEEPING_ADMIN: &str = concat!(
    "DELETE FROM users WHERE id = $1 AND ",
    another_admin_remains!(),
    " RETURNING ",
    columns!()
);

/// PostgreSQL under READ COMMITTED evaluates each write's `EXISTS` on its own snapshot, so two
/// admins demoting each other at once would both see the other still in place. Locking every
/// admin row first serialises such writes; the second then re-reads and is refused.
const LOCK_ADMINS_PG: &str = "SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE";

/// The statement a guarded write runs first on `db`, if any. SQLite needs none: a write
/// statement holds the database's single write lock throughout.
fn lock_admins(db: &Db) -> Option<&'static str> {
    match db {
        Db::Postgres(_) => Some(LOCK_ADMINS_PG),
        Db::Sqlite(_) => None,
    }
}

/// A write the last-admin guard applies to.
pub(super) enum Guarded {
    Update(UserChanges),
    Delete,
}

impl SqlUserRepo {
    /// Runs `write`, whose `WHERE` keeps an admin in place, after taking the admin lock when
    /// the write could remove one. No row back means the user is absent or the guard refused.
    pub(super) async fn guarded(&self, id: i64, write: Guarded) -> Result<UserRecord, UserError> {
        let lock = match &write {
            Guarded::Update(changes) => changes.may_remove_an_admin(),
            Guarded::Delete => true,
        };
        let lock = lock_admins(&self.db).filter(|_| lock);
        let now = now_micros();
        on_pool!(self.db, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(sql) = lock {
                sqlx::query(sql).execute(&mut *tx).await?;
            }
            let query = match write {
                Guarded::Update(changes) => {
                    let key = changes.username.as_ref().map(Username::key);
                    sqlx::query_as(UPDATE)
                        .bind(id)
                        .bind(changes.email.is_some())
                        .bind(changes.email.map(Email::into_inner))
                        .bind(changes.username.is_some())
                        .bind(changes.username.map(Username::into_inner))
                        .bind(key)
                        .bind(changes.first_name.is_some())
                        .bind(changes.first_name.flatten())
                        .bind(changes.last_name.is_some())
                        .bind(changes.last_name.flatten())
                        .bind(changes.avatar_url.is_some())
                        .bind(changes.avatar_url.flatten())
                        .bind(changes.role.map(|r| r.as_str()))
                        .bind(changes.is_verified)
                        .bind(changes.is_active)
                        .bind(now)
                }
                Guarded::Delete => sqlx::query_as(DELETE_KEEPING_ADMIN).bind(id),
            };
            let Some(record) = query.fetch_optional(&mut *tx).await.map_err(write_error)? else {
                let exists = sqlx::query(SELECT_BY_ID)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(if exists.is_some() {
                    UserError::LastAdmin
                } else {
                    UserError::NotFound
                });
            };
            tx.commit().await?;
            Ok(record)
        })
    }
}
