//! The probe: a client beside the crowd, straight to the server, with every document open. Once
//! a second it types into one and times how long the server takes to acknowledge. Slow readers,
//! cuts and departures must not hold it up; edits made while the server was killed are counted
//! apart.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::editor::type_once;
use super::member::Member;
use super::tally::Topic;
use super::workload::Workload;

const PROBE_EVERY: Duration = Duration::from_secs(1);
/// Bound on one acknowledgement. Far above what a busy server takes, and below what a document
/// held up by a slow peer would (the lag limit and beyond).
pub const ACK_LIMIT: Duration = Duration::from_secs(10);

pub async fn probe(
    work: Arc<Workload>,
    mut rng: StdRng,
    stop: CancellationToken,
) -> Option<Member> {
    let member = match Member::join(&work.direct_url, &work.documents, &work.tally).await {
        Ok(member) => member,
        Err(error) => {
            work.tally
                .problem(Topic::Clients, format!("the probe {error}"));
            return None;
        }
    };
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Some(member),
            _ = tokio::time::sleep(PROBE_EVERY) => {}
        }
        let handle = &member.handles[rng.random_range(0..member.handles.len())];
        let epoch = work.tally.server_epoch.get();
        let started = Instant::now();
        type_once(&work, handle, &mut rng);
        let acknowledged = handle.wait_synced(ACK_LIMIT).await;
        let took = started.elapsed();
        if !work.tally.server_stayed_up_since(epoch) {
            work.tally.acks_across_kills.add();
        } else if let Err(error) = acknowledged {
            work.tally.problem(
                Topic::Acknowledgement,
                format!(
                    "the probe's edit of {} while the server was up: {error}",
                    handle.id()
                ),
            );
        } else {
            work.tally.ack(took);
        }
    }
}
