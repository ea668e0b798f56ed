//! The five binaries as separate processes on loopback ports, speaking mutual TLS to one
//! another with certificates from `astro-auth certs`, each exporting its spans to the test's
//! OTLP receiver and logging to a file of its own. Every child is killed and reaped
//! when the cluster is dropped, so a failing test leaves no process behind.
use crate::binaries;
use astro_platform::grpc::Peer;
use std::{
    collections::BTreeMap,
    fs::OpenOptions,
    net::{Ipv4Addr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

/// The gRPC services, by binary name, with the `*_SERVICE_URL` their address goes in and the
/// name in their certificate.
const SERVICES: [(&str, &str, Peer); 4] = [
    ("auth-service", "AUTH_SERVICE_URL", Peer::Auth),
    ("user-service", "USER_SERVICE_URL", Peer::User),
    ("admin-service", "ADMIN_SERVICE_URL", Peer::Admin),
    (
        "notification-service",
        "NOTIFICATION_SERVICE_URL",
        Peer::Notification,
    ),
];
pub const GATEWAY: &str = "gateway";
/// A certificate from the plane's CA for a name on no allow-list but health's.
pub const CONSUMER: &str = "consumer";

/// What every process is configured with, besides its own addresses.
pub struct Config {
    pub database_url: String,
    pub redis_url: String,
    pub redis_key_prefix: String,
    pub otlp_endpoint: String,
    pub mail_dir: PathBuf,
    /// The processes' working directory; their logs go to `logs/` under it.
    pub work_dir: PathBuf,
    pub frontend_url: String,
    /// Set on the auth service only: `INITIAL_ADMIN_*`, which it alone acts on.
    pub auth_env: Vec<(String, String)>,
}

pub struct Cluster {
    processes: BTreeMap<&'static str, Process>,
    /// The gateway's base URL.
    pub gateway_url: String,
    /// Each service's `GET /metrics` URL.
    pub metrics_urls: BTreeMap<&'static str, String>,
    /// Each service's gRPC address (`127.0.0.1:port`), by certificate name.
    pub grpc_addrs: BTreeMap<&'static str, String>,
    /// The plane's CA (`ca.pem`) and each name's `<name>.pem` and `<name>-key.pem`.
    pub certs_dir: PathBuf,
}

struct Process {
    /// The full environment of the process (it inherits nothing).
    env: Vec<(String, String)>,
    log: PathBuf,
    work_dir: PathBuf,
    child: Option<Child>,
}

impl Cluster {
    /// Starts the four services and the gateway (not yet ready: see [`Cluster::wait_ready`]).
    pub fn start(config: &Config) -> Cluster {
        let certs_dir = config.work_dir.join("certs");
        let names = ["gateway", "auth", "user", "admin", "notification", CONSUMER].map(String::from);
        astro_auth::certs::write(&certs_dir, &names).expect("writing the plane's certificates");
        let tls_env = |name: &str| {
            let file = |f: String| certs_dir.join(f).display().to_string();
            vec![
                ("GRPC_TLS_CERT".to_owned(), file(format!("{name}.pem"))),
                ("GRPC_TLS_KEY".to_owned(), file(format!("{name}-key.pem"))),
                (
                    "GRPC_TLS_CA".to_owned(),
                    file(astro_auth::certs::CA_CERT.to_owned()),
                ),
            ]
        };
        let mut common = common_env(config);
        let mut own: Vec<(&'static str, Vec<(String, String)>)> = Vec::new();
        let mut metrics_urls = BTreeMap::new();
        let mut grpc_addrs = BTreeMap::new();
        let mut ports = free_ports(SERVICES.len() + 1).into_iter();
        let mut port = || ports.next().expect("enough ports");
        for (name, url_variable, peer) in SERVICES {
            let (grpc, cert_name) = (port(), peer.name());
            common.push((url_variable.into(), format!("https://127.0.0.1:{grpc}")));
            // No METRICS_ADDR: the defaults must let five processes share a host.
            let metrics = peer.default_metrics_addr();
            metrics_urls.insert(name, format!("http://{metrics}/metrics"));
            grpc_addrs.insert(cert_name, format!("127.0.0.1:{grpc}"));
            let mut env = vec![("GRPC_ADDR".into(), format!("127.0.0.1:{grpc}"))];
            env.extend(tls_env(cert_name));
            if name == "auth-service" {
                env.extend(config.auth_env.iter().cloned());
            }
            own.push((name, env));
        }
        let http = port();
        let mut env = vec![
            ("HOST".into(), "127.0.0.1".into()),
            ("PORT".into(), http.to_string()),
        ];
        env.extend(tls_env("gateway"));
        own.push((GATEWAY, env));
        let logs = config.work_dir.join("logs");
        std::fs::create_dir_all(&logs).expect("creating the log directory");
        let processes = own
            .into_iter()
            .map(|(name, addresses)| {
                let mut env = common.clone();
                env.extend(addresses);
                env.push(("OTEL_SERVICE_NAME".into(), name.into()));
                let process = Process {
                    env,
                    log: logs.join(format!("{name}.log")),
                    work_dir: config.work_dir.clone(),
                    child: None,
                };
                (name, process)
            })
            .collect();
        let mut cluster = Cluster {
            processes,
            gateway_url: format!("http://127.0.0.1:{http}"),
            metrics_urls,
            grpc_addrs,
            certs_dir,
        };
        for name in cluster.processes.keys().copied().collect::<Vec<_>>() {
            cluster.spawn(name);
        }
        cluster
    }

    /// Polls the gateway's `GET /ready` (Redis and every service) until it answers 200.
    pub async fn wait_ready(&mut self, client: &reqwest::Client, deadline: Duration) {
        let give_up = Instant::now() + deadline;
        let url = format!("{}/ready", self.gateway_url);
        loop {
            self.assert_running();
            let last = match client.get(&url).send().await {
                Ok(response) if response.status() == 200 => return,
                Ok(response) => response.text().await.unwrap_or_default(),
                Err(err) => err.to_string(),
            };
            assert!(Instant::now() < give_up, "not ready within {deadline:?}: {last}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Starts `name` (again), on the same addresses as before.
    pub fn spawn(&mut self, name: &str) {
        let process = self.process(name);
        assert!(process.child.is_none(), "{name} is already running");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&process.log)
            .expect("opening the process log");
        let stderr = log.try_clone().expect("sharing the log file");
        let child = Command::new(binaries::path(name))
            .env_clear()
            .envs(process.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&process.work_dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|err| panic!("starting {name}: {err}"));
        process.child = Some(child);
    }

    /// SIGKILLs `name` and reaps it: a crash, no draining.
    pub fn kill(&mut self, name: &str) {
        let mut child = self.process(name).child.take().expect("a running process");
        child.kill().expect("killing the process");
        child.wait().expect("reaping the process");
    }

    /// Sends SIGTERM to `name` and waits up to `deadline` for it to exit.
    pub async fn terminate(&mut self, name: &str, deadline: Duration) -> ExitStatus {
        let process = self.process(name);
        let child = process.child.as_mut().expect("a running process");
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(sent.success(), "kill -TERM {name} failed");
        let give_up = Instant::now() + deadline;
        loop {
            if let Some(status) = child.try_wait().expect("polling the process") {
                process.child = None;
                return status;
            }
            assert!(
                Instant::now() < give_up,
                "{name} still runs {deadline:?} after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Panics, with its log, if a process that should run has exited.
    pub fn assert_running(&mut self) {
        for (name, process) in &mut self.processes {
            if let Some(child) = process.child.as_mut()
                && let Some(status) = child.try_wait().expect("polling the process")
            {
                panic!("{name} exited ({status}); its log:\n{}", tail(&process.log));
            }
        }
    }

    /// What `name` has logged so far.
    pub fn log(&self, name: &str) -> String {
        let process = self
            .processes
            .get(name)
            .unwrap_or_else(|| panic!("no process {name}"));
        std::fs::read_to_string(&process.log).expect("reading the process log")
    }

    /// The names of the processes still running.
    pub fn running(&self) -> Vec<&'static str> {
        let running = self.processes.iter().filter(|(_, p)| p.child.is_some());
        running.map(|(name, _)| *name).collect()
    }

    fn process(&mut self, name: &str) -> &mut Process {
        self.processes
            .get_mut(name)
            .unwrap_or_else(|| panic!("no process {name}"))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for process in self.processes.values_mut() {
            if let Some(mut child) = process.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if std::thread::panicking() {
            for (name, process) in &self.processes {
                eprintln!("---- {name} log ----\n{}", tail(&process.log));
            }
        }
    }
}

fn common_env(config: &Config) -> Vec<(String, String)> {
    let mut env = vec![
        ("DATABASE_URL", config.database_url.as_str()),
        ("REDIS_URL", &config.redis_url),
        ("REDIS_KEY_PREFIX", &config.redis_key_prefix),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &config.otlp_endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        // Export each batch after 100 ms rather than the default 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("FRONTEND_URL", &config.frontend_url),
        ("ENVIRONMENT", "test"),
        ("JWT_SECRET", "multiprocess-test-access-secret"),
        // Access tokens signed with the auth service's Ed25519 keys, which the gateway and the
        // example consumer read (ListSigningKeys, the JWKS).
        ("JWT_ALGORITHM", "EdDSA"),
        (
            "DATA_ENCRYPTION_KEY",
            "bXVsdGlwcm9jZXNzLXRlc3QtZGF0YS1rZXktMzJieXQ=",
        ),
        ("JWT_REFRESH_SECRET", "multiprocess-test-refresh-secret"),
        ("MAIL_POLL_INTERVAL_MS", "50"),
        ("MAIL_RETRY_BASE_MS", "100"),
        ("RATE_LIMIT_PER_MINUTE", "100000"),
        ("LOGIN_RATE_LIMIT_PER_15MIN", "100000"),
        ("LOGIN_FAILURES_PER_ACCOUNT_15MIN", "100000"),
        ("RUST_LOG", "info,sqlx=warn,h2=warn"),
    ];
    let mail_dir = config.mail_dir.display().to_string();
    let avatar_dir = config.work_dir.join("avatars").display().to_string();
    env.extend([("MAIL_DIR", mail_dir.as_str()), ("AVATAR_DIR", &avatar_dir)]);
    env.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `count` distinct loopback ports nothing listens on right now (the processes bind them a
/// moment later; another program taking one in between is possible but unlikely).
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding a free port"))
        .collect();
    let port = |l: &TcpListener| l.local_addr().expect("the bound address").port();
    listeners.iter().map(port).collect()
}

/// The end of a log file, for failure messages.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
