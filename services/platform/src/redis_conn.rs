//! A Redis connection for shared state (revocations, rate limits). Connected lazily and
//! reconnected by itself, with short timeouts so an outage surfaces as an error within a second
//! instead of a hang.
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(1);

/// A connection manager for `url` that connects on first use.
pub fn connect(url: &str) -> redis::RedisResult<ConnectionManager> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(500));
    ConnectionManager::new_lazy_with_config(client, config)
}

/// Whether Redis answers a PING in time.
pub async fn ping(conn: &ConnectionManager) -> bool {
    let mut conn = conn.clone();
    let ping = redis::cmd("PING");
    let pong = ping.query_async::<String>(&mut conn);
    matches!(tokio::time::timeout(TIMEOUT, pong).await, Ok(Ok(_)))
}
