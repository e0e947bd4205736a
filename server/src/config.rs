//! Command line and environment: every option has an `AGORA_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::database::{Location, Synchronous};
use crate::i18n::Locale;
use crate::sync::SyncLimits;

#[derive(Debug, Parser)]
#[command(
    name = "agora",
    version,
    about = "Agora: dialogue-based quality development, live."
)]
pub struct Cli {
    /// How log lines are written (to standard error): `text` for people, `json` for a log
    /// collector (one object per line).
    #[arg(
        long,
        global = true,
        env = "AGORA_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeConfig),
    /// Manage accounts, organisations and tokens from the command line.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Rebuild the search index from the stored documents (with the server stopped).
    Reindex(Storage),
    /// Copy the whole database into a new SQLite file (also while the server runs).
    Backup(BackupArgs),
    /// Fill a new, empty database from a backup file (with the server stopped).
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write; it must not exist yet.
    #[arg(long)]
    pub to: PathBuf,
    #[command(flatten)]
    pub storage: Storage,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file that `agora backup` wrote, from SQLite or from PostgreSQL.
    #[arg(long)]
    pub from: PathBuf,
    #[command(flatten)]
    pub storage: Storage,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account. The first account of an installation is its administrator.
    CreateUser {
        #[command(flatten)]
        storage: Storage,
        #[arg(long)]
        email: String,
        /// The name shown to others (the email's local part when not given).
        #[arg(long)]
        name: Option<String>,
        /// A file holding the password (its first line); keeps it out of the shell history.
        #[arg(long)]
        password_file: PathBuf,
        /// Make the account an instance administrator (may create organisations).
        #[arg(long)]
        instance_admin: bool,
    },
    /// Print a new API token for an account, for the CLI client and scripts.
    CreateToken {
        #[command(flatten)]
        storage: Storage,
        #[arg(long)]
        email: String,
        /// What the token is for, shown in the account's token list.
        #[arg(long, default_value = "command line")]
        name: String,
    },
    /// Create an organisation with an existing account as its administrator.
    CreateOrganisation {
        #[command(flatten)]
        storage: Storage,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
    },
    /// Give every stored document without an owner (written before accounts existed) to an
    /// organisation, owned by one of its members; until then nobody can open them.
    AdoptDocuments {
        #[command(flatten)]
        storage: Storage,
        /// The organisation's number, as `create-organisation` printed it.
        #[arg(long)]
        organisation: i64,
        #[arg(long)]
        owner_email: String,
    },
}

/// Where an installation keeps its data.
#[derive(Debug, Clone, Args)]
pub struct Storage {
    /// The data folder: the SQLite database (unless `--database-url` is given) and the search
    /// index.
    #[arg(long, env = "AGORA_DATA", default_value = "./agora-data")]
    pub data: PathBuf,

    /// A PostgreSQL database (`postgres://user:password@host/database`) instead of SQLite in the
    /// data folder; several instances can share it.
    #[arg(long, env = "AGORA_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// How hard SQLite works to make each commit durable.
    #[arg(
        long,
        env = "AGORA_SQLITE_SYNCHRONOUS",
        value_enum,
        default_value = "full"
    )]
    pub sqlite_synchronous: Synchronous,
}

impl Storage {
    pub fn database(&self) -> Location {
        Location::new(
            &self.data,
            self.database_url.as_deref(),
            self.sqlite_synchronous,
        )
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "AGORA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub storage: Storage,

    /// Serve Prometheus metrics at `/metrics` on this address (e.g. `127.0.0.1:9100`); off
    /// when not given. Keep it off the public network.
    #[arg(long, env = "AGORA_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    #[command(flatten)]
    pub web: WebConfig,

    #[command(flatten)]
    pub limits: LimitsConfig,
}

/// How people reach Agora in the browser, and how they sign in.
#[derive(Debug, Clone, Args)]
pub struct WebConfig {
    /// The address users open, e.g. `https://agora.example.org`: invitation links use it, it is
    /// an allowed Origin, and cookies are marked Secure when it is https.
    #[arg(long, env = "AGORA_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Language of pages when neither the account nor the browser names de, da or en.
    #[arg(long, env = "AGORA_DEFAULT_LANGUAGE", value_enum, default_value = "en")]
    pub default_language: Locale,

    /// Take client addresses from `X-Forwarded-For` and the scheme from `X-Forwarded-Proto`;
    /// only behind a proxy that sets them.
    #[arg(long, env = "AGORA_TRUST_PROXY")]
    pub trust_proxy: bool,

    /// Sign-in attempts allowed per minute for one email address, and for one client address.
    #[arg(long, env = "AGORA_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 10)]
    pub login_attempts_per_minute: u32,

    /// With `--admin-password-file`: the administrator created at start-up when the
    /// installation has no account yet.
    #[arg(long, env = "AGORA_ADMIN_EMAIL", requires = "admin_password_file")]
    pub admin_email: Option<String>,

    /// A file holding the first administrator's password (its first line).
    #[arg(long, env = "AGORA_ADMIN_PASSWORD_FILE", requires = "admin_email")]
    pub admin_password_file: Option<PathBuf>,
}

impl WebConfig {
    /// The public URL's origin (`scheme://host[:port]`), checked for shape.
    pub fn public_origin(&self) -> Result<Option<String>, String> {
        let Some(url) = &self.public_url else {
            return Ok(None);
        };
        let url = url.trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or("--public-url must start with http:// or https://")?;
        if rest.is_empty() || rest.contains('/') || rest.contains('?') || rest.contains('#') {
            return Err("--public-url must be an origin such as https://agora.example.org".into());
        }
        Ok(Some(url.to_owned()))
    }
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

    /// A connection quiet this long rests: it gives up its task and most of its memory until
    /// its peer, a message for it or a ping wakes it.
    #[arg(long, env = "AGORA_REST_AFTER", default_value = "1s", value_parser = humantime::parse_duration)]
    pub rest_after: Duration,

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

    /// `/sync` connections one account may have open at once on this instance.
    #[arg(long, env = "AGORA_MAX_CONNECTIONS_PER_ACCOUNT", default_value_t = 256)]
    pub max_connections_per_account: usize,

    /// Messages per second one connection may send on average; bursts of four seconds' worth
    /// (at least 1000, enough to open that many documents at once) pass.
    #[arg(long, env = "AGORA_MAX_MESSAGES_PER_SECOND", default_value_t = 500)]
    pub max_messages_per_second: u32,
}

impl LimitsConfig {
    /// The limits as `agora serve` starts with them when given no options.
    pub fn defaults() -> SyncLimits {
        let Command::Serve(config) = Cli::parse_from(["agora", "serve"]).command else {
            unreachable!("`agora serve` parses as Serve")
        };
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
        if self.send_queue == 0
            || self.max_documents_per_connection == 0
            || self.max_connections_per_account == 0
            || self.max_messages_per_second == 0
        {
            return Err("--send-queue, --max-documents-per-connection, \
                 --max-connections-per-account and --max-messages-per-second must be at least 1"
                .into());
        }
        if self.pong_timeout <= self.ping_every {
            return Err("--pong-timeout must be longer than --ping-every".into());
        }
        if self.rest_after.is_zero() {
            return Err("--rest-after must be longer than 0s".into());
        }
        Ok(SyncLimits {
            max_frame_bytes: self.max_frame_bytes,
            join_timeout: self.join_timeout,
            ping_every: self.ping_every,
            pong_timeout: self.pong_timeout,
            rest_after: self.rest_after,
            send_queue: self.send_queue,
            lag_limit: self.lag_limit,
            idle_unload: self.idle_unload,
            max_documents_per_connection: self.max_documents_per_connection,
            max_connections_per_account: self.max_connections_per_account,
            max_messages_per_second: self.max_messages_per_second,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(options: &[&str]) -> Result<SyncLimits, String> {
        let args = ["agora", "serve"].iter().chain(options);
        let Command::Serve(config) = Cli::parse_from(args).command else {
            unreachable!("`agora serve` parses as Serve")
        };
        config.limits.validate()
    }

    #[test]
    fn limits_that_do_not_fit_together_are_refused_with_what_to_change() {
        let defaults = limits(&[]).unwrap();
        assert_eq!(defaults.rest_after, Duration::from_secs(1));
        let refused = [
            (&["--ping-every", "40s"][..], "--pong-timeout"),
            (&["--rest-after", "0s"][..], "--rest-after"),
            (&["--max-frame-bytes", "100"][..], "--max-frame-bytes"),
            (&["--send-queue", "0"][..], "--send-queue"),
        ];
        for (options, named) in refused {
            let error = limits(options).unwrap_err();
            assert!(error.contains(named), "{options:?}: {error}");
        }
        assert_eq!(
            limits(&["--rest-after", "250ms"]).unwrap().rest_after,
            Duration::from_millis(250)
        );
    }
}
