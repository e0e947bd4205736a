//! One stretch of the run: editors, readers, the probe, slow readers and connection cuts all at
//! work for a set time, with the server killed at the given moments. At its end everyone stops,
//! syncs, and is compared with the others; then the clients leave and the server goes idle.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use agora_client::{DocHandle, DocumentId};
use automerge::ChangeHash;
use futures_util::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::editor::{editor, reader};
use super::member::Member;
use super::probe::probe;
use super::proxy::CuttingProxy;
use super::server::SoakServer;
use super::slow_reader::slow_reader_slot;
use super::tally::Topic;
use super::workload::Workload;

/// Bound on an actor finishing its step once told to stop (a join in progress may take a while
/// when the server was just restarted).
const STOP_TIMEOUT: Duration = Duration::from_secs(90);
/// Bound on everyone's changes reaching the server once the typing stops, and on every copy of a
/// document then agreeing.
const FINAL_SYNC: Duration = Duration::from_secs(60);
const CONVERGE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server stays down after a kill, at most.
const MAX_DOWN: Duration = Duration::from_millis(1500);

/// Runs a stretch of `length`, killing the server at each offset in `kills`; returns the members
/// at work when it ended.
pub async fn run(
    work: &Arc<Workload>,
    proxy: &Arc<CuttingProxy>,
    server: &mut SoakServer,
    length: Duration,
    kills: &[Duration],
    rng: &mut StdRng,
) -> Vec<Member> {
    let stop = CancellationToken::new();
    let mut seeded = || StdRng::seed_from_u64(rng.random());
    let mut crowd: Vec<JoinHandle<Option<Member>>> = Vec::new();
    for index in 0..work.options.editors {
        crowd.push(tokio::spawn(editor(
            work.clone(),
            index,
            seeded(),
            stop.clone(),
        )));
    }
    for _ in 0..work.options.readers {
        crowd.push(tokio::spawn(reader(work.clone(), seeded(), stop.clone())));
    }
    crowd.push(tokio::spawn(probe(work.clone(), seeded(), stop.clone())));
    let mut others: Vec<JoinHandle<()>> = (0..work.options.slow_readers)
        .map(|slot| tokio::spawn(slow_reader_slot(work.clone(), slot, seeded(), stop.clone())))
        .collect();
    others.push(tokio::spawn(cut_connections(
        work.clone(),
        proxy.clone(),
        seeded(),
        stop.clone(),
    )));

    let started = Instant::now();
    for &at in kills {
        tokio::time::sleep_until(started + at).await;
        // The epoch moves first: whoever sees a connection drop from here on may blame the kill.
        work.tally.server_epoch.add();
        server.kill9().await;
        work.tally.kills.add();
        tokio::time::sleep(MAX_DOWN.mul_f64(rng.random_range(0.1..1.0))).await;
        server.start_again().await;
        work.tally.server_epoch.add();
    }
    tokio::time::sleep_until(started + length).await;
    stop.cancel();

    for task in others {
        if tokio::time::timeout(STOP_TIMEOUT, task).await.is_err() {
            work.tally.problem(
                Topic::Clients,
                format!("an actor did not stop within {STOP_TIMEOUT:?}"),
            );
        }
    }
    let mut members = Vec::new();
    for task in crowd {
        match tokio::time::timeout(STOP_TIMEOUT, task).await {
            Ok(Ok(Some(member))) => members.push(member),
            // Reported as a problem by the actor itself.
            Ok(Ok(None)) => {}
            Ok(Err(panic)) => work
                .tally
                .problem(Topic::Clients, format!("a client actor panicked: {panic}")),
            Err(_) => work.tally.problem(
                Topic::Clients,
                format!("a client did not stop within {STOP_TIMEOUT:?}"),
            ),
        }
    }
    members
}

/// Resets a random proxied connection every so often.
async fn cut_connections(
    work: Arc<Workload>,
    proxy: Arc<CuttingProxy>,
    mut rng: StdRng,
    stop: CancellationToken,
) {
    loop {
        let draw: f64 = rng.random_range(f64::EPSILON..1.0);
        let pause = work.options.mean_cut_every.mul_f64(-draw.ln());
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        if proxy.cut_one(&mut rng) {
            work.tally.cuts.add();
        }
    }
}

/// Everyone syncs and every copy of each document must agree; then every member leaves, its
/// copies merged into the run's. Problems are reported in the tally, named by document.
pub async fn everyone_leaves(work: &Workload, members: Vec<Member>, when: &str) {
    let synced = join_all(members.iter().map(|member| member.sync(FINAL_SYNC))).await;
    for error in synced.into_iter().filter_map(Result::err) {
        work.tally.problem(
            Topic::Clients,
            format!("{when}: a client was not synced within {FINAL_SYNC:?}: {error}"),
        );
    }
    let mut holders: HashMap<DocumentId, Vec<&DocHandle>> = HashMap::new();
    for handle in members.iter().flat_map(|member| &member.handles) {
        holders.entry(handle.id()).or_default().push(handle);
    }
    let checks = holders
        .iter()
        .map(|(id, handles)| converge(*id, handles, when));
    for problem in join_all(checks).await.into_iter().flatten() {
        work.tally.problem(Topic::Clients, problem);
    }
    join_all(
        members
            .into_iter()
            .map(|member| member.leave(&work.copies, &work.tally)),
    )
    .await;
}

/// Waits until every copy of a document has the same heads.
async fn converge(id: DocumentId, handles: &[&DocHandle], when: &str) -> Option<String> {
    let deadline = Instant::now() + CONVERGE_TIMEOUT;
    loop {
        let heads: Vec<Vec<ChangeHash>> = handles.iter().map(|handle| handle.heads()).collect();
        let mut distinct = heads.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() <= 1 {
            return None;
        }
        if Instant::now() >= deadline {
            return Some(format!(
                "{when}: document {id}: {} clients hold {} different heads after {CONVERGE_TIMEOUT:?}",
                handles.len(),
                distinct.len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
