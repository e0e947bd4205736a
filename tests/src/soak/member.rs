//! A member of the crowd: one `Client` that reconnects by itself, with a few documents open. It
//! joins even while the server is away (retrying), and leaves only once the server has all it
//! wrote, its copies merged into the run's.

use std::time::Duration;

use agora_client::{Client, ClientOptions, DocHandle, DocumentId};
use futures_util::future::join_all;
use rand::Rng;

use super::ledger::Copies;
use super::tally::{Tally, Topic};

/// Bound on joining: connecting and opening every document, retries included. A restart takes
/// a second or two; a server that takes in nobody for this long has failed.
const JOIN_DEADLINE: Duration = Duration::from_secs(60);

/// Reconnecting as the browser does it: quickly at first, at most a second apart.
pub fn client_options() -> ClientOptions {
    ClientOptions {
        reconnect: true,
        reconnect_min_delay: Duration::from_millis(50),
        reconnect_max_delay: Duration::from_secs(1),
        ..ClientOptions::default()
    }
}

pub struct Member {
    client: Client,
    pub handles: Vec<DocHandle>,
}

impl Member {
    /// Connects to `url` and opens `documents`, retrying while the server is away.
    pub async fn join(url: &str, documents: &[DocumentId], tally: &Tally) -> Result<Self, String> {
        let deadline = tokio::time::Instant::now() + JOIN_DEADLINE;
        loop {
            let error = match Self::try_join(url, documents).await {
                Ok(member) => return Ok(member),
                Err(error) => error,
            };
            if tokio::time::Instant::now() >= deadline {
                return Err(format!("could not join within {JOIN_DEADLINE:?}: {error}"));
            }
            tally.join_retries.add();
            let pause = rand::rng().random_range(100..500);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
    }

    async fn try_join(url: &str, documents: &[DocumentId]) -> Result<Self, String> {
        let client = Client::connect_with(url, client_options())
            .await
            .map_err(|e| e.to_string())?;
        let mut handles = Vec::with_capacity(documents.len());
        for id in documents {
            match client.find(*id).await {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    client.close().await;
                    return Err(format!("find {id}: {error}"));
                }
            }
        }
        Ok(Self { client, handles })
    }

    /// Waits until the server has every change this member holds.
    pub async fn sync(&self, timeout: Duration) -> Result<(), String> {
        let waits = self
            .handles
            .iter()
            .map(|handle| handle.wait_synced(timeout));
        for (handle, result) in self.handles.iter().zip(join_all(waits).await) {
            result.map_err(|e| format!("document {}: {e}", handle.id()))?;
        }
        Ok(())
    }

    /// Merges its copies into `copies` and closes the connection.
    pub async fn leave(self, copies: &Copies, tally: &Tally) {
        for handle in &self.handles {
            if let Err(problem) = copies.absorb(handle) {
                tally.problem(Topic::Clients, problem);
            }
        }
        self.client.close().await;
    }
}
