//! The whole system in one process: every service on its own loopback port, still speaking
//! gRPC to the others, and the gateway on `HOST:PORT`. Tests start exactly this on port 0.
use admin_service::AdminApp;
use anyhow::Context;
use astro_common::{
    Settings,
    config::ServiceUrls,
    revocation::{self, MemoryRevocations},
};
use auth_service::AuthApp;
use gateway::GatewayApp;
use notification_service::NotificationApp;
use std::{net::SocketAddr, sync::Arc};
use tokio::{net::TcpListener, task::JoinSet};
use tokio_util::sync::CancellationToken;
use user_service::UserApp;

mod bootstrap;
pub use bootstrap::create_admin;

/// A running system. Dropping it does not stop it; call [`Stack::stop`] or [`Stack::wait`].
pub struct Stack {
    http_addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
}

impl Stack {
    /// Binds every listener, migrates every service's tables, and starts serving.
    /// The services' addresses in `settings` are replaced by the loopback ports actually bound.
    pub async fn start(mut settings: Settings, shutdown: CancellationToken) -> anyhow::Result<Stack> {
        let loopback = || TcpListener::bind("127.0.0.1:0");
        let (auth_l, user_l, admin_l, notification_l) = (
            loopback().await?,
            loopback().await?,
            loopback().await?,
            loopback().await?,
        );
        let url = |l: &TcpListener| l.local_addr().map(|a| format!("http://{a}"));
        settings.services = ServiceUrls {
            auth: url(&auth_l)?,
            user: url(&user_l)?,
            admin: url(&admin_l)?,
            notification: url(&notification_l)?,
        };
        let revocations = revocation::from_settings(&settings)?;

        // Built one after another so each service's migrations run alone.
        let user = UserApp::build(&settings)
            .await
            .context("starting the user service")?;
        let notification = NotificationApp::build(&settings)
            .await
            .context("starting the notification service")?;
        let auth = AuthApp::build(&settings, Arc::clone(&revocations))
            .await
            .context("starting the auth service")?;
        let admin = AdminApp::build(&settings, Arc::clone(&revocations))
            .await
            .context("starting the admin service")?;
        let gateway = GatewayApp::build(&settings, revocations)
            .await
            .context("starting the gateway")?;
        let http = TcpListener::bind(settings.http_addr)
            .await
            .with_context(|| format!("cannot listen on {}", settings.http_addr))?;
        let http_addr = http.local_addr()?;

        let mut tasks = JoinSet::new();
        let stop = shutdown.clone();
        tasks.spawn(async move { Ok(user.serve(user_l, stop).await?) });
        let stop = shutdown.clone();
        tasks.spawn(async move { Ok(notification.serve(notification_l, stop).await?) });
        let stop = shutdown.clone();
        tasks.spawn(async move { Ok(auth.serve(auth_l, stop).await?) });
        let stop = shutdown.clone();
        tasks.spawn(async move { Ok(admin.serve(admin_l, stop).await?) });
        let stop = shutdown.clone();
        tasks.spawn(async move { Ok(gateway.serve(http, stop).await?) });
        if let Err(err) = bootstrap::initial_admin(&settings).await {
            shutdown.cancel();
            return Err(err);
        }
        tracing::info!(%http_addr, "astro-auth listening");
        Ok(Stack {
            http_addr,
            shutdown,
            tasks,
        })
    }

    /// Where the gateway listens (the real port when `PORT=0`).
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// Stops everything, letting in-flight requests finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }

    /// Runs until the shutdown token is cancelled or a part fails (which stops the rest).
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            let outcome = joined.map_err(anyhow::Error::from).and_then(|r| r);
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
