//! The one-process plane: a call from one service to another goes straight into the callee's
//! tower stack (the same tonic codecs, services and server layers as over TCP), with no HTTP/2
//! connection, pipe or connection task in between. Stand-ins that speak HTTP/2 themselves (a
//! test's broken service) are still reached over in-memory pipes.
//!
//! Each service has an [`Entrance`] that its callers watch: a listener makes it `Pending`
//! (callers wait, as a connection would queue in a listen backlog), serving makes it `Direct`,
//! and stopping makes it `Closed` once the calls in flight have finished. Every listener has a
//! generation, so a stopping instance never closes the entrance its restarted successor owns.
use super::{CALL_TIMEOUT, CONNECT_TIMEOUT, Peer};
use std::{
    collections::HashMap,
    convert::Infallible,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};
use tokio::{
    io::DuplexStream,
    sync::{Semaphore, mpsc, watch},
};
use tonic::{Status, body::Body, transport::Channel};

/// Connections a stand-in accepts before it reads them (its listen backlog).
const PIPE_BACKLOG: usize = 64;
/// More calls than can ever be in flight at once: draining takes them all.
const CALL_SLOTS: u32 = 1 << 24;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// One call into a service's tower stack.
type CallFn =
    dyn Fn(http::Request<Body>) -> BoxFuture<Result<http::Response<Body>, Infallible>> + Send + Sync;

/// A served service, called in place.
#[derive(Clone)]
pub(crate) struct DirectService {
    call: Arc<CallFn>,
    /// One permit per call in flight; stopping takes them all, then closes it.
    in_flight: Arc<Semaphore>,
}

impl DirectService {
    /// Wraps a service's whole server stack (cloned per call, as a connection would).
    pub(crate) fn new<S>(stack: S) -> Self
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        use tower::ServiceExt as _;
        DirectService {
            call: Arc::new(move |request| Box::pin(stack.clone().oneshot(request))),
            in_flight: Arc::new(Semaphore::new(CALL_SLOTS as usize)),
        }
    }

    async fn call(&self, request: http::Request<Body>, peer: Peer) -> Result<http::Response<Body>, Status> {
        let Ok(_permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            return Err(not_running(peer));
        };
        let response = (self.call)(request);
        match tokio::time::timeout(CALL_TIMEOUT, response).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(never)) => match never {},
            Err(_) => Err(Status::cancelled("Timeout expired")),
        }
    }

    /// Waits for the calls in flight to finish and refuses any later one.
    async fn drain(&self) {
        if let Ok(all) = self.in_flight.acquire_many(CALL_SLOTS).await {
            all.forget();
        }
        self.in_flight.close();
    }
}

/// How callers get into a service right now.
#[derive(Clone)]
enum Entrance {
    /// Nothing listens: calls are refused at once.
    Closed,
    /// Listening, not serving yet: calls wait for it.
    Pending(u64),
    /// Served in this process: calls go straight into its stack.
    Direct(u64, DirectService),
    /// A stand-in speaking HTTP/2: each connection is a pipe handed to its queue.
    Pipes(u64, mpsc::Sender<DuplexStream>),
}

impl Entrance {
    fn generation(&self) -> Option<u64> {
        match self {
            Entrance::Closed => None,
            Entrance::Pending(g) | Entrance::Direct(g, _) | Entrance::Pipes(g, _) => Some(*g),
        }
    }
}

fn not_running(peer: Peer) -> Status {
    Status::unavailable(format!("the {peer} service is not running"))
}

/// The entrances of the services of one process.
#[derive(Default)]
pub(crate) struct Registry {
    entrances: Mutex<HashMap<Peer, Arc<watch::Sender<Entrance>>>>,
    generations: AtomicU64,
}

impl Registry {
    fn entrance(&self, peer: Peer) -> Arc<watch::Sender<Entrance>> {
        let mut entrances = self.entrances.lock().expect("the entrance map is never poisoned");
        Arc::clone(
            entrances
                .entry(peer)
                .or_insert_with(|| Arc::new(watch::Sender::new(Entrance::Closed))),
        )
    }

    /// A new listener for `peer`, taking its entrance over from any previous one.
    pub(crate) fn listen(&self, peer: Peer) -> Slot {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let entrance = self.entrance(peer);
        entrance.send_replace(Entrance::Pending(generation));
        Slot {
            peer,
            generation,
            entrance,
            pipes: None,
        }
    }

    /// A channel to `peer`; `pipes` is what reaches a stand-in.
    pub(crate) fn channel(self: &Arc<Self>, peer: Peer, pipes: Channel) -> InProcessChannel {
        InProcessChannel(Arc::new(ChannelInner {
            peer,
            entrance: self.entrance(peer).subscribe(),
            pipes,
        }))
    }

    /// The queue of a stand-in serving `peer` now, if one does.
    pub(crate) fn pipe_queue(&self, peer: Peer) -> Option<mpsc::Sender<DuplexStream>> {
        match &*self.entrance(peer).borrow() {
            Entrance::Pipes(_, queue) => Some(queue.clone()),
            _ => None,
        }
    }
}

/// One listener's hold on its service's entrance; dropping it closes the entrance unless a
/// successor has taken it over.
pub(crate) struct Slot {
    peer: Peer,
    generation: u64,
    entrance: Arc<watch::Sender<Entrance>>,
    pipes: Option<mpsc::Receiver<DuplexStream>>,
}

impl Slot {
    /// Replaces this listener's entrance, unless a newer listener owns it.
    fn set(&self, next: Entrance) {
        self.entrance.send_if_modified(|current| {
            let ours = current.generation() == Some(self.generation);
            if ours {
                *current = next;
            }
            ours
        });
    }

    /// The next connection for a stand-in (the entrance becomes its pipe queue on first use).
    pub(crate) async fn accept(&mut self) -> Option<DuplexStream> {
        if self.pipes.is_none() {
            let (sender, receiver) = mpsc::channel(PIPE_BACKLOG);
            self.set(Entrance::Pipes(self.generation, sender));
            self.pipes = Some(receiver);
        }
        self.pipes.as_mut()?.recv().await
    }

    /// Serves `service` in place until `stopped` completes, then lets the calls in flight
    /// finish.
    pub(crate) async fn serve(self, service: DirectService, stopped: impl Future<Output = ()>) {
        self.set(Entrance::Direct(self.generation, service.clone()));
        tracing::debug!(peer = %self.peer, "serving in process");
        stopped.await;
        self.set(Entrance::Closed);
        service.drain().await;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.set(Entrance::Closed);
    }
}

/// The client side: a cheap handle (one `Arc`) that every tonic client of the service clones.
#[derive(Clone)]
pub(crate) struct InProcessChannel(Arc<ChannelInner>);

struct ChannelInner {
    peer: Peer,
    entrance: watch::Receiver<Entrance>,
    /// HTTP/2 over pipes, connecting on first use: only for a stand-in.
    pipes: Channel,
}

impl InProcessChannel {
    /// Always ready: waiting for the service, if it must, is part of the call.
    pub(crate) fn call(
        &self,
        request: http::Request<Body>,
    ) -> BoxFuture<Result<http::Response<Body>, super::client::BoxError>> {
        let inner = Arc::clone(&self.0);
        Box::pin(async move {
            let current = inner.entrance.borrow().clone();
            let current = match current {
                Entrance::Pending(_) => inner.wait_past_pending().await?,
                other => other,
            };
            match current {
                Entrance::Direct(_, service) => Ok(service.call(request, inner.peer).await?),
                Entrance::Pipes(..) => {
                    use tower::ServiceExt as _;
                    Ok(inner.pipes.clone().oneshot(request).await?)
                }
                Entrance::Closed | Entrance::Pending(_) => Err(not_running(inner.peer).into()),
            }
        })
    }
}

impl ChannelInner {
    /// Waits, as long as a connection attempt would, for a listening service to be served.
    async fn wait_past_pending(&self) -> Result<Entrance, Status> {
        let mut entrance = self.entrance.clone();
        let settled = entrance.wait_for(|e| !matches!(e, Entrance::Pending(_)));
        match tokio::time::timeout(CONNECT_TIMEOUT, settled).await {
            Ok(Ok(settled)) => Ok(settled.clone()),
            _ => Err(not_running(self.peer)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    /// A service answering 200 once `gate` (if any) opens.
    fn answering(gate: Option<Arc<tokio::sync::Notify>>) -> DirectService {
        DirectService::new(tower::service_fn(move |_: http::Request<Body>| {
            let gate = gate.clone();
            async move {
                if let Some(gate) = gate {
                    gate.notified().await;
                }
                Ok::<_, Infallible>(http::Response::new(Body::empty()))
            }
        }))
    }

    fn channel(registry: &Arc<Registry>) -> InProcessChannel {
        let pipes = Channel::from_static("http://unused.in-process").connect_lazy();
        registry.channel(Peer::User, pipes)
    }

    fn request() -> http::Request<Body> {
        http::Request::new(Body::empty())
    }

    fn code(result: Result<http::Response<Body>, super::super::client::BoxError>) -> Option<tonic::Code> {
        result.err().map(|e| Status::from_error(e).code())
    }

    #[tokio::test]
    async fn nothing_listening_is_refused_at_once() {
        let registry = Arc::new(Registry::default());
        let refused = channel(&registry).call(request()).await;
        assert_eq!(code(refused), Some(tonic::Code::Unavailable));
    }

    #[tokio::test]
    async fn a_call_to_a_listening_service_waits_until_it_serves() {
        let registry = Arc::new(Registry::default());
        let slot = registry.listen(Peer::User);
        let call = tokio::spawn(channel(&registry).call(request()));
        tokio::task::yield_now().await;
        assert!(!call.is_finished(), "answered before the service served");
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(slot.serve(answering(None), async {
            let _ = stopped.await;
        }));
        assert!(call.await.unwrap().is_ok());
        drop(stop);
        serving.await.unwrap();
        let after = channel(&registry).call(request()).await;
        assert_eq!(code(after), Some(tonic::Code::Unavailable), "stopped");
    }

    #[tokio::test]
    async fn stopping_lets_calls_in_flight_finish_and_refuses_new_ones() {
        let registry = Arc::new(Registry::default());
        let gate = Arc::new(tokio::sync::Notify::new());
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(registry.listen(Peer::User).serve(
            answering(Some(Arc::clone(&gate))),
            async {
                let _ = stopped.await;
            },
        ));
        tokio::task::yield_now().await;
        let in_flight = tokio::spawn(channel(&registry).call(request()));
        tokio::task::yield_now().await;
        drop(stop);
        tokio::task::yield_now().await;
        assert!(!serving.is_finished(), "stopped with a call in flight");
        let late = channel(&registry).call(request()).await;
        assert_eq!(code(late), Some(tonic::Code::Unavailable));
        gate.notify_one();
        assert!(in_flight.await.unwrap().is_ok());
        serving.await.unwrap();
    }

    #[tokio::test]
    async fn a_stopping_instance_leaves_its_successors_entrance_alone() {
        let registry = Arc::new(Registry::default());
        let old = registry.listen(Peer::User);
        let new = registry.listen(Peer::User);
        drop(old);
        let (_stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(new.serve(answering(None), async {
            let _ = stopped.await;
        }));
        assert!(channel(&registry).call(request()).await.is_ok());
    }
}
