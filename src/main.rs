//! `astro-auth`: the whole system in one process (`serve`, the default), or one-off
//! operations (`migrate`, `create-admin`).
use astro_common::Settings;
use clap::{Parser, Subcommand};

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    astro_common::telemetry::init();
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let stack =
                astro_auth::Stack::start(settings, astro_common::shutdown::on_signal()).await?;
            stack.wait().await
        }
        Command::Migrate => astro_auth::migrate(&settings).await,
    }
}
