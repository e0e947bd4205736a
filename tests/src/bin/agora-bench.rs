//! `agora-bench`: measures the release `agora` server from the outside, over loopback.
//!
//! ```sh
//! cargo build --release -p agora-server
//! cargo run --release -p agora-tests --bin agora-bench -- all
//! cargo run --release -p agora-tests --bin agora-bench -- latency --clients 1,10
//! cargo run --release -p agora-tests --bin agora-bench -- --servers agora,node all
//! cargo run --release -p agora-tests --bin agora-bench -- memory --connections 500 --documents 50
//! cargo run --release -p agora-tests --bin agora-bench -- search
//! cargo run --release -p agora-tests --bin agora-bench -- cluster --clients 1,10,100
//! cargo run --release -p agora-tests --bin agora-bench -- soak --duration 30m
//! ```
//!
//! Run on demand only, never from the tests: the workloads take minutes and the machine. `soak`
//! fails (exit status 1) when one of its checks does.

use std::path::PathBuf;

use agora_tests::bench::cluster::{self, ClusterOptions};
use agora_tests::bench::latency::LatencyOptions;
use agora_tests::bench::memory::MemoryOptions;
use agora_tests::bench::replay::ReplayOptions;
use agora_tests::bench::search::{self, SearchOptions};
use agora_tests::bench::{
    latency, machine, memory, release_server_binary, replay, BenchServer, ServerKind,
};
use agora_tests::soak::{self, SoakOptions};
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "agora-bench",
    about = "Benchmarks of the release agora server over loopback."
)]
struct Cli {
    /// The server binary; by default target/release/agora beside this executable's folder.
    #[arg(long)]
    server_binary: Option<PathBuf>,
    /// An extra `agora serve` option, repeatable, e.g. `--server-arg=--sqlite-synchronous=normal`.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    server_args: Vec<String>,
    /// The servers to measure, each with the same clients and workloads: `agora`, `node` (the
    /// official automerge-repo sync server from `tests/npm`), or both, e.g. `agora,node`.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "agora")]
    servers: Vec<ServerKind>,
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, Subcommand)]
enum What {
    /// Edit → remote latency with 1..N readers of one document.
    Latency(LatencyOptions),
    /// The automerge-paper trace through the server, then a cold load.
    Replay(ReplayOptions),
    /// Server memory with many idle connections.
    Memory(MemoryOptions),
    /// The three in sequence.
    All(AllOptions),
    /// Edit → remote latency across several instances on one PostgreSQL.
    Cluster(ClusterOptions),
    /// Agora's search index beside SQLite FTS5 and PostgreSQL full-text search on the shared
    /// corpus (no server process: the engines themselves).
    Search(SearchOptions),
    /// Editing for a long while with disconnects, slow readers and kill -9; then checks that
    /// nothing was lost, memory came back and every log complaint is explained.
    Soak(SoakOptions),
}

#[derive(Debug, Args)]
struct AllOptions {
    #[command(flatten)]
    latency: LatencyOptions,
    #[command(flatten)]
    replay: ReplayOptions,
    #[command(flatten)]
    memory: MemoryOptions,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let What::Search(options) = &cli.what {
        return search::run(options).await;
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: agora-bench is a debug build; its client side skews the figures (use --release)");
    }
    // Thousands of client sockets in this process need as many file descriptors.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => eprintln!("open-files limit: {limit}"),
        Err(error) => eprintln!("warning: could not raise the open-files limit: {error}"),
    }
    let binary = match cli.server_binary {
        Some(binary) => binary,
        None => release_server_binary()?,
    };
    println!("{}", machine::header(&binary, &cli.server_args));
    if let What::Cluster(options) = &cli.what {
        return cluster::run(&binary, &cli.server_args, options).await;
    }
    if let What::Soak(options) = &cli.what {
        let report = soak::run(&binary, &cli.server_args, options).await?;
        report.table.print();
        anyhow::ensure!(report.passed(), "the soak failed:\n{}", report.failures());
        return Ok(());
    }

    // A fresh server (and data folder) per workload, so none sees another's documents.
    let (run_latency, run_replay, run_memory) = match cli.what {
        What::Latency(options) => (Some(options), None, None),
        What::Replay(options) => (None, Some(options), None),
        What::Memory(options) => (None, None, Some(options)),
        What::All(all) => (Some(all.latency), Some(all.replay), Some(all.memory)),
        What::Search(_) | What::Cluster(_) | What::Soak(_) => unreachable!("answered above"),
    };
    let start = |kind| BenchServer::start_kind(kind, &binary, &cli.server_args);
    if let Some(options) = run_latency {
        for &kind in &cli.servers {
            println!("\n#### Server: {}", kind.name());
            latency::run(&start(kind).await?, &options).await?;
        }
    }
    if let Some(options) = run_replay {
        for &kind in &cli.servers {
            println!("\n#### Server: {}", kind.name());
            replay::run(&mut start(kind).await?, &options).await?;
        }
    }
    if let Some(options) = run_memory {
        for &kind in &cli.servers {
            println!("\n#### Server: {}", kind.name());
            memory::run(&start(kind).await?, &options).await?;
        }
    }
    Ok(())
}
