//! Statement documents ("Leitbild", "Grundsätze", principles): their shape in automerge, how a
//! new one is made, and how the server reads its text.
//!
//! Shape: `{ kind: "statement", title, language, text: Text }`; `text` is the rich text the
//! editors bind to.

use agora_schema::DocumentId;
use automerge::transaction::Transactable;
use automerge::{Automerge, ObjType, ReadDoc, TextEncoding, ROOT};

use crate::directory::{Account, DirectoryError, DocumentInfo, NewDocument, OrganisationId};
use crate::AppState;

/// The automerge bytes of a new statement.
pub fn initial_content(title: &str, language: &str) -> Vec<u8> {
    let mut doc = Automerge::new_with_encoding(TextEncoding::Utf16CodeUnit);
    let mut tx = doc.transaction();
    // Writing to a fresh document cannot fail; a failure would be a bug in automerge.
    let _ = tx.put(ROOT, "kind", "statement");
    let _ = tx.put(ROOT, "title", title);
    let _ = tx.put(ROOT, "language", language);
    let _ = tx.put_object(ROOT, "text", ObjType::Text);
    tx.commit();
    doc.save()
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Registers a new statement owned by `by` and stores its first content, so that the first
/// client to ask for it finds it.
pub async fn create(
    state: &AppState,
    by: &Account,
    organisation: OrganisationId,
    title: &str,
    language: &str,
) -> Result<DocumentInfo, CreateError> {
    let id = DocumentId::random();
    let new = NewDocument {
        id,
        organisation,
        title,
        language: Some(language),
    };
    let info = state.directory.create_document(new, by).await?;
    let seq = state
        .store
        .append(id, &initial_content(title.trim(), language))
        .await?;
    // The new document's access may already have woken its actor (the search indexer reads
    // what was granted), which then loaded nothing; it reads the first chunk now, before any
    // peer asks it for the document.
    state.sync.documents.tell_stored(id, Some(seq));
    Ok(info)
}

/// The document's text as the server holds it, split into paragraphs; empty when it has none.
pub async fn paragraphs(state: &AppState, id: DocumentId) -> Vec<String> {
    let read = state.sync.documents.read(id, |doc| {
        let (_, text) = doc.get(ROOT, "text").ok()??;
        let text = doc.text(&text).ok()?;
        Some(
            text.split(['\n', '\u{fffc}'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    });
    read.await.flatten().unwrap_or_default()
}
