//! Reading variables: typed values with defaults, and the one error shape for a bad value.
use super::{ConfigError, ServiceUrls};
use std::net::SocketAddr;

/// Where variables come from: the environment and flags, or a test's pairs. Unset and blank
/// are the same.
pub type Lookup<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// `*_SERVICE_URL`, defaulting to each service's loopback port (`https` with TLS).
pub(super) fn service_urls(get: &Lookup, tls: bool) -> ServiceUrls {
    let scheme = if tls { "https" } else { "http" };
    let url = |name: &str, peer: crate::grpc::Peer| {
        get(name).unwrap_or_else(|| format!("{scheme}://{}", peer.default_addr()))
    };
    ServiceUrls {
        auth: url("AUTH_SERVICE_URL", crate::grpc::Peer::Auth),
        user: url("USER_SERVICE_URL", crate::grpc::Peer::User),
        admin: url("ADMIN_SERVICE_URL", crate::grpc::Peer::Admin),
        notification: url("NOTIFICATION_SERVICE_URL", crate::grpc::Peer::Notification),
    }
}

pub(super) fn parse<T: std::str::FromStr>(
    get: &Lookup,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match get(name) {
        None => Ok(default),
        Some(value) => value.trim().parse().map_err(|e| invalid(name, e)),
    }
}

/// Seconds in a day.
pub(super) const DAY: u64 = 86_400;

/// A value that has no default: unset is `None`.
pub(super) fn optional<T: std::str::FromStr>(
    get: &Lookup,
    name: &'static str,
) -> Result<Option<T>, ConfigError>
where
    T::Err: std::fmt::Display,
{
    get(name)
        .map(|value| value.trim().parse().map_err(|e| invalid(name, e)))
        .transpose()
}

/// A count of `unit`-second units, in seconds, that must be at least 1: a zero or negative
/// retention would delete what was just written, and a zero interval would spin.
pub(super) fn positive(
    get: &Lookup,
    name: &'static str,
    default: u64,
    unit: u64,
) -> Result<u64, ConfigError> {
    // Signed, so "-1" gets the clear answer below rather than "invalid digit".
    let value: i64 = parse(get, name, default as i64)?;
    let value = u64::try_from(value)
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| invalid(name, format!("must be a positive whole number, got {value}")))?;
    value
        .checked_mul(unit)
        .ok_or_else(|| invalid(name, format!("{value} is too large")))
}

pub(super) fn invalid(name: &'static str, reason: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.to_string(),
    }
}

/// A JSON list (`["a","b"]`, the original's form) or a comma-separated list.
pub(super) fn list(value: Option<String>) -> Vec<String> {
    let Some(value) = value else {
        return Vec::new();
    };
    if let Ok(items) = serde_json::from_str::<Vec<String>>(&value) {
        return items;
    }
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

pub(super) fn socket_addr(host: &str, port: u16) -> Result<SocketAddr, ConfigError> {
    let ip: std::net::IpAddr = match host {
        "localhost" => std::net::Ipv4Addr::LOCALHOST.into(),
        other => other.parse().map_err(|e| invalid("HOST", e))?,
    };
    Ok(SocketAddr::new(ip, port))
}
