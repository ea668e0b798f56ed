//! `astro-auth health-check`: asks one service process for its `grpc.health.v1` status over
//! the plane (with this process's `GRPC_TLS_*` identity), for container health checks and
//! Kubernetes exec probes, which cannot present a client certificate themselves.
use astro_platform::{
    config::ProcessSettings,
    grpc::{Peer, Plane},
};
use std::net::SocketAddr;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// Whether `service` at `addr` (its default address when `None`) reports SERVING.
pub async fn health_check(
    mut process: ProcessSettings,
    service: Peer,
    addr: Option<SocketAddr>,
) -> anyhow::Result<bool> {
    let scheme = if process.grpc_tls.is_some() {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{}", addr.unwrap_or_else(|| service.default_addr()));
    let urls = &mut process.services;
    match service {
        Peer::Auth => urls.auth = url,
        Peer::User => urls.user = url,
        Peer::Admin => urls.admin = url,
        Peer::Notification => urls.notification = url,
        Peer::Gateway => anyhow::bail!("the gateway has GET /ready, not gRPC health"),
    }
    let plane = Plane::network(&process)?;
    let response = HealthClient::new(plane.channel(service)?)
        .check(HealthCheckRequest::default())
        .await?;
    Ok(response.into_inner().status() == ServingStatus::Serving)
}
