//! The run from start to end: the server and the proxy, the documents, the stretch with kills,
//! the rounds without (each ended by everyone leaving and the idle server's memory read), a clean
//! stop and restart, the final load of every document, and the logs of both sides.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rand::SeedableRng;
use tokio::time::Instant;

use super::client_log::{self, ClientLog};
use super::ledger::{Copies, Ledger};
use super::memory::{self, MemoryFindings};
use super::plan::{Schedule, SoakOptions};
use super::proxy::CuttingProxy;
use super::report::{report, Findings, SoakReport};
use super::server::SoakServer;
use super::tally::Tally;
use super::text::Phrases;
use super::verify::verify;
use super::workload::{found_documents, Workload};
use super::{server_log, stretch};

/// Runs the soak against `binary`, with `extra` options for `agora serve`. Fails (`Err`) only
/// when the run itself could not be set up; what the server did wrong is in the report's checks.
pub async fn run(
    binary: &Path,
    extra: &[String],
    options: &SoakOptions,
) -> anyhow::Result<SoakReport> {
    let client_log = ClientLog::installed()?;
    let client_log_before = client_log.counts();
    let seed = options.seed.unwrap_or_else(rand::random);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let schedule = Schedule::new(options, &mut rng);
    let phrases = Phrases::load()?;

    let mut server = SoakServer::start(binary, extra).await?;
    let proxy = Arc::new(
        CuttingProxy::start(server.addr())
            .await
            .context("start the proxy")?,
    );
    let (ledger, copies) = (Ledger::default(), Copies::default());
    let documents = found_documents(
        &server.sync_url(),
        options.documents,
        &phrases,
        &ledger,
        &copies,
    )
    .await
    .context("create the documents")?;
    let work = Arc::new(Workload {
        options: options.clone(),
        proxied_url: server.sync_url_via(proxy.addr()),
        direct_url: server.sync_url(),
        documents,
        phrases,
        ledger,
        copies,
        tally: Tally::default(),
    });

    let started = Instant::now();
    let mut memory = MemoryFindings::default();
    let members = stretch::run(
        &work,
        &proxy,
        &mut server,
        schedule.chaos,
        &schedule.kills,
        &mut rng,
    )
    .await;
    stretch::everyone_leaves(&work, members, "after the kills").await;
    memory.after_kills = memory::read_idle(&server, &mut memory.problems, "after the kills").await;
    for (round, &length) in schedule.rounds.iter().enumerate() {
        let members = stretch::run(&work, &proxy, &mut server, length, &[], &mut rng).await;
        let when = format!("after round {}", round + 1);
        stretch::everyone_leaves(&work, members, &when).await;
        let idle = memory::read_idle(&server, &mut memory.problems, &when).await;
        memory.rounds.push(idle);
    }
    let wall = started.elapsed();

    let mut exits = Vec::new();
    if let Err(error) = server.terminate().await {
        exits.push(error.to_string());
    }
    server.start_again().await;
    let verification = verify(&server.sync_url(), &work).await;
    if let Err(error) = server.terminate().await {
        exits.push(error.to_string());
    }
    drop(proxy);

    let server_log = server_log::read(&server.logs)?;
    let client_log_counts = client_log::since(&client_log.counts(), &client_log_before);
    let mut findings = Findings {
        seed,
        options: options.clone(),
        schedule,
        wall,
        work: &work,
        verification,
        memory,
        exits,
        server_log,
        client_log: client_log_counts,
        client_log_examples: client_log,
        kept_folder: None,
    };
    if !findings.all_passed() {
        findings.kept_folder = Some(server.keep_folder());
    }
    Ok(report(&findings))
}
