//! The whole system in one process: every service still speaking gRPC to the others, over
//! in-memory connections (the in-process plane), and the gateway on `HOST:PORT`, the one
//! socket the process listens on. Tests start exactly this on port 0.
use admin_service::AdminApp;
use anyhow::Context;
use astro_platform::{
    Settings,
    grpc::{GrpcChannel, Plane},
    janitor::Swept,
};
use astro_security::revocation::{self, MemoryRevocations, RevocationStore};
use auth_service::AuthApp;
use gateway::GatewayApp;
use notification_service::NotificationApp;
use services::{Janitor, Serving};
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
pub mod certs;
mod consumer_api;
pub mod import;
pub mod keys;
mod probe;
mod services;
pub use bootstrap::create_admin;
pub use probe::health_check;
pub use services::Service;

/// A running system. Dropping it does not stop it; call [`Stack::stop`] or [`Stack::wait`].
pub struct Stack {
    http_addr: SocketAddr,
    /// Where the consumer API listens, when `INTERNAL_GRPC_ADDR` is set.
    internal_api_addr: Option<SocketAddr>,
    shutdown: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
    settings: Settings,
    plane: Plane,
    revocations: Arc<dyn RevocationStore>,
    /// What stops each running service (none while it is stopped).
    services: HashMap<Service, Option<Running>>,
    /// The janitors of the services that have one, as last (re)started.
    janitors: HashMap<Service, Janitor>,
    /// Tasks of services stopped on purpose: their end does not stop the stack.
    stopped: HashSet<task::Id>,
}

struct Running {
    /// A child of the stack's token.
    stop: CancellationToken,
    task: task::Id,
    /// Closed when the task has ended, its accept queue dropped with it.
    ended: oneshot::Receiver<()>,
}

impl Stack {
    /// Migrates every service's tables, wires the services together in process, and starts
    /// serving HTTP.
    pub async fn start(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<Stack> {
        // Settings built as a struct literal skip `from_lookup`'s check; refuse them here too.
        settings.check_production()?;
        let plane = Plane::in_process();
        let revocations = revocation::from_settings(&settings.redis)?;

        // Built one after another so each service's migrations run alone.
        let mut built = Vec::with_capacity(Service::ALL.len());
        for service in Service::ALL {
            let listener = plane.listen(service.peer(), &settings.process).await?;
            let stop = shutdown.child_token();
            let (serving, janitor) = service
                .build(&settings, &plane, &revocations, listener, stop.clone())
                .await?;
            built.push((service, stop, serving, janitor));
        }
        let gateway = GatewayApp::build(&(&settings).into(), &plane, Arc::clone(&revocations))
            .await
            .context("starting the gateway")?;
        let http = TcpListener::bind(settings.http.addr)
            .await
            .with_context(|| format!("cannot listen on {}", settings.http.addr))?;
        let http_addr = http.local_addr()?;
        let consumer = consumer_api::bind(&settings, &plane, shutdown.child_token())
            .await
            .context("starting the consumer API (INTERNAL_GRPC_ADDR)")?;

        let mut stack = Stack {
            http_addr,
            internal_api_addr: consumer.as_ref().map(|(addr, _)| *addr),
            shutdown,
            tasks: JoinSet::new(),
            settings,
            plane,
            revocations,
            services: HashMap::new(),
            janitors: HashMap::new(),
            stopped: HashSet::new(),
        };
        for (service, stop, serving, janitor) in built {
            stack.spawn(service, stop, serving, janitor);
        }
        if let Some((_, serving)) = consumer {
            stack.tasks.spawn(serving);
        }
        let stop = stack.shutdown.clone();
        stack
            .tasks
            .spawn(async move { Ok(gateway.serve(http, stop).await?) });
        if let Err(err) = bootstrap::initial_admin(&mut stack).await {
            stack.shutdown.cancel();
            return Err(err);
        }
        tracing::info!(%http_addr, "astro-auth listening");
        Ok(stack)
    }

    /// Runs `serving` as `service`, stopped by `stop`.
    fn spawn(
        &mut self,
        service: Service,
        stop: CancellationToken,
        serving: Serving,
        janitor: Option<Janitor>,
    ) {
        if let Some(janitor) = janitor {
            self.janitors.insert(service, janitor);
        }
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
        self.services.insert(service, Some(running));
    }

    /// The in-process plane the services and the gateway share.
    pub fn plane(&self) -> &Plane {
        &self.plane
    }

    /// A channel to `service` over the stack's in-process plane, as its peers call it.
    pub fn channel(&self, service: Service) -> GrpcChannel {
        self.plane
            .channel(service.peer())
            .expect("in-process channels need no configuration")
    }

    /// Stops one service, letting its in-flight calls finish, and returns once it accepts no
    /// more connections. The rest keep running; their calls to it fail until [`Stack::restart_service`].
    pub async fn stop_service(&mut self, service: Service) -> anyhow::Result<()> {
        let running = self
            .services
            .get_mut(&service)
            .and_then(Option::take)
            .with_context(|| format!("the {service:?} service is not running"))?;
        self.stopped.insert(running.task);
        // Its pool closes with it; a restart brings a new one.
        self.janitors.remove(&service);
        running.stop.cancel();
        // Closed, never sent: the task has ended.
        let _ = running.ended.await;
        Ok(())
    }

    /// Builds a fresh instance of a stopped service and serves it in its old place on the
    /// plane, where the other services' lazy channels find it again by themselves.
    pub async fn restart_service(&mut self, service: Service) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.services.get(&service).is_some_and(Option::is_none),
            "the {service:?} service is running"
        );
        let listener = self.plane.listen(service.peer(), &self.settings.process).await?;
        let stop = self.shutdown.child_token();
        let (serving, janitor) = service
            .build(
                &self.settings,
                &self.plane,
                &self.revocations,
                listener,
                stop.clone(),
            )
            .await?;
        self.spawn(service, stop, serving, janitor);
        Ok(())
    }

    /// One janitor pass of every service that has one, now, besides those each makes on its
    /// interval (`JANITOR_INTERVAL_SECS`); answers the rows removed, by table. Passes may run at
    /// once, as the janitors of several replicas do.
    pub async fn janitor_pass(&self) -> anyhow::Result<Swept> {
        let mut swept = Swept::new();
        for service in Service::ALL {
            if let Some(janitor) = self.janitors.get(&service) {
                let removed = janitor
                    .run_once()
                    .await
                    .with_context(|| format!("the {service:?} janitor"))?;
                swept.extend(removed);
            }
        }
        Ok(swept)
    }

    /// Where the consumer API listens (`INTERNAL_GRPC_ADDR`, the real port when it names 0).
    pub fn internal_api_addr(&self) -> Option<SocketAddr> {
        self.internal_api_addr
    }

    /// Where the gateway listens (the real port when `PORT=0`).
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The settings the stack runs with.
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
    UserApp::build(&settings.into()).await?;
    NotificationApp::build(&settings.into()).await?;
    let plane = Plane::in_process();
    AuthApp::build(&settings.into(), &plane, Arc::new(MemoryRevocations::default())).await?;
    AdminApp::build(&settings.into(), &plane, Arc::new(MemoryRevocations::default())).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    /// Every RPC of every service has an allow-list entry, and every entry names a real RPC:
    /// a method added to a proto without deciding who may call it fails here (and is refused
    /// to everyone on the mutual-TLS plane meanwhile).
    #[test]
    fn every_rpc_has_exactly_one_allow_list_rule() {
        // Every table some process serves.
        let tables: Vec<&astro_platform::grpc::AccessTable> = auth_service::access::SERVED
            .iter()
            .chain(&user_service::access::SERVED)
            .chain(&admin_service::access::SERVED)
            .chain(&notification_service::access::SERVED)
            .copied()
            .collect();
        let descriptors = prost_types::FileDescriptorSet::decode(astro_proto::FILE_DESCRIPTOR_SET)
            .expect("the embedded descriptor set decodes");
        let mut declared = Vec::new();
        for file in &descriptors.file {
            for service in &file.service {
                let full = format!("{}.{}", file.package(), service.name());
                for method in &service.method {
                    declared.push((full.clone(), method.name().to_owned()));
                }
            }
        }
        for (service, method) in &declared {
            let table = tables
                .iter()
                .find(|t| t.service == service)
                .unwrap_or_else(|| panic!("no allow-list for {service}"));
            let rules = table.rules.iter().filter(|r| r.method == method).count();
            assert_eq!(rules, 1, "{service}/{method} needs exactly one rule");
        }
        for table in &tables {
            for rule in table.rules {
                assert!(
                    declared.contains(&(table.service.to_owned(), rule.method.to_owned())),
                    "{}/{} is not an RPC",
                    table.service,
                    rule.method
                );
                assert!(
                    !rule.callers.is_empty(),
                    "{}/{} allows nobody",
                    table.service,
                    rule.method
                );
            }
        }
    }
}
