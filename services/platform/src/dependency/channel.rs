//! The channel of a client of another service. Every transport failure under it (connection
//! refused, reset, closed mid-call or mid-answer, timed out) is recorded under that service's
//! name and reaches the caller as `UNAVAILABLE`, whatever stage of the call it broke at: the
//! caller needs no knowledge of transport errors to answer 503.
use super::{ErrorChain, record, unavailable};
use crate::grpc::{GrpcChannel, Peer, Plane, PlaneError};
use http_body::{Body, Frame, SizeHint};
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The channel type of every client of another service.
pub type ServiceChannel = WatchedChannel<GrpcChannel>;

/// A lazy channel to `service` on `plane` (see [`Plane::channel`]), its failures recorded
/// under the service's name.
pub fn service_channel(plane: &Plane, service: Peer) -> Result<ServiceChannel, PlaneError> {
    Ok(WatchedChannel::new(service.name(), plane.channel(service)?))
}

/// Wraps a channel to `dependency`; see the module docs.
#[derive(Clone, Debug)]
pub struct WatchedChannel<S> {
    inner: S,
    dependency: &'static str,
}

impl<S> WatchedChannel<S> {
    pub fn new(dependency: &'static str, inner: S) -> Self {
        WatchedChannel { inner, dependency }
    }
}

impl<S, B, R> tower::Service<http::Request<B>> for WatchedChannel<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = http::Response<WatchedBody<R>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        let dependency = self.dependency;
        self.inner
            .poll_ready(cx)
            .map_err(|err| failed(dependency, err.into()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let dependency = self.dependency;
        let call = self.inner.call(request);
        Box::pin(async move {
            match call.await {
                Ok(response) => Ok(response.map(|inner| WatchedBody { inner, dependency })),
                Err(err) => Err(failed(dependency, err.into())),
            }
        })
    }
}

/// An answer's body, whose read errors (the connection lost after the headers) are failures
/// of the service too.
#[derive(Debug)]
pub struct WatchedBody<B> {
    inner: B,
    dependency: &'static str,
}

impl<B> Body for WatchedBody<B>
where
    B: Body + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, BoxError>>> {
        let dependency = self.dependency;
        Pin::new(&mut self.inner)
            .poll_frame(cx)
            .map_err(|err| failed(dependency, err.into()))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Records a transport failure of `dependency` and makes it the status callers see. (A status
/// the service itself answered never comes here: it is a response, not an error.)
fn failed(dependency: &'static str, err: BoxError) -> BoxError {
    record(dependency, &ErrorChain(&*err));
    Box::new(unavailable())
}
