//! `switchboard`: serve, demo, migrate, audit verify, keys rotate, practice
//! create, operator key, user reset-second-factor.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use switchboard::config::{Config, Overrides};
use switchboard::{demo, server, telemetry};
use switchboard_service::SystemClock;

#[derive(Parser)]
#[command(name = "switchboard", version, about = "Secure messaging between patients and their care team")]
struct Cli {
    /// A TOML configuration file (see config.example.toml).
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, global = true)]
    addr: Option<SocketAddr>,
    /// Data directory (SQLite database, key file, generated certificates).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// `postgres://…` to use PostgreSQL.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Serve plain HTTP (only behind a TLS-terminating proxy).
    #[arg(long, global = true)]
    insecure_http: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve,
    /// Create the synthetic demo practices (if absent) and serve them on
    /// https://127.0.0.1:8443 with a self-signed certificate.
    Demo {
        /// Also play this many weeks of synthetic past conversations into
        /// the demo practice (for the analytics pages), when creating it.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=26))]
        history_weeks: u32,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Audit-log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Master-key tools.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Practices: create one with its first administrator.
    Practice {
        #[command(subcommand)]
        command: PracticeCommand,
    },
    /// The deployment operator's API keys.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Accounts, for the operator at the console.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Remove an account's second factors (authenticator app, recovery
    /// codes, passkeys), for someone who lost them all and has no
    /// administrator to reset them: they sign in with their password and
    /// enrol again within their practice's grace period. Check who is asking
    /// first; the reset is audited.
    ResetSecondFactor {
        /// The account's username.
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum PracticeCommand {
    /// Create a practice and its first practice administrator, and print the
    /// one-time set-up link (valid 72 hours) to hand to them. No password is
    /// created.
    Create {
        /// The practice's name, as patients will see it.
        #[arg(long)]
        name: String,
        /// The administrator's username.
        #[arg(long)]
        admin_username: String,
        /// The administrator's name, as colleagues see it.
        #[arg(long)]
        admin_name: String,
        /// The address people reach the server on, to print a whole link.
        #[arg(long, default_value = "https://127.0.0.1:8443")]
        base_url: String,
    },
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Operator API keys, for creating practices through the API
    /// (`/api/v1/operator/…`).
    Key {
        #[command(subcommand)]
        command: OperatorKeyCommand,
    },
}

#[derive(Subcommand)]
enum OperatorKeyCommand {
    /// Make a key and print it once (only its hash is kept).
    Create {
        /// What the key is for, such as "provisioning".
        #[arg(long)]
        name: String,
    },
    /// List the keys (never their text).
    List,
    /// Revoke a key at once.
    Revoke {
        /// The key's id, from `list`.
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the audit chain and report any altered, missing or
    /// reordered entry, then check it against every signed checkpoint (in
    /// the data directory's `audit-checkpoints`, and in each `--checkpoints`
    /// directory: copies kept elsewhere). Exits with status 1 if the log is
    /// not intact.
    Verify {
        /// Another directory of checkpoint files to check against.
        #[arg(long)]
        checkpoints: Vec<std::path::PathBuf>,
    },
    /// Sign where the audit chain stands now and write the checkpoint
    /// outside the database (the server does so every hour).
    Checkpoint,
    /// Print the public key that checks this deployment's checkpoints.
    PublicKey,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new master key, rewrap every data key under it, and retire the
    /// old one. Running servers keep working throughout.
    Rotate {
        /// Seconds to wait for in-flight requests before the final sweep.
        #[arg(long, default_value_t = 5)]
        grace_secs: u64,
    },
    /// Print new key-file text, for SWITCHBOARD_MASTER_KEY deployments.
    Generate,
}

fn load(cli: &Cli, defaults: Config) -> anyhow::Result<Config> {
    let overrides = Overrides {
        addr: cli.addr,
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        insecure_http: cli.insecure_http,
    };
    Config::load(cli.config.as_deref(), defaults, &overrides, std::env::vars_os())
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))
}

#[allow(clippy::print_stdout)]
async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Serve => {
            let config = load(&cli, Config::default())?;
            let running = server::start(&config, Arc::new(SystemClock)).await?;
            tracing::info!(url = %running.url("/"), "serving");
            running.wait(server::shutdown_signal()).await?;
        }
        &Command::Demo { history_weeks } => {
            let mut defaults = Config { data_dir: PathBuf::from("switchboard-demo"), ..Config::default() };
            defaults.tls.self_signed = true;
            let config = Config { demo: true, ..load(&cli, defaults)? };
            let app = server::open_app(&config, Arc::new(SystemClock)).await?;
            if demo::seed(&app).await.context("creating the demo data")? {
                tracing::info!("created the demo practices");
                if history_weeks > 0 {
                    let n = switchboard::demo_history::play(&app, history_weeks)
                        .await
                        .context("playing the demo history")?;
                    tracing::info!(conversations = n, "played the demo history");
                }
            }
            let running = server::start_with(app, &config).await?;
            println!("\nSwitchboard demo: {}", running.url("/"));
            println!("API description:  {}", running.url("/api/v1/openapi.json"));
            println!("(self-signed certificate: your browser or client will ask you to trust it)");
            if running.addr.ip().is_loopback() || running.addr.ip().is_unspecified() {
                // WebAuthn needs a name: the demo's relying party is localhost.
                println!(
                    "Passkeys:         https://localhost:{}/ (a passkey needs the server's name)",
                    running.addr.port()
                );
            }
            println!();
            println!("Every password is `{}`. Logins:", demo::DEMO_PASSWORD);
            for (user, what) in demo::DEMO_LOGINS {
                println!("  {user:<16} {what}");
            }
            println!(
                "\nTry:\n  curl -k -X POST {} -H 'content-type: application/json' \\\n    -d '{{\"username\":\"alice\",\"password\":\"{}\"}}'\n",
                running.url("/api/v1/auth/login"),
                demo::DEMO_PASSWORD
            );
            running.wait(server::shutdown_signal()).await?;
        }
        Command::Migrate => {
            let config = load(&cli, Config::default())?;
            let applied = switchboard_store::Store::migrate(&config.location()).await?;
            println!("applied {} migration(s): {applied:?}", applied.len());
        }
        Command::Audit { command: AuditCommand::Checkpoint } => {
            let config = load(&cli, Config::default())?;
            let app = server::open_app(&config, Arc::new(SystemClock)).await?;
            let written = app.write_audit_checkpoint().await;
            app.close().await;
            match written? {
                Some(w) => println!(
                    "checkpoint of entry {} written{}{}",
                    w.seq,
                    w.path.map(|p| format!(" to {}", p.display())).unwrap_or_default(),
                    if w.in_object_store { " and to the object store" } else { "" }
                ),
                None => println!("the audit log is empty: nothing to checkpoint"),
            }
        }
        Command::Audit { command: AuditCommand::PublicKey } => {
            let config = load(&cli, Config::default())?;
            let app = server::open_app_for_audit(&config, Arc::new(SystemClock)).await?;
            let key = app.audit_checkpoint_public_key();
            app.close().await;
            println!("{}", key?);
        }
        Command::Audit { command: AuditCommand::Verify { checkpoints } } => {
            let config = load(&cli, Config::default())?;
            let app = server::open_app_for_audit(&config, Arc::new(SystemClock)).await?;
            let report = app.verify_audit_with_checkpoints(checkpoints).await?;
            app.close().await;
            if report.is_intact() {
                println!(
                    "audit log intact: {} entries, last {}; {} signed checkpoint(s) agree",
                    report.entries, report.last_seq, report.checkpoints
                );
                return Ok(ExitCode::SUCCESS);
            }
            println!("AUDIT LOG NOT INTACT ({} entries read):", report.entries);
            for p in &report.problems {
                println!("  - {p}");
            }
            return Ok(ExitCode::from(1));
        }
        Command::Keys { command: KeysCommand::Rotate { grace_secs } } => {
            let config = load(&cli, Config::default())?;
            let app = server::open_app(&config, Arc::new(SystemClock)).await?;
            let report = app.rotate_master_key(Duration::from_secs(*grace_secs)).await?;
            app.close().await;
            println!(
                "new master key {}; rewrapped {} data key(s); retired master key(s) {:?}",
                report.new_master_key, report.rewrapped, report.retired
            );
            if !report.still_in_use.is_empty() {
                println!(
                    "master key(s) {:?} still wrap data keys written during rotation: run it again",
                    report.still_in_use
                );
                return Ok(ExitCode::from(1));
            }
        }
        Command::Practice { command: PracticeCommand::Create { name, admin_username, admin_name, base_url } } => {
            let config = load(&cli, Config::default())?;
            let app = server::open_app(&config, Arc::new(SystemClock)).await?;
            let created = app
                .create_practice_with_admin(
                    name,
                    admin_username,
                    admin_name,
                    switchboard_domain::audit::AuditActor::System,
                    None,
                )
                .await;
            app.close().await;
            let (_, _, link) = created.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created practice \"{name}\" with administrator {admin_username}");
            println!("one-time set-up link (valid until {}; shown only now):", link.expires_at);
            println!("  {}{}", base_url.trim_end_matches('/'), link.path);
        }
        Command::Operator { command: OperatorCommand::Key { command } } => {
            let config = load(&cli, Config::default())?;
            let app = server::open_app(&config, Arc::new(SystemClock)).await?;
            let done = operator_key(&app, command).await;
            app.close().await;
            done?;
        }
        Command::User { command: UserCommand::ResetSecondFactor { username } } => {
            let config = load(&cli, Config::default())?;
            let app = server::open_app(&config, Arc::new(SystemClock)).await?;
            let done = app.reset_second_factors_at_console(username).await;
            app.close().await;
            done.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("removed the second factors of {username}; they sign in with their password and set one up again");
        }
        Command::Keys { command: KeysCommand::Generate } => {
            print!("{}", switchboard_crypto::KeyRing::generate_text()?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::print_stdout)]
async fn operator_key(app: &switchboard_service::Switchboard, command: &OperatorKeyCommand) -> anyhow::Result<()> {
    match command {
        OperatorKeyCommand::Create { name } => {
            let (id, key) = app.create_operator_key(name).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("operator key {id} ({name}); shown only now, keep it in a secret store:");
            println!("  {key}");
        }
        OperatorKeyCommand::List => {
            for k in app.operator_keys().await.map_err(|e| anyhow::anyhow!("{e}"))? {
                let state = match k.revoked_at {
                    Some(at) => format!("revoked {at}"),
                    None => "active".to_owned(),
                };
                let used = k.last_used_at.map_or_else(|| "never used".to_owned(), |t| format!("last used {t}"));
                println!("{}  {}  created {}  {used}  {state}", k.id, k.name, k.created_at);
            }
        }
        OperatorKeyCommand::Revoke { id } => {
            let key = switchboard_domain::ids::OperatorKeyId::parse(id).map_err(|_| anyhow::anyhow!("not a key id"))?;
            app.revoke_operator_key(key).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("revoked operator key {key}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
