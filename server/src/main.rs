use clap::{CommandFactory, Parser};
use tokio::net::TcpListener;

use agora_server::config::{Cli, Command, LogFormat};

/// The allocator is set, and secret files become variables, while this is the only thread:
/// changing the environment while other threads run is undefined behaviour on glibc. Then the
/// runtime starts.
fn main() -> anyhow::Result<()> {
    agora_server::allocator::return_freed_memory();
    agora_server::secret_files::load(&Cli::command())?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run_command())
}

async fn run_command() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AGORA_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        // Standard output is for what a command prints (a token, say); logs go beside it.
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match cli.command {
        Command::Serve(config) => {
            raise_open_files_limit();
            let listener = TcpListener::bind(config.listen).await?;
            agora_server::run(config, listener, shutdown_signal()).await
        }
        Command::Admin(command) => agora_server::admin::run(command).await,
        Command::Reindex(storage) => agora_server::search::reindex::run(&storage).await,
        Command::Backup(args) => agora_server::backup::backup(args).await,
        Command::Restore(args) => agora_server::backup::restore(args).await,
    }
}

/// Every WebSocket holds a file descriptor, so a server with thousands of peers needs thousands
/// of them; the usual soft limit (1024) would refuse connections long before memory runs out.
fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-files limit raised to the hard limit"),
        Err(error) => tracing::warn!(%error, "could not raise the open-files limit"),
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
