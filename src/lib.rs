//! The whole system in one process: every service on its own loopback port, still speaking
//! gRPC to the others, and the gateway on `HOST:PORT`. Tests start exactly this on port 0.
use admin_service::AdminApp;
use anyhow::Context;
use astro_common::{
    Settings,
    config::ServiceUrls,
    revocation::{self, MemoryRevocations, RevocationStore},
};
use auth_service::AuthApp;
use gateway::GatewayApp;
use notification_service::NotificationApp;
use services::Serving;
use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    sync::Arc,
};
use tokio::{
    net::TcpListener,
    sync::oneshot,
    task::{self, JoinSet},
};
use tokio_util::sync::CancellationToken;
use user_service::UserApp;

mod bootstrap;
mod services;
pub use bootstrap::create_admin;
pub use services::Service;

/// A running system. Dropping it does not stop it; call [`Stack::stop`] or [`Stack::wait`].
pub struct Stack {
    http_addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
    settings: Settings,
    revocations: Arc<dyn RevocationStore>,
    services: HashMap<Service, Part>,
    /// Tasks of services stopped on purpose: their end does not stop the stack.
    stopped: HashSet<task::Id>,
}

/// A service's loopback address, and while it runs, what stops it.
struct Part {
    addr: SocketAddr,
    running: Option<Running>,
}

struct Running {
    /// A child of the stack's token.
    stop: CancellationToken,
    task: task::Id,
    /// Closed when the task has ended, its listener dropped with it.
    ended: oneshot::Receiver<()>,
}

impl Stack {
    /// Binds every listener, migrates every service's tables, and starts serving.
    /// The services' addresses in `settings` are replaced by the loopback ports actually bound.
    pub async fn start(mut settings: Settings, shutdown: CancellationToken) -> anyhow::Result<Stack> {
        // Settings built as a struct literal skip `from_lookup`'s check; refuse them here too.
        settings.check_production()?;
        let mut listeners = Vec::with_capacity(Service::ALL.len());
        for service in Service::ALL {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            listeners.push((service, listener.local_addr()?, listener));
        }
        let url = |wanted: Service| {
            let (_, addr, _) = listeners
                .iter()
                .find(|(s, _, _)| *s == wanted)
                .expect("every service");
            format!("http://{addr}")
        };
        settings.services = ServiceUrls {
            auth: url(Service::Auth),
            user: url(Service::User),
            admin: url(Service::Admin),
            notification: url(Service::Notification),
        };
        let revocations = revocation::from_settings(&settings)?;

        // Built one after another so each service's migrations run alone.
        let mut built = Vec::with_capacity(listeners.len());
        for (service, addr, listener) in listeners {
            let stop = shutdown.child_token();
            let serving = service
                .build(&settings, &revocations, listener, stop.clone())
                .await?;
            built.push((service, addr, stop, serving));
        }
        let gateway = GatewayApp::build(&settings, Arc::clone(&revocations))
            .await
            .context("starting the gateway")?;
        let http = TcpListener::bind(settings.http_addr)
            .await
            .with_context(|| format!("cannot listen on {}", settings.http_addr))?;
        let http_addr = http.local_addr()?;

        let mut stack = Stack {
            http_addr,
            shutdown,
            tasks: JoinSet::new(),
            settings,
            revocations,
            services: HashMap::new(),
            stopped: HashSet::new(),
        };
        for (service, addr, stop, serving) in built {
            stack.spawn(service, addr, stop, serving);
        }
        let stop = stack.shutdown.clone();
        stack
            .tasks
            .spawn(async move { Ok(gateway.serve(http, stop).await?) });
        if let Err(err) = bootstrap::initial_admin(&stack.settings).await {
            stack.shutdown.cancel();
            return Err(err);
        }
        tracing::info!(%http_addr, "astro-auth listening");
        Ok(stack)
    }

    /// Runs `serving` as `service` on `addr`, stopped by `stop`.
    fn spawn(&mut self, service: Service, addr: SocketAddr, stop: CancellationToken, serving: Serving) {
        let (ended_tx, ended) = oneshot::channel::<()>();
        let task = self.tasks.spawn(async move {
            // Dropped when the task ends, however it ends.
            let _ended = ended_tx;
            serving.await
        });
        let running = Running {
            stop,
            task: task.id(),
            ended,
        };
        self.services.insert(
            service,
            Part {
                addr,
                running: Some(running),
            },
        );
    }

    /// Where `service` listens (also while it is stopped).
    pub fn service_addr(&self, service: Service) -> SocketAddr {
        self.services[&service].addr
    }

    /// Stops one service, letting its in-flight calls finish, and returns once its port is
    /// closed. The rest keep running; their calls to it fail until [`Stack::restart_service`].
    pub async fn stop_service(&mut self, service: Service) -> anyhow::Result<()> {
        let part = self.services.get_mut(&service).expect("every service has a part");
        let running = part
            .running
            .take()
            .with_context(|| format!("the {service:?} service is not running"))?;
        self.stopped.insert(running.task);
        running.stop.cancel();
        // Closed, never sent: the task has ended.
        let _ = running.ended.await;
        Ok(())
    }

    /// Builds a fresh instance of a stopped service and serves it on its old address, where
    /// the other services' lazy channels find it again by themselves.
    pub async fn restart_service(&mut self, service: Service) -> anyhow::Result<()> {
        let addr = self.service_addr(service);
        anyhow::ensure!(
            self.services[&service].running.is_none(),
            "the {service:?} service is running"
        );
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} again"))?;
        let stop = self.shutdown.child_token();
        let serving = service
            .build(&self.settings, &self.revocations, listener, stop.clone())
            .await?;
        self.spawn(service, addr, stop, serving);
        Ok(())
    }

    /// Where the gateway listens (the real port when `PORT=0`).
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The settings the stack runs with, the services' actual addresses included.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Stops everything, letting in-flight requests finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }

    /// Runs until the shutdown token is cancelled or a part fails (which stops the rest).
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next_with_id().await {
            let (id, outcome) = match joined {
                Ok((id, outcome)) => (id, outcome),
                Err(err) => (err.id(), Err(err.into())),
            };
            if self.stopped.remove(&id) && outcome.is_ok() {
                continue;
            }
            if let Err(err) = outcome {
                self.shutdown.cancel();
                first_error.get_or_insert(err);
            } else if !self.shutdown.is_cancelled() {
                self.shutdown.cancel();
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Applies every service's migrations and returns.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    UserApp::build(settings).await?;
    NotificationApp::build(settings).await?;
    AuthApp::build(settings, Arc::new(MemoryRevocations::default())).await?;
    AdminApp::build(settings, Arc::new(MemoryRevocations::default())).await?;
    Ok(())
}
