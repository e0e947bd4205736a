//! Agora's own index (the server's `SearchIndex`, its analysers and queries), filled the way
//! `agora reindex` fills it: documents in batches, one commit per batch.

use std::collections::HashMap;
use std::path::Path;

use agora_schema::DocumentId;
use agora_server::search::analysis::Lang;
use agora_server::search::facets::Label;
use agora_server::search::sections::Section;
use agora_server::search::{
    DocumentFacts, FacetName, Filters, PartMatching, SearchIndex, SearchRequest, Sort,
};

use super::corpus::Corpus;
use super::queries::BenchQuery;
use super::Answer;
use crate::bench::server::{folder_size, FOLDER_DEPTH};

/// Pages per commit, as a rebuild writes them.
const BATCH: usize = 64;

/// One corpus page as the index takes it.
struct PageEntry {
    id: DocumentId,
    title: String,
    language: Lang,
    labels: Vec<Label>,
    sections: Vec<Section>,
}

pub struct AgoraEngine {
    folder: tempfile::TempDir,
    index: SearchIndex,
    /// Every page's document: the reader may read them all.
    readable: Vec<DocumentId>,
    /// (document, section) → paragraph.
    places: HashMap<(String, u64), u32>,
}

impl AgoraEngine {
    pub fn new(scratch: &Path, parts: PartMatching) -> anyhow::Result<Self> {
        let folder = tempfile::Builder::new()
            .prefix("agora-index-")
            .tempdir_in(scratch)?;
        let (mut index, _) = SearchIndex::open(folder.path())?;
        index.set_part_matching(parts);
        Ok(Self {
            folder,
            index,
            readable: Vec::new(),
            places: HashMap::new(),
        })
    }

    pub fn index(&mut self, corpus: &Corpus) -> anyhow::Result<()> {
        let pages: Vec<(usize, DocumentId)> = (0..corpus.pages.len())
            .map(|page| (page, DocumentId::random()))
            .collect();
        for batch in pages.chunks(BATCH) {
            let owned: Vec<PageEntry> = batch
                .iter()
                .map(|(page_index, id)| {
                    let page = &corpus.pages[*page_index];
                    let labels = vec![
                        (FacetName::Kind, "statement".to_owned()),
                        (FacetName::Team, page.source.clone()),
                        (
                            FacetName::Year,
                            corpus.year_of(*page_index as u32).to_string(),
                        ),
                    ];
                    let sections = page
                        .paragraphs
                        .clone()
                        .enumerate()
                        .map(|(at, paragraph)| {
                            self.places.insert((id.to_string(), at as u64), paragraph);
                            Section {
                                index: at as u64,
                                heading: String::new(),
                                body: corpus.paragraphs[paragraph as usize].text.clone(),
                            }
                        })
                        .collect();
                    PageEntry {
                        id: *id,
                        title: page.title.clone(),
                        language: page.language,
                        labels,
                        sections,
                    }
                })
                .collect();
            let documents: Vec<(DocumentFacts<'_>, Vec<Section>)> = owned
                .iter()
                .map(|entry| {
                    (
                        DocumentFacts {
                            id: entry.id,
                            title: &entry.title,
                            language: entry.language,
                            updated_ms: 0,
                            labels: &entry.labels,
                        },
                        entry.sections.clone(),
                    )
                })
                .collect();
            self.index.replace(&documents)?;
        }
        self.readable = pages.into_iter().map(|(_, id)| id).collect();
        Ok(())
    }

    pub fn size(&self) -> anyhow::Result<u64> {
        folder_size(self.folder.path(), FOLDER_DEPTH)
    }

    pub fn query(&self, query: &BenchQuery) -> anyhow::Result<Answer> {
        let filters = Filters::new([(FacetName::Team, query.source.clone())]);
        let results = self.index.search(&SearchRequest {
            text: &query.text,
            readable: &self.readable,
            filters: &filters,
            sort: Sort::Relevance,
            limit: 10,
        })?;
        Ok(Answer {
            top: results
                .hits
                .iter()
                .filter_map(|hit| {
                    self.places
                        .get(&(hit.document.clone(), hit.section))
                        .copied()
                })
                .collect(),
            total: results.total as u64,
        })
    }
}
