//! Search over everything an organisation wrote: a tantivy index in the data folder, derived
//! from the store and rebuilt at will.
//!
//! Layout:
//! - `words`: the word tokenizer (gender forms are one word, read as the plural they mean).
//! - `analysis`: per-language analysers (stop words, Snowball stems, folding) and trigrams.
//! - `sections`: a document cut into hits (a section runs from one heading to the next).
//! - `index`: the tantivy index (one entry per section) and its one writer.
//! - `facets`: the ways a search is narrowed (kind, quality area, team, author, year).
//! - `readable`: the access filter, a collector that passes only what the reader may read.
//! - `query`: access-filtered queries with facets and snippets.
//! - `entry`: one document's index content (facts and sections).
//! - `indexer`: the task that keeps the index up to date with the store.
//! - `reindex`: `agora reindex`, the whole index rebuilt from the store with a progress bar.

pub mod analysis;
pub mod entry;
pub mod facets;
pub mod index;
pub mod indexer;
pub mod query;
pub mod readable;
pub mod reindex;
pub mod sections;
pub mod words;

pub use facets::{FacetCount, FacetName, Filters};
pub use index::{DocumentFacts, IndexError, SearchIndex};
pub use query::{Hit, PartMatching, Results, SearchRequest, Sort};
