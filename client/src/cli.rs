//! The subcommands of `agora-client`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use agora_client::search::{plain_snippet, web_base, SearchQuery};
use agora_client::trace::{self, Trace};
use agora_client::{Client, ClientOptions, DocHandle, DocumentId};
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

/// How long commands wait for the server to acknowledge their changes.
const SYNC_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Parser)]
#[command(name = "agora-client", version, about = "Talk to an Agora sync server")]
pub struct Args {
    /// The server's sync endpoint.
    #[arg(
        long,
        env = "AGORA_SERVER",
        default_value = "ws://127.0.0.1:8080/sync",
        global = true
    )]
    server: String,
    /// An API token (create one on the server's "API tokens" page or with
    /// `agora admin create-token`).
    #[arg(long, env = "AGORA_TOKEN", global = true, hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an empty text document; prints its id, then its automerge: URL.
    New,
    /// Print a document's text.
    Cat {
        /// Document id or automerge: URL.
        doc: String,
    },
    /// Append text at the end of a document and wait until the server has it.
    Append { doc: String, text: String },
    /// Print the text every time it changes, until Ctrl-C.
    Watch {
        doc: String,
        /// Stop after this many seconds.
        #[arg(long)]
        for_secs: Option<u64>,
    },
    /// Search what your account may read; prints each place found with its snippet and link.
    Search {
        /// Search words: "quotes" for a phrase, word* for a prefix, -word to exclude.
        query: String,
        /// Only documents of this kind (e.g. statement).
        #[arg(long)]
        kind: Option<String>,
        /// Only this quality area.
        #[arg(long)]
        area: Option<String>,
        /// Only documents shared with this team.
        #[arg(long)]
        team: Option<String>,
        /// Only documents this person wrote (their display name).
        #[arg(long)]
        author: Option<String>,
        #[arg(long)]
        year: Option<i32>,
        /// Newest first instead of best match first.
        #[arg(long)]
        newest_first: bool,
    },
    /// Replay a sequential editing trace (.json.gz) into a new document.
    Replay {
        trace: PathBuf,
        /// Trace transactions per automerge change (1 = one change per keystroke).
        #[arg(long, default_value_t = 1)]
        batch: usize,
    },
}

/// The server to talk to and the token to show it.
struct Target {
    server: String,
    token: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let target = Target {
        server: args.server,
        token: args.token,
    };
    match args.command {
        Command::New => new(&target).await,
        Command::Cat { doc } => cat(&target, &doc).await,
        Command::Append { doc, text } => append(&target, &doc, &text).await,
        Command::Watch { doc, for_secs } => watch(&target, &doc, for_secs).await,
        Command::Search {
            query,
            kind,
            area,
            team,
            author,
            year,
            newest_first,
        } => {
            let year = year.map(|year| year.to_string());
            let chosen = [
                ("kind", &kind),
                ("area", &area),
                ("team", &team),
                ("author", &author),
                ("year", &year),
            ];
            let query = SearchQuery {
                text: &query,
                filters: chosen
                    .iter()
                    .filter_map(|(name, value)| Some((*name, value.as_deref()?)))
                    .collect(),
                newest_first,
            };
            search(&target, &query).await
        }
        Command::Replay { trace, batch } => replay(&target, &trace, batch).await,
    }
}

async fn search(target: &Target, query: &SearchQuery<'_>) -> anyhow::Result<()> {
    let token = target
        .token
        .as_deref()
        .context("searching needs an API token (--token or AGORA_TOKEN)")?;
    let results = agora_client::search::search(&target.server, token, query).await?;
    let base = web_base(&target.server);
    for hit in &results.hits {
        let place = if hit.heading.is_empty() || hit.heading == hit.title {
            hit.title.clone()
        } else {
            format!("{} › {}", hit.title, hit.heading)
        };
        println!(
            "{place}\n  {}\n  {}\n",
            plain_snippet(&hit.snippet),
            hit.link(&base)
        );
    }
    println!("{} found", results.total);
    Ok(())
}

async fn connect(target: &Target) -> anyhow::Result<Client> {
    let options = ClientOptions {
        token: target.token.clone(),
        ..ClientOptions::default()
    };
    Ok(Client::connect_with(&target.server, options).await?)
}

async fn open(target: &Target, doc: &str) -> anyhow::Result<(Client, DocHandle)> {
    let id = DocumentId::parse_url_or_id(doc).with_context(|| format!("`{doc}`"))?;
    let client = connect(target).await?;
    let handle = client.find(id).await?;
    Ok((client, handle))
}

async fn new(target: &Target) -> anyhow::Result<()> {
    let client = connect(target).await?;
    let doc = client.create().await?;
    doc.wait_synced(SYNC_TIMEOUT).await?;
    println!("{}", doc.id());
    println!("{}", doc.url());
    client.close().await;
    Ok(())
}

async fn cat(target: &Target, doc: &str) -> anyhow::Result<()> {
    let (client, doc) = open(target, doc).await?;
    println!("{}", doc.text());
    client.close().await;
    Ok(())
}

async fn append(target: &Target, doc: &str, text: &str) -> anyhow::Result<()> {
    let (client, doc) = open(target, doc).await?;
    doc.append_text(text)?;
    doc.wait_synced(SYNC_TIMEOUT).await?;
    client.close().await;
    Ok(())
}

async fn watch(target: &Target, doc: &str, for_secs: Option<u64>) -> anyhow::Result<()> {
    let (client, doc) = open(target, doc).await?;
    let stop = async {
        match for_secs {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    tokio::pin!(stop);
    let mut changes = doc.changes();
    let mut last = doc.text();
    println!("{last}");
    loop {
        tokio::select! {
            _ = &mut stop => break,
            changed = changes.changed() => {
                if changed.is_err() {
                    break;
                }
                let text = doc.text();
                if text != last {
                    println!("{text}");
                    last = text;
                }
            }
        }
    }
    client.close().await;
    Ok(())
}

async fn replay(target: &Target, path: &std::path::Path, batch: usize) -> anyhow::Result<()> {
    let trace = Trace::load(path)?;
    let client = connect(target).await?;
    let doc = client.create().await?;
    let started = Instant::now();
    let report = trace::replay(&trace, &doc, batch)?;
    let applied = started.elapsed();
    if doc.text() != trace.end_content {
        bail!(
            "after the replay the text differs from endContent ({} vs {} characters)",
            doc.text().chars().count(),
            trace.end_content.chars().count()
        );
    }
    doc.wait_synced(SYNC_TIMEOUT).await?;
    let elapsed = started.elapsed();
    let edits = trace.patch_count();
    println!("document {}", doc.id());
    println!(
        "edits {edits} (transactions {}, changes {})",
        report.txns, report.changes
    );
    println!(
        "elapsed {:.3} s (local apply {:.3} s)",
        elapsed.as_secs_f64(),
        applied.as_secs_f64()
    );
    println!("edits/s {:.0}", edits as f64 / elapsed.as_secs_f64());
    client.close().await;
    Ok(())
}
