//! The last-admin guard: writes that could take away someone's admin rights carry it in their
//! own `WHERE`, so the check and the write are one step.
/// Whether the row being written is not the only active, verified admin: either it is not one,
/// or another one exists.
macro_rules! another_admin_remains {
    () => {
        "(NOT (role = 'admin' AND is_active AND is_verified) \
         OR EXISTS (SELECT 1 FROM users AS other WHERE other.role = 'admin' \
         AND other.is_active AND other.is_verified AND other.id <> $1))"
    };
}

/// Deletes a user unless they are the last active, verified admin.
pub(super) const DELETE_KEEPING_ADMIN: &str = concat!(
    "DELETE FROM users WHERE id = $1 AND ",
    another_admin_remains!(),
    " RETURNING ",
    columns!()
);

/// PostgreSQL under READ COMMITTED evaluates each write's `EXISTS` on its own snapshot, so two
/// admins demoting each other at once would both see the other still in place. Locking every
/// admin row first serialises such writes; the second then re-reads and is refused. (SQLite
/// needs no lock: a write statement holds the database's single write lock throughout.)
pub(super) const LOCK_ADMINS_PG: &str = "SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE";
