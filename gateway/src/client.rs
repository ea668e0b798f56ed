//! The client behind a request: its address (the socket peer, or `X-Forwarded-For` when the
//! peer is a trusted proxy) and user agent, forwarded to services for audit and limits.
use crate::state::AppState;
use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};
use std::{
    convert::Infallible,
    net::{IpAddr, SocketAddr},
};

#[derive(Clone, Debug)]
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: String,
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        let ip = if state.is_trusted_proxy(peer) {
            forwarded_client(parts, state).unwrap_or(peer)
        } else {
            peer
        };
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(512)
            .collect();
        Ok(ClientInfo { ip, user_agent })
    }
}

/// The right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
fn forwarded_client(parts: &Parts, state: &AppState) -> Option<IpAddr> {
    let header = parts.headers.get_all("x-forwarded-for");
    let hops: Vec<IpAddr> = header
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    hops.into_iter().rev().find(|ip| !state.is_trusted_proxy(*ip))
}
