//! One test body, run once on SQLite and once on PostgreSQL, as two tests: a failure names its
//! backend, and the PostgreSQL one passes with a note where no server is configured.

/// The database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Both, SQLite first: for a contract that loops over the backends within one test.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
}

/// `testkit::per_backend!(name, |backend| { .. })`: a module `name` holding the tests `sqlite`
/// and `postgres`, each running the block with `backend` set to its [`Backend`](crate::Backend).
/// The block sees the items of the module the macro is called in.
#[macro_export]
macro_rules! per_backend {
    ($name:ident, |$backend:ident| $run:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $backend = $crate::Backend::Sqlite;
                $run
            }

            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $backend = $crate::Backend::Postgres;
                $run
            }
        }
    };
}

/// `testkit::on_both_backends!(run => a, b)`: the modules `sqlite` and `postgres`, each holding
/// the tests `a` and `b`, which call `run(backend, super::a)` (`run` sets up what `a` takes).
/// `testkit::on_both_backends!(mod lite, pg; run => a)` names the two modules, for a second
/// set of tests in the same module.
#[macro_export]
macro_rules! on_both_backends {
    (mod $sqlite:ident, $postgres:ident; $run:path => $($name:ident),+ $(,)?) => {
        mod $sqlite {
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $run($crate::Backend::Sqlite, super::$name).await;
                }
            )+
        }

        mod $postgres {
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    $run($crate::Backend::Postgres, super::$name).await;
                }
            )+
        }
    };
    ($run:path => $($name:ident),+ $(,)?) => {
        $crate::on_both_backends!(mod sqlite, postgres; $run => $($name),+);
    };
}
