//! `agora-bench`: measures the release `agora` server from the outside, over loopback.
//!
//! ```sh
//! cargo build --release -p agora-server
//! cargo run --release -p agora-tests --bin agora-bench -- all
//! cargo run --release -p agora-tests --bin agora-bench -- latency --clients 1,10
//! cargo run --release -p agora-tests --bin agora-bench -- --servers agora,node all
//! cargo run --release -p agora-tests --bin agora-bench -- memory --connections 500 --documents 50
//! cargo run --release -p agora-tests --bin agora-bench -- writers --writers 10,50 --seconds 30
//! cargo run --release -p agora-tests --bin agora-bench -- documents --documents 1000 --seconds 30
//! cargo run --release -p agora-tests --bin agora-bench -- throughput --rates 250,500,1000
//! cargo run --release -p agora-tests --bin agora-bench -- search
//! cargo run --release -p agora-tests --bin agora-bench -- receive --histories 1000,100000
//! cargo run --release -p agora-tests --bin agora-bench -- cluster --clients 1,10,100
//! cargo run --release -p agora-tests --bin agora-bench -- soak --duration 30m
//! ```
//!
//! Run on demand only, never from the tests: the workloads take minutes and the machine. `soak`
//! fails (exit status 1) when one of its checks does.

use std::path::PathBuf;

use agora_tests::bench::cluster::{self, ClusterOptions};
use agora_tests::bench::documents::{DocumentsOptions, EditingOptions};
use agora_tests::bench::latency::LatencyOptions;
use agora_tests::bench::memory::MemoryOptions;
use agora_tests::bench::receive::{self, ReceiveOptions};
use agora_tests::bench::replay::ReplayOptions;
use agora_tests::bench::search::{self, SearchOptions};
use agora_tests::bench::throughput::ThroughputOptions;
use agora_tests::bench::writers::WritersOptions;
use agora_tests::bench::{
    documents, latency, machine, memory, release_server_binary, replay, throughput, writers,
    BenchServer, ServerKind,
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
    /// Many writers typing at human speed on one document.
    Writers(WritersOptions),
    /// Many documents at once, several editors typing on each.
    Documents(DocumentsOptions),
    /// The highest rate of edits sustained with p99 ≤ 100 ms (or a limit given), by rising steps.
    Throughput(ThroughputOptions),
    /// All of the above in sequence (`--documents` and `--seconds` serve two workloads each).
    All(AllOptions),
    /// Edit → remote latency across several instances on one PostgreSQL.
    Cluster(ClusterOptions),
    /// Agora's search index beside SQLite FTS5 and PostgreSQL full-text search on the shared
    /// corpus (no server process: the engines themselves).
    Search(SearchOptions),
    /// Incoming sync messages as the document's history grows: automerge's
    /// `receive_sync_message`, one by one, beside Agora's (no server process: the two ways
    /// themselves).
    Receive(ReceiveOptions),
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
    #[command(flatten)]
    writers: WritersOptions,
    /// The documents workload takes `--documents` from memory's and `--seconds` from writers'.
    #[command(flatten)]
    editing: EditingOptions,
    #[command(flatten)]
    throughput: ThroughputOptions,
}

/// The workloads to run, each against every server asked for.
#[derive(Default)]
struct Plan {
    latency: Option<LatencyOptions>,
    replay: Option<ReplayOptions>,
    memory: Option<MemoryOptions>,
    writers: Option<WritersOptions>,
    documents: Option<DocumentsOptions>,
    throughput: Option<ThroughputOptions>,
}

impl Plan {
    fn of(what: What) -> Plan {
        match what {
            What::Latency(options) => Plan {
                latency: Some(options),
                ..Plan::default()
            },
            What::Replay(options) => Plan {
                replay: Some(options),
                ..Plan::default()
            },
            What::Memory(options) => Plan {
                memory: Some(options),
                ..Plan::default()
            },
            What::Writers(options) => Plan {
                writers: Some(options),
                ..Plan::default()
            },
            What::Documents(options) => Plan {
                documents: Some(options),
                ..Plan::default()
            },
            What::Throughput(options) => Plan {
                throughput: Some(options),
                ..Plan::default()
            },
            What::All(all) => Plan {
                documents: Some(DocumentsOptions {
                    documents: all.memory.documents,
                    seconds: all.writers.seconds,
                    editing: all.editing,
                }),
                latency: Some(all.latency),
                replay: Some(all.replay),
                memory: Some(all.memory),
                writers: Some(all.writers),
                throughput: Some(all.throughput),
            },
            What::Search(_) | What::Receive(_) | What::Cluster(_) | What::Soak(_) => {
                Plan::default()
            }
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let What::Search(options) = &cli.what {
        return search::run(options).await;
    }
    if let What::Receive(options) = &cli.what {
        return receive::run(options).await;
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
    let plan = Plan::of(cli.what);
    let start = |kind| BenchServer::start_kind(kind, &binary, &cli.server_args);
    let heading = |kind: ServerKind| println!("\n#### Server: {}", kind.name());
    if let Some(options) = &plan.latency {
        for &kind in &cli.servers {
            heading(kind);
            latency::run(&start(kind).await?, options).await?;
        }
    }
    if let Some(options) = &plan.replay {
        for &kind in &cli.servers {
            heading(kind);
            replay::run(&mut start(kind).await?, options).await?;
        }
    }
    if let Some(options) = &plan.memory {
        for &kind in &cli.servers {
            heading(kind);
            memory::run(&start(kind).await?, options).await?;
        }
    }
    if let Some(options) = &plan.writers {
        for &kind in &cli.servers {
            heading(kind);
            writers::run(&start(kind).await?, options).await?;
        }
    }
    if let Some(options) = &plan.documents {
        for &kind in &cli.servers {
            heading(kind);
            documents::run(&start(kind).await?, options).await?;
        }
    }
    if let Some(options) = &plan.throughput {
        for &kind in &cli.servers {
            heading(kind);
            throughput::run(&start(kind).await?, options).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// `all` flattens every workload's options: a name used twice would only fail when run
    /// (and clap's own checks run in debug builds only).
    #[test]
    fn options_are_consistent() {
        Cli::command().debug_assert();
        for command in Cli::command().get_subcommands() {
            let mut names = std::collections::HashSet::new();
            for arg in command.get_arguments() {
                let name = arg.get_long().unwrap_or(arg.get_id().as_str());
                assert!(names.insert(name), "{}: --{name} twice", command.get_name());
            }
        }
        let cli = Cli::try_parse_from(["agora-bench", "all", "--documents", "7", "--seconds", "3"])
            .expect("all parses");
        let What::All(all) = cli.what else {
            panic!("not all")
        };
        let plan = Plan::of(What::All(all));
        assert_eq!(
            plan.documents.map(|d| (d.documents, d.seconds)),
            Some((7, 3))
        );
    }
}
