//! A stand-in for a service that breaks every call it gets: it speaks HTTP/2, so callers
//! connect and send their calls, and then drops the connection or resets the call, as a
//! service killed mid-call, or crashing, does.
use astro_platform::{
    Settings,
    grpc::{Peer, Plane},
};
use tokio::{
    io::DuplexStream,
    task::{JoinHandle, JoinSet},
};

#[derive(Clone, Copy, Debug)]
pub enum Breakage {
    /// The connection is dropped once a call has arrived (the process died mid-call).
    DropConnection,
    /// The call is reset with `INTERNAL_ERROR`, the connection kept.
    ResetStream,
}

pub struct BrokenService {
    task: JoinHandle<()>,
}

impl BrokenService {
    /// Takes a stopped service's place on `plane` and breaks every call from then on.
    pub async fn start(
        plane: &Plane,
        service: Peer,
        settings: &Settings,
        breakage: Breakage,
    ) -> BrokenService {
        let mut listener = plane
            .listen(service, &settings.process)
            .await
            .expect("taking the service's place");
        let task = tokio::spawn(async move {
            // Dropped with this task: stopping closes every connection, too.
            let mut connections = JoinSet::new();
            while let Some(socket) = listener.accept_in_process().await {
                connections.spawn(break_calls(socket, breakage));
            }
        });
        BrokenService { task }
    }

    /// Closes the listener and every connection before returning.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn break_calls(socket: DuplexStream, breakage: Breakage) {
    let Ok(mut connection) = h2::server::handshake(socket).await else {
        return;
    };
    // Accepting also drives the connection, which sends the resets.
    while let Some(Ok((_call, mut respond))) = connection.accept().await {
        match breakage {
            Breakage::DropConnection => return,
            Breakage::ResetStream => respond.send_reset(h2::Reason::INTERNAL_ERROR),
        }
    }
}
