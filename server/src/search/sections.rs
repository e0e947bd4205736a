//! A document's text cut into the pieces search shows as hits: a section runs from one heading
//! to the next (text before the first heading belongs to the document's title). Report
//! sections and review findings, as they come, are sections of their own documents too.

use automerge::iter::Span;
use automerge::{hydrate, ObjType, ReadDoc, ScalarValue, ROOT};

/// One hit's worth of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Its place in the document, counted from 0: the link goes to this section.
    pub index: u64,
    /// The heading (the document's title for the text before the first heading).
    pub heading: String,
    pub body: String,
}

/// The sections of the document's `text`; empty when it has none.
pub fn sections(doc: &impl ReadDoc, title: &str) -> Vec<Section> {
    let Ok(Some((_, text))) = doc.get(ROOT, "text") else {
        return Vec::new();
    };
    if doc.object_type(&text).ok() != Some(ObjType::Text) {
        return Vec::new();
    }
    let Ok(spans) = doc.spans(&text) else {
        return Vec::new();
    };
    let mut sections = vec![Section {
        index: 0,
        heading: title.to_owned(),
        body: String::new(),
    }];
    let mut in_heading = false;
    for span in spans {
        match span {
            Span::Block(block) => {
                in_heading = block_type(&block) == Some("heading");
                if in_heading {
                    let index = sections.len() as u64;
                    sections.push(Section {
                        index,
                        heading: String::new(),
                        body: String::new(),
                    });
                } else if let Some(section) = sections.last_mut() {
                    push_break(&mut section.body);
                }
            }
            Span::Text { text, .. } => {
                let section = sections
                    .last_mut()
                    .expect("there is always a first section");
                let into = if in_heading {
                    &mut section.heading
                } else {
                    &mut section.body
                };
                into.push_str(&text);
            }
        }
    }
    for section in &mut sections {
        section.heading = section.heading.trim().to_owned();
        section.body = section.body.trim().to_owned();
    }
    // A section with neither heading nor text (an empty document's first) is no hit.
    sections.retain(|section| {
        !(section.body.is_empty() && section.index > 0 && section.heading.is_empty())
    });
    sections
}

fn block_type(block: &hydrate::Map) -> Option<&str> {
    match block.get("type") {
        Some(hydrate::Value::Scalar(ScalarValue::Str(kind))) => Some(kind.as_str()),
        _ => None,
    }
}

fn push_break(body: &mut String) {
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType};

    use super::*;

    fn block(doc: &mut AutoCommit, text: &automerge::ObjId, kind: &str) {
        // The shape @automerge/prosemirror writes: {type, parents, attrs}.
        let at = doc.length(text);
        let marker = doc.split_block(text, at).unwrap();
        doc.put(&marker, "type", kind).unwrap();
        doc.put_object(&marker, "parents", ObjType::List).unwrap();
        doc.put_object(&marker, "attrs", ObjType::Map).unwrap();
    }

    fn append(doc: &mut AutoCommit, text: &automerge::ObjId, words: &str) {
        let at = doc.length(text);
        doc.splice_text(text, at, 0, words).unwrap();
    }

    #[test]
    fn headings_start_sections_and_the_title_heads_the_first() {
        let mut doc = AutoCommit::new();
        let text = doc.put_object(ROOT, "text", ObjType::Text).unwrap();
        block(&mut doc, &text, "paragraph");
        append(&mut doc, &text, "Vorwort.");
        block(&mut doc, &text, "heading");
        append(&mut doc, &text, "Nachtdienst");
        block(&mut doc, &text, "paragraph");
        append(&mut doc, &text, "Zwei Fachkräfte.");
        block(&mut doc, &text, "unordered-list-item");
        append(&mut doc, &text, "Übergabe um 22 Uhr");
        let found = sections(&doc, "Grundsätze");
        assert_eq!(
            found,
            [
                Section {
                    index: 0,
                    heading: "Grundsätze".into(),
                    body: "Vorwort.".into()
                },
                Section {
                    index: 1,
                    heading: "Nachtdienst".into(),
                    body: "Zwei Fachkräfte.\nÜbergabe um 22 Uhr".into()
                },
            ]
        );
    }

    #[test]
    fn plain_text_is_one_section() {
        let mut doc = AutoCommit::new();
        let text = doc.put_object(ROOT, "text", ObjType::Text).unwrap();
        append(&mut doc, &text, "Am Individuum orientieren.\nZuhören.");
        let found = sections(&doc, "Leitbild");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].body, "Am Individuum orientieren.\nZuhören.");
        assert!(sections(&AutoCommit::new(), "leer").is_empty());
    }
}
