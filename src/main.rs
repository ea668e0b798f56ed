//! `astro-auth`: the whole system in one process (`serve`, the default), or one-off
//! operations (`migrate`, `create-admin`, `certs`, `keys rotate`, …).
use anyhow::Context;
use astro_platform::{
    Settings,
    config::{self, Config, InitialAdmin},
};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use secrecy::SecretString;

#[derive(Parser)]
#[command(version, about = "Astro Auth: authentication and user management")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run every service and the gateway (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create a verified admin. The password comes from `INITIAL_ADMIN_PASSWORD` or, when that
    /// is unset, from a prompt on the terminal (never from the command line).
    CreateAdmin {
        /// The admin's email address.
        #[arg(long, env = "INITIAL_ADMIN_EMAIL")]
        email: String,
        /// The admin's username.
        #[arg(long, env = "INITIAL_ADMIN_USERNAME", default_value = "admin")]
        username: String,
    },
    /// Exit 0 when a service process reports SERVING over the gRPC plane (for container
    /// health checks: it presents this process's GRPC_TLS_* certificate).
    HealthCheck {
        /// auth, user, admin or notification.
        #[arg(long)]
        service: String,
        /// Where it listens; its default address when omitted.
        #[arg(long)]
        addr: Option<std::net::SocketAddr>,
    },
    /// Copy the original backend's users, with their passwords, into this one's user database
    /// (DATABASE_URL). Exits non-zero when a row was refused; re-running imports nothing twice.
    ImportUsers {
        /// The original's DATABASE_URL (sqlite:///./app.db, postgresql://…), read only.
        #[arg(long, required_unless_present = "file", conflicts_with = "file")]
        from: Option<String>,
        /// A JSON Lines file of users instead (email, username, password_hash, …).
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// Check and report; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import admins too (refused otherwise).
        #[arg(long)]
        allow_admin: bool,
    },
    /// Manage the Ed25519 keys access tokens are signed with (JWT_ALGORITHM=EdDSA).
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Write a development CA and a certificate and key per name for the gRPC plane's mutual
    /// TLS (the CA in DIR is reused when present).
    Certs {
        /// Where the PEM files go.
        #[arg(long, default_value = "./data/certs")]
        out: std::path::PathBuf,
        /// A name to issue a certificate for (repeatable); the platform's five by default.
        #[arg(long = "name")]
        names: Vec<String>,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Publish a next key, which signs once JWT_KEY_PUBLISH_AHEAD_SECONDS (the JWKS cache
    /// time) have passed, and remove keys whose last token has expired. Running servers see it
    /// within JWT_KEYS_REFRESH_SECONDS.
    Rotate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_platform::telemetry::init("astro-auth");
    // Every variable of every group is also a flag, global to the subcommands.
    let matches =
        config::cli::add_variables(Cli::command().args_override_self(true), Settings::GROUPS).get_matches();
    let cli = Cli::from_arg_matches(&matches)?;
    if let Some(Command::Certs { out, names }) = &cli.command {
        return certs(out, names);
    }
    let settings = Settings::from_lookup(config::cli::lookup(&matches))?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let stack = astro_auth::Stack::start(settings, astro_platform::shutdown::on_signal()).await?;
            stack.wait().await
        }
        Command::Migrate => astro_auth::migrate(&settings).await,
        Command::CreateAdmin { email, username } => {
            let password = admin_password()?;
            let admin = InitialAdmin {
                email,
                username,
                password,
            };
            let id = astro_auth::create_admin(&settings, &admin).await?;
            println!("created admin {} (id {id})", admin.email);
            Ok(())
        }
        Command::HealthCheck { service, addr } => {
            let peer = astro_platform::grpc::Peer::SERVICES
                .into_iter()
                .find(|peer| peer.name() == service)
                .with_context(|| format!("unknown service {service:?}: auth, user, admin or notification"))?;
            if astro_auth::health_check(settings.process, peer, addr).await? {
                Ok(())
            } else {
                anyhow::bail!("{service} is not serving")
            }
        }
        Command::ImportUsers {
            from,
            file,
            dry_run,
            allow_admin,
        } => {
            let rows = match (from, file) {
                (Some(url), _) => astro_auth::import::from_database(&url).await?,
                (None, Some(path)) => astro_auth::import::from_file(&path)?,
                (None, None) => unreachable!("clap requires --from or --file"),
            };
            let options = astro_auth::import::Options { dry_run, allow_admin };
            let summary = astro_auth::import::into_database(&settings.database.url, rows, options).await?;
            print!(
                "{}{summary}",
                if dry_run { "dry run, nothing written: " } else { "" }
            );
            if !summary.refused.is_empty() {
                // Refused rows are an outcome to report, not a failure to trace.
                std::io::Write::flush(&mut std::io::stdout())?;
                eprintln!("{} rows refused", summary.refused.len());
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Keys {
            action: KeysAction::Rotate,
        } => {
            let now = astro_platform::time::now_secs();
            let rotation = astro_auth::keys::rotate(&settings, now).await?;
            println!(
                "published key {}: it signs from {} ({} s from now)",
                rotation.kid,
                chrono::DateTime::from_timestamp(rotation.not_before, 0)
                    .map_or_else(|| rotation.not_before.to_string(), |at| at.to_rfc3339()),
                rotation.not_before - now
            );
            for kid in &rotation.retired {
                println!("retired key {kid}: every token it signed has expired");
            }
            if !settings.jwt.uses_signing_keys() {
                println!(
                    "note: JWT_ALGORITHM is {}; the keys sign once it is EdDSA",
                    settings.jwt.algorithm
                );
            }
            Ok(())
        }
        Command::Certs { .. } => unreachable!("handled before reading the configuration"),
    }
}

/// `astro-auth certs`: needs no configuration, so it runs before any is read.
fn certs(out: &std::path::Path, names: &[String]) -> anyhow::Result<()> {
    let platform = || {
        astro_platform::grpc::Peer::ALL
            .iter()
            .map(|peer| peer.name().to_owned())
            .collect()
    };
    let names: Vec<String> = if names.is_empty() {
        platform()
    } else {
        names.to_vec()
    };
    for issued in astro_auth::certs::write(out, &names)? {
        println!("{} {}", issued.cert.display(), issued.key.display());
    }
    println!("{}", out.join(astro_auth::certs::CA_CERT).display());
    Ok(())
}

/// `INITIAL_ADMIN_PASSWORD`, or typed twice on the terminal without echo.
fn admin_password() -> anyhow::Result<SecretString> {
    if let Some(password) = std::env::var("INITIAL_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
    {
        return Ok(password.into());
    }
    let prompt =
        |text| rpassword::prompt_password(text).context("set INITIAL_ADMIN_PASSWORD or run on a terminal");
    let password = prompt("Admin password: ")?;
    if prompt("Repeat the password: ")? != password {
        anyhow::bail!("the passwords differ");
    }
    Ok(password.into())
}
