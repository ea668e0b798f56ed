//! Redis for the edge tests: the shared server of `TEST_REDIS_URL` under a key prefix of the
//! test's own, a private `redis-server` process a test may stop and restart, and a second
//! gateway in front of a stack's services (as a second replica would be).
use crate::helpers::{Backend, TestApp};
use gateway::GatewayApp;
use std::{
    future::Future,
    net::{SocketAddr, TcpListener as StdListener},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// `redis_backends!(name, env = [..], |app| ..)`: like `both_backends!`, with the stack's
/// `REDIS_URL` set to `TEST_REDIS_URL` under a fresh key prefix; passes with a note when unset.
macro_rules! redis_backends {
    ($name:ident, $($test:tt)*) => {
        $crate::helpers::app_tests!($crate::redis_support::run, $name, $($test)*);
    };
}
pub(crate) use redis_backends;

/// Runs `test` on a stack whose revocations and limits live in the shared Redis, then deletes
/// the test's keys.
pub async fn run<F, Fut>(backend: Backend, env: &[(&str, &str)], test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("skipped: TEST_REDIS_URL is not set");
        return;
    };
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let redis_env = [("REDIS_URL", url.as_str()), ("REDIS_KEY_PREFIX", prefix.as_str())];
    let env: Vec<(&str, &str)> = redis_env.into_iter().chain(env.iter().copied()).collect();
    crate::helpers::run(backend, &env, test).await;
    let mut conn = connect(&url).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .expect("listing the test's keys");
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .expect("DEL");
    }
}

/// A connection to the Redis at `url`.
pub async fn connect(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).expect("a Redis URL");
    client
        .get_multiplexed_async_connection()
        .await
        .expect("connecting to Redis")
}

/// A connection to the app's Redis and the app's key prefix.
pub async fn app_redis(app: &TestApp) -> (redis::aio::MultiplexedConnection, String) {
    let settings = app.settings();
    let url = settings.redis.url.as_deref().expect("the app uses Redis");
    (connect(url).await, settings.redis.key_prefix.clone())
}

/// A `redis-server` of the test's own on a free port, without persistence.
pub struct RedisServer {
    port: u16,
    process: Option<Child>,
}

impl RedisServer {
    /// `None`, with a note, when there is no `redis-server` binary.
    pub async fn start() -> Option<RedisServer> {
        let port = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("finding a free port")
            .port();
        let mut server = RedisServer { port, process: None };
        match server.restart().await {
            Ok(()) => Some(server),
            Err(err) => {
                eprintln!("skipped: cannot run redis-server ({err})");
                None
            }
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server, as a crash would.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Starts the server (again) on the same port and waits until it answers.
    pub async fn restart(&mut self) -> std::io::Result<()> {
        let port = self.port.to_string();
        let process = Command::new("redis-server")
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.process = Some(process);
        let client = redis::Client::open(self.url()).expect("a Redis URL");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await
                && redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok()
            {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Another gateway in front of `app`'s services with `app`'s settings: a second replica that
/// shares the revocations and rate limits only through Redis.
pub struct SecondGateway {
    addr: SocketAddr,
    stop: CancellationToken,
    _serving: JoinHandle<std::io::Result<()>>,
}

impl SecondGateway {
    pub async fn start(app: &TestApp) -> SecondGateway {
        Self::start_with(app, |gateway| gateway).await
    }

    /// A second gateway, `configure`d before it serves.
    pub async fn start_with(
        app: &TestApp,
        configure: impl FnOnce(GatewayApp) -> GatewayApp,
    ) -> SecondGateway {
        let settings = app.settings();
        let revocations =
            astro_security::revocation::from_settings(&settings.redis).expect("the revocation store");
        let gateway = GatewayApp::build(&settings.into(), app.stack().plane(), revocations)
            .await
            .expect("building the second gateway");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding");
        let addr = listener.local_addr().expect("the bound address");
        let stop = CancellationToken::new();
        let serving = tokio::spawn(configure(gateway).serve(listener, stop.clone()));
        SecondGateway {
            addr,
            stop,
            _serving: serving,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for SecondGateway {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
