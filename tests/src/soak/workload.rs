//! What every actor of a run shares: where to connect, the documents, the words to type, the
//! ledger and the counts; and the founding of the documents at the start.

use std::time::Duration;

use agora_client::{Client, ClientOptions, DocumentId};

use super::ledger::{Copies, Ledger};
use super::plan::SoakOptions;
use super::tally::Tally;
use super::text::Phrases;

/// Bound on the server acknowledging the new documents.
const FOUNDING_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Workload {
    pub options: SoakOptions,
    /// Through the cutting proxy: editors and readers connect here.
    pub proxied_url: String,
    /// Straight to the server: the probe, the slow readers and their witnesses.
    pub direct_url: String,
    pub documents: Vec<DocumentId>,
    pub phrases: Phrases,
    pub ledger: Ledger,
    pub copies: Copies,
    pub tally: Tally,
}

impl Workload {
    /// Document i is written in language i % 3 (German, Danish, English).
    pub fn language_of(&self, id: DocumentId) -> usize {
        let index = self.documents.iter().position(|d| *d == id).unwrap_or(0);
        index % self.phrases.languages()
    }

    /// The documents editor `index` works on: consecutive ones, wrapping round, so each
    /// document has about editors × documents_per_editor / documents editors.
    pub fn editor_documents(&self, index: usize) -> Vec<DocumentId> {
        let per = self.options.documents_per_editor.min(self.documents.len());
        (0..per)
            .map(|j| self.documents[(index * per + j) % self.documents.len()])
            .collect()
    }
}

/// Creates `count` documents, each with a first line in its language, and waits until the
/// server has them; the founder's changes go into the ledger and its copies into `copies`.
pub async fn found_documents(
    url: &str,
    count: usize,
    phrases: &Phrases,
    ledger: &Ledger,
    copies: &Copies,
) -> anyhow::Result<Vec<DocumentId>> {
    let options = ClientOptions {
        reconnect: false,
        ..ClientOptions::default()
    };
    let founder = Client::connect_with(url, options).await?;
    let mut rng = crate::editing::rng(count as u64);
    let mut handles = Vec::with_capacity(count);
    for n in 0..count {
        let handle = founder.create().await?;
        let first_line = phrases.fragment(n % phrases.languages(), &mut rng);
        handle.append_text(&format!("{n}. {first_line}\n"))?;
        handles.push(handle);
    }
    for handle in &handles {
        handle.wait_synced(FOUNDING_TIMEOUT).await?;
        ledger.record_all(handle);
        copies.absorb(handle).map_err(anyhow::Error::msg)?;
    }
    founder.close().await;
    Ok(handles.iter().map(|handle| handle.id()).collect())
}
