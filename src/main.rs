//! `astro-auth`: the whole system in one process (`serve`, the default), or one-off
//! operations (`migrate`, `create-admin`).
use anyhow::Context;
use astro_common::{Settings, config::InitialAdmin};
use clap::{Parser, Subcommand};
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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let _telemetry = astro_common::telemetry::init("astro-auth");
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let stack = astro_auth::Stack::start(settings, astro_common::shutdown::on_signal()).await?;
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
    }
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
