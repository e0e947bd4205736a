//! The index: one tantivy document per section, with the section's text in the field of its
//! language (analysed by that language), its trigrams, and facets (kind, quality area, team,
//! author, year). Writes go
//! through one writer, each batch committed and made visible at once.

use std::path::Path;
use std::sync::{Arc, Mutex};

use agora_schema::DocumentId;
use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED,
    STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::analysis::{self, Lang, TRIGRAMS};
use super::facets::Label;
use super::query::PartMatching;
use super::readable;
use super::sections::Section;

/// Memory for the writer's buffer; sections are small and batches short.
const WRITER_MEMORY: usize = 32 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index folder: {0}")]
    Folder(#[from] std::io::Error),
    #[error("search index folder: {0}")]
    OpenFolder(#[from] tantivy::directory::error::OpenDirectoryError),
}

#[derive(Clone, Copy)]
pub struct Fields {
    pub document: Field,
    /// The document id's 16 bytes, for the access filter (see `readable`).
    pub id_high: Field,
    pub id_low: Field,
    pub section: Field,
    pub language: Field,
    pub title: Field,
    pub labels: Field,
    pub updated: Field,
    pub trigrams: Field,
    heading: [Field; 3],
    body: [Field; 3],
}

impl Fields {
    pub fn heading(&self, lang: Lang) -> Field {
        self.heading[lang_slot(lang)]
    }

    pub fn body(&self, lang: Lang) -> Field {
        self.body[lang_slot(lang)]
    }

    pub fn all_text(&self) -> Vec<Field> {
        self.heading
            .iter()
            .chain(self.body.iter())
            .copied()
            .collect()
    }
}

fn lang_slot(lang: Lang) -> usize {
    match lang {
        Lang::De => 0,
        Lang::Da => 1,
        Lang::En => 2,
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analysed = |analyzer: &str| {
        TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let heading = Lang::ALL.map(|lang| {
        builder.add_text_field(
            &format!("heading_{}", lang.code()),
            analysed(lang.analyzer()),
        )
    });
    let body = Lang::ALL.map(|lang| {
        builder.add_text_field(&format!("body_{}", lang.code()), analysed(lang.analyzer()))
    });
    let fields = Fields {
        document: builder.add_text_field("document", STRING | STORED),
        id_high: builder.add_u64_field(readable::ID_HIGH, FAST),
        id_low: builder.add_u64_field(readable::ID_LOW, FAST),
        section: builder.add_u64_field("section", STORED),
        language: builder.add_text_field("language", STRING | STORED),
        title: builder.add_text_field("title", STORED),
        labels: builder.add_facet_field("labels", FacetOptions::default()),
        updated: builder.add_u64_field("updated", FAST | STORED),
        trigrams: builder.add_text_field(
            "trigrams",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TRIGRAMS)
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        heading,
        body,
    };
    (builder.build(), fields)
}

/// The index's one writer. A server stopping in this process (tests restart servers on the
/// same folder) may hold the lock for a moment longer; we wait for it rather than fail.
fn writer_for(index: &Index) -> Result<IndexWriter, IndexError> {
    let mut attempts = 0;
    loop {
        match index.writer(WRITER_MEMORY) {
            Err(tantivy::TantivyError::LockFailure(..)) if attempts < 50 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            result => return Ok(result?),
        }
    }
}

/// What the index knows of a document besides its text.
pub struct DocumentFacts<'a> {
    pub id: DocumentId,
    pub title: &'a str,
    pub language: Lang,
    /// Unix milliseconds of the last change the index saw.
    pub updated_ms: u64,
    /// Its facet values: kind, year, author, teams, quality area.
    pub labels: &'a [Label],
}

#[derive(Clone)]
pub struct SearchIndex {
    pub(super) index: Index,
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    pub(super) part_matching: PartMatching,
    writer: Arc<Mutex<IndexWriter>>,
}

impl SearchIndex {
    /// Opens the index in `folder`, creating it when there is none. A folder whose index cannot
    /// be opened (damaged, or from an older schema) is emptied and started afresh; the caller
    /// then rebuilds it from the store. Returns whether the index is new.
    pub fn open(folder: &Path) -> Result<(Self, bool), IndexError> {
        std::fs::create_dir_all(folder)?;
        let (schema, fields) = schema();
        let existing = Index::open_in_dir(folder)
            .ok()
            .filter(|index| index.schema() == schema);
        let (index, fresh) = match existing {
            Some(index) => (index, false),
            None => {
                if folder.read_dir()?.next().is_some() {
                    tracing::warn!(folder = %folder.display(), "the search index is damaged or outdated: rebuilding it");
                    std::fs::remove_dir_all(folder)?;
                    std::fs::create_dir_all(folder)?;
                }
                (
                    Index::open_or_create(MmapDirectory::open(folder)?, schema)?,
                    true,
                )
            }
        };
        analysis::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = writer_for(&index)?;
        Ok((
            Self {
                index,
                reader,
                fields,
                part_matching: PartMatching::default(),
                writer: Arc::new(Mutex::new(writer)),
            },
            fresh,
        ))
    }

    /// Replaces everything indexed for each document with its current sections (none: it is
    /// gone from the index), commits, and makes the result visible to searches. Blocking: call
    /// it off the async threads.
    pub fn replace(
        &self,
        documents: &[(DocumentFacts<'_>, Vec<Section>)],
    ) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().expect("index writer lock");
        let f = self.fields;
        for (facts, sections) in documents {
            writer.delete_term(Term::from_field_text(f.document, &facts.id.to_string()));
            for section in sections {
                let mut entry = TantivyDocument::default();
                entry.add_text(f.document, facts.id.to_string());
                let (high, low) = readable::id_halves(facts.id);
                entry.add_u64(f.id_high, high);
                entry.add_u64(f.id_low, low);
                entry.add_u64(f.section, section.index);
                entry.add_text(f.language, facts.language.code());
                entry.add_text(f.title, facts.title);
                for (name, value) in facts.labels {
                    entry.add_facet(f.labels, name.facet(value));
                }
                entry.add_u64(f.updated, facts.updated_ms);
                entry.add_text(f.heading(facts.language), &section.heading);
                entry.add_text(f.body(facts.language), &section.body);
                entry.add_text(f.trigrams, format!("{}\n{}", section.heading, section.body));
                writer.add_document(entry)?;
            }
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&crate::directory::now_ms().to_string());
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// When the last batch was committed (unix milliseconds): everything stored well before
    /// then is in the index.
    pub fn indexed_at(&self) -> Option<i64> {
        self.index.load_metas().ok()?.payload?.parse().ok()
    }

    /// Empties the index (before a rebuild).
    pub fn clear(&self) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().expect("index writer lock");
        writer.delete_all_documents()?;
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// How compound parts are matched (the default suits everyone; benchmarks compare).
    pub fn set_part_matching(&mut self, parts: PartMatching) {
        self.part_matching = parts;
    }

    /// How many sections are indexed.
    pub fn section_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}
