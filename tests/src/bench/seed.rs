//! The documents a workload starts from: created over a few connections, filled, acknowledged
//! by the server, and left to it alone (the creating connections close).

use std::time::Duration;

use agora_client::{Client, DocHandle};
use futures_util::future::try_join_all;

use super::open::{bench_client_options, Target};

/// Documents one creating connection makes: under the server's default limit of 1000 open
/// documents per connection.
const DOCUMENTS_PER_CREATOR: usize = 500;
/// Bound on the server acknowledging one creator's documents.
const CREATE_TIMEOUT: Duration = Duration::from_secs(120);

/// Creates `count` documents, document n filled by `fill(n, handle)`, and waits until the server
/// has them all. Returns each document's target with what `fill` returned for it.
pub async fn create_documents<T>(
    url: &str,
    count: usize,
    fill: impl Fn(usize, &DocHandle) -> anyhow::Result<T>,
) -> anyhow::Result<Vec<(Target, T)>> {
    let mut created = Vec::with_capacity(count);
    let mut first = 0;
    while first < count {
        let batch = DOCUMENTS_PER_CREATOR.min(count - first);
        let creator = Client::connect_with(url, bench_client_options()).await?;
        let mut handles = Vec::with_capacity(batch);
        for n in first..first + batch {
            let handle = creator.create().await?;
            let filled = fill(n, &handle)?;
            handles.push((handle, filled));
        }
        try_join_all(handles.iter().map(|(h, _)| h.wait_synced(CREATE_TIMEOUT))).await?;
        created.extend(handles.into_iter().map(|(h, filled)| {
            let target = Target {
                id: h.id(),
                heads: h.heads(),
            };
            (target, filled)
        }));
        creator.close().await;
        first += batch;
    }
    Ok(created)
}
