//! The access filter, as a collector around the ones that rank, count and facet: a section
//! reaches them only if its document is one the reader may read. The document id sits in two
//! u64 fast fields (its 16 bytes), so the check is two column reads and a set lookup per match,
//! exact, and costs nothing per readable document (a term filter over thousands of readable ids
//! cost more than the search itself).

use std::collections::HashSet;
use std::sync::Arc;

use agora_schema::DocumentId;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentReader};

/// The fast fields holding a document id's first and last eight bytes.
pub const ID_HIGH: &str = "document_high";
pub const ID_LOW: &str = "document_low";

/// A document id as the two fast-field values.
pub fn id_halves(id: DocumentId) -> (u64, u64) {
    let value = u128::from_be_bytes(*id.as_bytes());
    ((value >> 64) as u64, value as u64)
}

pub struct Readable<C> {
    ids: Arc<HashSet<u128>>,
    inner: C,
}

impl<C> Readable<C> {
    pub fn new(readable: &[DocumentId], inner: C) -> Self {
        let ids = readable
            .iter()
            .map(|id| u128::from_be_bytes(*id.as_bytes()))
            .collect();
        Self {
            ids: Arc::new(ids),
            inner,
        }
    }
}

impl<C: Collector> Collector for Readable<C> {
    type Fruit = C::Fruit;
    type Child = ReadableInSegment<C::Child>;

    fn for_segment(&self, segment: u32, reader: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(ReadableInSegment {
            high: reader.fast_fields().u64(ID_HIGH)?,
            low: reader.fast_fields().u64(ID_LOW)?,
            ids: self.ids.clone(),
            inner: self.inner.for_segment(segment, reader)?,
            accepted: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.inner.requires_scoring()
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<C::Child as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<Self::Fruit> {
        self.inner.merge_fruits(fruits)
    }
}

pub struct ReadableInSegment<S> {
    high: Column<u64>,
    low: Column<u64>,
    ids: Arc<HashSet<u128>>,
    inner: S,
    accepted: Vec<DocId>,
}

impl<S> ReadableInSegment<S> {
    fn readable(&self, doc: DocId) -> bool {
        match (self.high.first(doc), self.low.first(doc)) {
            (Some(high), Some(low)) => self
                .ids
                .contains(&((u128::from(high) << 64) | u128::from(low))),
            _ => false,
        }
    }
}

impl<S: SegmentCollector> SegmentCollector for ReadableInSegment<S> {
    type Fruit = S::Fruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        if self.readable(doc) {
            self.inner.collect(doc, score);
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        let mut accepted = std::mem::take(&mut self.accepted);
        accepted.clear();
        accepted.extend(docs.iter().copied().filter(|doc| self.readable(*doc)));
        if !accepted.is_empty() {
            self.inner.collect_block(&accepted);
        }
        self.accepted = accepted;
    }

    fn harvest(self) -> Self::Fruit {
        self.inner.harvest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_make_the_whole_id() {
        let id = DocumentId::random();
        let (high, low) = id_halves(id);
        let whole = (u128::from(high) << 64) | u128::from(low);
        assert_eq!(whole.to_be_bytes(), *id.as_bytes());
    }
}
