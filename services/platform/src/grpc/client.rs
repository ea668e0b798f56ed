//! The client side of the plane: channels that connect on first use and reconnect after the
//! peer restarts, so a restarted service is picked up without restarting its callers.
use super::{
    CALL_TIMEOUT, CONNECT_TIMEOUT, Peer,
    in_process::{InProcessChannel, Registry},
};
use http::Uri;
use hyper_util::rt::TokioIo;
use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};
use tokio::net::TcpStream;
use tonic::{
    Request, Status,
    body::Body,
    service::interceptor::InterceptedService,
    transport::{Channel, ClientTlsConfig, Endpoint},
};

/// Buffer of one in-process pipe direction; HTTP/2 flow control does the rest.
const PIPE_BYTES: usize = 256 * 1024;

/// Puts the caller's W3C trace context into every outgoing call.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracePropagation;

impl tonic::service::Interceptor for TracePropagation {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        crate::telemetry::inject_current(request.metadata_mut());
        Ok(request)
    }
}

/// The channel type of every gRPC client: reconnecting, trace-propagating.
pub type GrpcChannel = InterceptedService<PlaneChannel, TracePropagation>;

/// What a call fails with below gRPC: a transport error, or the plane's own `Status`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A channel over the network (HTTP/2 over TCP), or into a service of this process.
#[derive(Clone)]
pub struct PlaneChannel(Route);

#[derive(Clone)]
enum Route {
    Network(Channel),
    InProcess(InProcessChannel),
}

impl tower::Service<http::Request<Body>> for PlaneChannel {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match &mut self.0 {
            Route::Network(channel) => channel.poll_ready(cx).map_err(Into::into),
            Route::InProcess(_) => Poll::Ready(Ok(())),
        }
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        match &mut self.0 {
            Route::Network(channel) => {
                let call = channel.call(request);
                Box::pin(async move { Ok(call.await?) })
            }
            Route::InProcess(channel) => channel.call(request),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid service URL {url}: {reason}")]
pub struct BadServiceUrl {
    url: String,
    reason: String,
}

/// The settings every channel shares, in process or not.
fn configure(endpoint: Endpoint) -> Endpoint {
    endpoint
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true)
}

/// A channel to a service process at `url`, over mutual TLS when `tls` is given (then the URL
/// must say `https`, so a typo cannot silently fall back to plaintext).
pub(crate) fn network_channel(url: &str, tls: Option<ClientTlsConfig>) -> Result<GrpcChannel, BadServiceUrl> {
    let bad = |reason: String| BadServiceUrl {
        url: url.to_owned(),
        reason,
    };
    let mut endpoint = configure(Endpoint::from_shared(url.to_owned()).map_err(|e| bad(e.to_string()))?);
    if let Some(tls) = tls {
        if endpoint.uri().scheme_str() != Some("https") {
            return Err(bad(
                "with GRPC_TLS_* set, service URLs must start with https://".into()
            ));
        }
        endpoint = endpoint.tls_config(tls).map_err(|e| bad(e.to_string()))?;
    }
    let channel = endpoint.connect_with_connector_lazy(tower::service_fn(connect_tcp));
    Ok(InterceptedService::new(
        PlaneChannel(Route::Network(channel)),
        TracePropagation,
    ))
}

/// Connects to the URL's host, refusing a TCP self-connect: while nothing listens on a
/// loopback port inside the ephemeral range, the kernel may give a connecting socket that very
/// port as its own, and the socket then "connects" to itself and holds the port, so the
/// restarting service cannot bind it.
async fn connect_tcp(uri: Uri) -> io::Result<TokioIo<TcpStream>> {
    let host = uri.host().unwrap_or("localhost");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(if uri.scheme_str() == Some("https") {
        443
    } else {
        80
    });
    let mut last_error = io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"));
    for addr in tokio::net::lookup_host((host, port)).await? {
        match connect_addr(addr).await {
            Ok(stream) => return Ok(TokioIo::new(stream)),
            Err(err) => last_error = err,
        }
    }
    Err(last_error)
}

async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = refuse_self_connect(TcpStream::connect(addr).await?)?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Drops a socket connected to itself, with a reset rather than a close, so the port is not
/// held in TIME-WAIT either.
fn refuse_self_connect(stream: TcpStream) -> io::Result<TcpStream> {
    let local = stream.local_addr()?;
    if local == stream.peer_addr()? {
        stream.set_zero_linger()?;
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("{local}: nothing listens (TCP self-connect dropped)"),
        ));
    }
    Ok(stream)
}

/// A channel to `service` in this process: calls go straight into its server stack, or, to a
/// stand-in speaking HTTP/2 itself, over an in-memory pipe per connection.
pub(crate) fn in_process_channel(service: Peer, registry: &Arc<Registry>) -> GrpcChannel {
    let queues = Arc::clone(registry);
    let connector = tower::service_fn(move |_: Uri| {
        let queue = queues.pipe_queue(service);
        async move {
            let refused = || {
                io::Error::new(
                    io::ErrorKind::ConnectionRefused,
                    format!("the {service} service is not running"),
                )
            };
            let queue = queue.ok_or_else(refused)?;
            let (client, server) = tokio::io::duplex(PIPE_BYTES);
            queue.send(server).await.map_err(|_| refused())?;
            Ok::<_, io::Error>(TokioIo::new(client))
        }
    });
    let endpoint = Endpoint::from_shared(format!("http://{service}.in-process"))
        .expect("a valid URI for every service name");
    let pipes = configure(endpoint).connect_with_connector_lazy(connector);
    InterceptedService::new(
        PlaneChannel(Route::InProcess(registry.channel(service, pipes))),
        TracePropagation,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A socket bound to a port and connecting to that same port, with nothing listening,
    /// connects to itself (TCP simultaneous open): what a reconnect loop can hit by chance.
    #[tokio::test]
    async fn a_self_connected_socket_is_refused_and_its_port_freed() {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .bind("127.0.0.1:0".parse().unwrap())
            .expect("binding a port");
        let addr = socket.local_addr().expect("the bound address");
        let stream = socket.connect(addr).await.expect("a self-connect");
        assert_eq!(stream.local_addr().unwrap(), stream.peer_addr().unwrap());

        let refused = refuse_self_connect(stream).expect_err("a self-connect is refused");
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
        // The port is free again for the service that should own it.
        tokio::net::TcpListener::bind(addr)
            .await
            .expect("the port can be bound again");
    }

    #[tokio::test]
    async fn a_real_peer_is_kept() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = connect_addr(listener.local_addr().unwrap()).await;
        assert!(stream.is_ok(), "{stream:?}");
    }
}
