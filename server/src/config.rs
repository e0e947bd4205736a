//! Command line and environment: every option has an `AGORA_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::store::Synchronous;
use crate::sync::SyncLimits;

#[derive(Debug, Parser)]
#[command(
    name = "agora",
    version,
    about = "Agora: dialogue-based quality development, live."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeConfig),
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "AGORA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// The data folder: the database and everything derived from it.
    #[arg(long, env = "AGORA_DATA", default_value = "./agora-data")]
    pub data: PathBuf,

    /// How hard SQLite works to make each commit durable.
    #[arg(
        long,
        env = "AGORA_SQLITE_SYNCHRONOUS",
        value_enum,
        default_value = "full"
    )]
    pub sqlite_synchronous: Synchronous,

    #[command(flatten)]
    pub limits: LimitsConfig,
}

/// Limits that protect the server and its peers; durations take units, e.g. `15s`, `500ms`.
#[derive(Debug, Clone, Args)]
pub struct LimitsConfig {
    /// Largest WebSocket frame a peer may send, in bytes.
    #[arg(long, env = "AGORA_MAX_FRAME_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_frame_bytes: usize,

    /// Time a new connection has to send `join`.
    #[arg(long, env = "AGORA_JOIN_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub join_timeout: Duration,

    /// How often the server pings each peer.
    #[arg(long, env = "AGORA_PING_EVERY", default_value = "15s", value_parser = humantime::parse_duration)]
    pub ping_every: Duration,

    /// A peer silent for this long (no pong, no message) is disconnected.
    #[arg(long, env = "AGORA_PONG_TIMEOUT", default_value = "40s", value_parser = humantime::parse_duration)]
    pub pong_timeout: Duration,

    /// Frames queued for one connection before it counts as lagging.
    #[arg(long, env = "AGORA_SEND_QUEUE", default_value_t = 64)]
    pub send_queue: usize,

    /// A peer that cannot take messages for this long is disconnected; it resyncs on return.
    #[arg(long, env = "AGORA_LAG_LIMIT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub lag_limit: Duration,

    /// A document nobody has open leaves memory after this long.
    #[arg(long, env = "AGORA_IDLE_UNLOAD", default_value = "60s", value_parser = humantime::parse_duration)]
    pub idle_unload: Duration,

    /// Documents one connection may have open at once.
    #[arg(
        long,
        env = "AGORA_MAX_DOCUMENTS_PER_CONNECTION",
        default_value_t = 1000
    )]
    pub max_documents_per_connection: usize,
}

impl LimitsConfig {
    /// The limits as `agora serve` starts with them when given no options.
    pub fn defaults() -> SyncLimits {
        let Command::Serve(config) = Cli::parse_from(["agora", "serve"]).command;
        config
            .limits
            .validate()
            .expect("the default limits fit together")
    }

    /// Checks the limits fit together, with a message that says what to change.
    pub fn validate(&self) -> Result<SyncLimits, String> {
        if self.max_frame_bytes < 1024 {
            return Err("--max-frame-bytes must be at least 1024".into());
        }
        if self.send_queue == 0 || self.max_documents_per_connection == 0 {
            return Err(
                "--send-queue and --max-documents-per-connection must be at least 1".into(),
            );
        }
        if self.pong_timeout <= self.ping_every {
            return Err("--pong-timeout must be longer than --ping-every".into());
        }
        Ok(SyncLimits {
            max_frame_bytes: self.max_frame_bytes,
            join_timeout: self.join_timeout,
            ping_every: self.ping_every,
            pong_timeout: self.pong_timeout,
            send_queue: self.send_queue,
            lag_limit: self.lag_limit,
            idle_unload: self.idle_unload,
            max_documents_per_connection: self.max_documents_per_connection,
        })
    }
}
