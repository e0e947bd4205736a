//! One document's worth of index content: its facts from the directory (title, kind, author,
//! teams) and its sections.

use std::time::{SystemTime, UNIX_EPOCH};

use agora_schema::DocumentId;
use automerge::Automerge;

use super::analysis::Lang;
use super::facets::{FacetName, Label};
use super::index::DocumentFacts;
use super::sections::{sections, Section};
use crate::directory::{Directory, DocumentInfo, DocumentPeople};
use crate::store::Store;

pub struct Entry {
    id: DocumentId,
    title: String,
    language: Lang,
    updated_ms: u64,
    labels: Vec<Label>,
    sections: Vec<Section>,
}

impl Entry {
    pub fn new(info: &DocumentInfo, people: &DocumentPeople, doc: &Automerge) -> Self {
        let sections = sections(doc, &info.title);
        let text: String = sections
            .iter()
            .map(|section| section.body.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let mut labels = vec![
            (FacetName::Kind, info.kind.clone()),
            (FacetName::Year, year_of(info.created_at).to_string()),
        ];
        labels.extend(
            people
                .author
                .iter()
                .map(|author| (FacetName::Author, author.clone())),
        );
        labels.extend(
            people
                .teams
                .iter()
                .map(|team| (FacetName::Team, team.clone())),
        );
        Self {
            id: info.document_id,
            title: info.title.clone(),
            language: Lang::of(info.language.as_deref(), &text),
            updated_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            labels,
            sections,
        }
    }

    /// The document as stored (not through its actor): for rebuilding the whole index without
    /// loading every document into memory at once. `None` when nobody may read it (stored
    /// before accounts existed) or nothing is stored.
    pub async fn from_store(
        directory: &Directory,
        store: &dyn Store,
        id: DocumentId,
    ) -> anyhow::Result<Option<Self>> {
        let Some(info) = directory.document_info(id).await? else {
            return Ok(None);
        };
        let people = directory.document_people(id).await?;
        let Some(stored) = store.load(id).await? else {
            return Ok(None);
        };
        let entry = tokio::task::spawn_blocking(move || {
            let doc = stored.decode()?;
            Ok::<_, automerge::AutomergeError>(Self::new(&info, &people, &doc))
        })
        .await??;
        Ok(Some(entry))
    }

    /// A document that must not be found (gone, or not registered).
    pub fn gone(id: DocumentId) -> Self {
        Self {
            id,
            title: String::new(),
            language: Lang::En,
            updated_ms: 0,
            labels: Vec::new(),
            sections: Vec::new(),
        }
    }

    pub fn facts(&self) -> (DocumentFacts<'_>, Vec<Section>) {
        (
            DocumentFacts {
                id: self.id,
                title: &self.title,
                language: self.language,
                updated_ms: self.updated_ms,
                labels: &self.labels,
            },
            self.sections.clone(),
        )
    }
}

/// The calendar year of unix milliseconds (UTC).
fn year_of(ms: i64) -> i32 {
    let days = ms.div_euclid(86_400_000);
    time::OffsetDateTime::UNIX_EPOCH
        .checked_add(time::Duration::days(days))
        .map_or(1970, |date| date.year())
}
