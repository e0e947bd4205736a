//! The final word, after a clean restart: a client that never took part loads every document.
//! It must hold every change in the ledger, and its heads and text must equal the merge of every
//! copy the clients held.

use std::time::Duration;

use agora_client::{Client, ClientOptions, DocumentId};
use automerge::Automerge;

use super::workload::Workload;
use crate::editing::{change_hashes, text_of};

/// Bound on loading one document whole.
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct Verification {
    pub documents: usize,
    /// Changes in the ledger, all documents.
    pub ledger_changes: usize,
    /// Per document that lacks some: "<id>: <missing> of <in ledger> changes missing".
    pub missing: Vec<String>,
    /// Per document whose heads or text differ from the merge of the clients' copies.
    pub differing: Vec<String>,
    /// Documents that could not be loaded at all.
    pub unloadable: Vec<String>,
}

pub async fn verify(url: &str, work: &Workload) -> Verification {
    let mut verification = Verification {
        documents: work.documents.len(),
        ledger_changes: work.ledger.total(),
        ..Verification::default()
    };
    let options = ClientOptions {
        reconnect: false,
        find_timeout: LOAD_TIMEOUT,
        ..ClientOptions::default()
    };
    let client = match Client::connect_with(url, options).await {
        Ok(client) => client,
        Err(error) => {
            verification
                .unloadable
                .push(format!("no connection: {error}"));
            return verification;
        }
    };
    for &id in &work.documents {
        let expected = work.copies.merged(id).unwrap_or_default();
        match load(&client, id, &expected).await {
            Ok(loaded) => compare(&mut verification, work, id, &loaded, &expected),
            Err(error) => verification.unloadable.push(format!("{id}: {error}")),
        }
    }
    client.close().await;
    verification
}

/// The document as the server sends it, once it has the expected heads (or the time is up).
async fn load(client: &Client, id: DocumentId, expected: &Automerge) -> Result<Automerge, String> {
    let handle = client.find(id).await.map_err(|e| e.to_string())?;
    let heads = expected.get_heads();
    // A shortfall is what the comparison reports; waiting longer would not change it.
    let _ = handle
        .wait_for(LOAD_TIMEOUT, |doc| doc.get_heads() == heads)
        .await;
    Ok(handle.with_doc(Automerge::clone))
}

fn compare(
    verification: &mut Verification,
    work: &Workload,
    id: DocumentId,
    loaded: &Automerge,
    expected: &Automerge,
) {
    let stored = change_hashes(loaded);
    let ledger = work.ledger.changes(id);
    let missing = ledger.difference(&stored).count();
    if missing > 0 {
        verification.missing.push(format!(
            "{id}: {missing} of {} changes missing",
            ledger.len()
        ));
    }
    if loaded.get_heads() != expected.get_heads() {
        verification.differing.push(format!(
            "{id}: the server's heads differ from the merge of the clients' copies"
        ));
    } else if text_of(loaded) != text_of(expected) {
        verification
            .differing
            .push(format!("{id}: same heads, different text"));
    }
}
