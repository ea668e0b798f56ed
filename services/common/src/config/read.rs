//! Reading settings from the environment: typed values with defaults, the groups of variables
//! that go together, and the one error shape for a bad value.
use super::{CloudinarySettings, ConfigError, GrpcTlsFiles, ServiceUrls};
use std::net::SocketAddr;

/// `GRPC_TLS_CERT`, `GRPC_TLS_KEY` and `GRPC_TLS_CA`: all three or none.
pub(super) fn grpc_tls(get: &impl Fn(&str) -> Option<String>) -> Result<Option<GrpcTlsFiles>, ConfigError> {
    match (get("GRPC_TLS_CERT"), get("GRPC_TLS_KEY"), get("GRPC_TLS_CA")) {
        (Some(cert), Some(key), Some(ca)) => Ok(Some(GrpcTlsFiles {
            cert: cert.into(),
            key: key.into(),
            ca: ca.into(),
        })),
        (None, None, None) => Ok(None),
        _ => Err(invalid(
            "GRPC_TLS_CERT",
            "GRPC_TLS_CERT, GRPC_TLS_KEY and GRPC_TLS_CA must be set together",
        )),
    }
}

/// `*_SERVICE_URL`, defaulting to each service's loopback port (`https` with TLS).
pub(super) fn service_urls(get: &impl Fn(&str) -> Option<String>, tls: bool) -> ServiceUrls {
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
    get: &impl Fn(&str) -> Option<String>,
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

pub(super) const DAY: u64 = 86_400;

/// A count of `unit`-second units, in seconds, that must be at least 1: a zero or negative
/// retention would delete what was just written, and a zero interval would spin.
pub(super) fn positive(
    get: &impl Fn(&str) -> Option<String>,
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

/// Cloudinary settings when its three credentials are set; some but not all is a mistake.
pub(super) fn cloudinary(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<CloudinarySettings>, ConfigError> {
    match (
        get("CLOUDINARY_CLOUD_NAME"),
        get("CLOUDINARY_API_KEY"),
        get("CLOUDINARY_API_SECRET"),
    ) {
        (Some(cloud_name), Some(api_key), Some(secret)) => Ok(Some(CloudinarySettings {
            cloud_name,
            api_key,
            api_secret: secret.into(),
            api_base_url: get("CLOUDINARY_API_BASE_URL")
                .unwrap_or_else(|| "https://api.cloudinary.com".into())
                .trim_end_matches('/')
                .to_owned(),
        })),
        (None, None, None) => Ok(None),
        _ => Err(invalid(
            "CLOUDINARY_CLOUD_NAME",
            "CLOUDINARY_CLOUD_NAME, CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET go together",
        )),
    }
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
