//! Searching: the visitor's words as typed (a forgiving parser: phrases in quotes, `word*` for
//! prefixes, `-word` to exclude), matched in every language's stemmed fields and, for compounds
//! and partial words, by trigrams (most of the query's trigrams must be there, so a shared
//! "ung" does not make a hit). Every query is limited to the documents the visitor may read
//! before anything is collected (`readable`): hits, totals, facets and snippets never see the
//! others.

use std::collections::BTreeSet;

use agora_schema::DocumentId;
use tantivy::collector::{Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Score, Searcher, TantivyDocument, Term};

use super::analysis::{self, Lang, Trigrams};
use super::facets::{FacetCount, FacetName, Filters};
use super::index::{IndexError, SearchIndex};
use super::readable::Readable;

/// Headings weigh more than body text.
const HEADING_BOOST: Score = 2.0;
/// Trigram matches count for less than word matches.
const TRIGRAM_BOOST: Score = 0.4;
/// The share of a query's trigrams a section must contain.
const TRIGRAM_SHARE: f64 = 0.7;
/// Queries with fewer trigrams than this do not use them (too unspecific).
const FEWEST_TRIGRAMS: usize = 4;
/// Values listed per facet (the most frequent).
const FACET_VALUES: usize = 20;
/// A query longer than this is cut: nobody types more, and a pasted page must not cost more.
const LONGEST_QUERY: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    Date,
}

pub struct SearchRequest<'a> {
    pub text: &'a str,
    /// Only these documents are searched (what the visitor may read).
    pub readable: &'a [DocumentId],
    pub filters: &'a Filters,
    pub sort: Sort,
    pub limit: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    pub document: String,
    pub section: u64,
    pub title: String,
    pub heading: String,
    /// HTML: the text escaped, the matched words in `<b>`.
    pub snippet: String,
    pub language: String,
    pub updated_ms: u64,
    pub score: Score,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Results {
    pub hits: Vec<Hit>,
    /// All matching sections (not only those returned).
    pub total: usize,
    /// Matching sections per facet value (`team` `Nachtdienst`: 3), most first within a facet.
    pub facets: Vec<FacetCount>,
}

impl SearchIndex {
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<Results, IndexError> {
        let started = std::time::Instant::now();
        let results = self.run_search(request);
        let metrics = crate::metrics::metrics();
        metrics
            .search_seconds
            .observe(crate::metrics::seconds_since(started));
        results
    }

    fn run_search(&self, request: &SearchRequest<'_>) -> Result<Results, IndexError> {
        if request.readable.is_empty() || request.text.trim().is_empty() {
            return Ok(Results::default());
        }
        let f = self.fields;
        let mut parser = QueryParser::for_index(&self.index, f.all_text());
        parser.set_conjunction_by_default();
        for lang in Lang::ALL {
            parser.set_field_boost(f.heading(lang), HEADING_BOOST);
        }
        let text =
            without_field_names(&request.text.chars().take(LONGEST_QUERY).collect::<String>());
        // Excluded words ("-Speiseplan") exclude from every way of matching, trigrams included.
        let (excluded, wanted): (Vec<&str>, Vec<&str>) = text
            .split_whitespace()
            .partition(|word| word.len() > 1 && word.starts_with('-'));
        let wanted = wanted.join(" ");
        if wanted.trim().is_empty() {
            return Ok(Results::default());
        }
        // The words, with or without their parts (trigrams), narrowed by exclusions and filters.
        let restricted = |parts: Option<Box<dyn Query>>| -> Box<dyn Query> {
            let (words, _errors) = parser.parse_query_lenient(&wanted);
            let mut either: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, words)];
            either.extend(parts.map(|parts| (Occur::Should, parts)));
            let mut all: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Must, Box::new(BooleanQuery::new(either)))];
            for word in &excluded {
                let (query, _errors) = parser.parse_query_lenient(&word[1..]);
                all.push((Occur::MustNot, query));
            }
            for (name, value) in request.filters.iter() {
                let term = Term::from_facet(f.labels, &name.facet(value));
                all.push((
                    Occur::Must,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                ));
            }
            Box::new(BooleanQuery::new(all))
        };

        let searcher = self.reader.searcher();
        let limit = request.limit.clamp(1, 100);
        let parts = || self.trigram_query(&wanted);
        let (query, (addresses, total, facet_counts)) = match self.part_matching {
            PartMatching::Always => {
                let query = restricted(parts());
                let found = collect(&searcher, query.as_ref(), request, limit)?;
                (query, found)
            }
            PartMatching::WhenFew => {
                // Parts cost more than words: asked only when the words fill no page of hits.
                let query = restricted(None);
                let found = collect(&searcher, query.as_ref(), request, limit)?;
                match parts() {
                    Some(parts) if found.1 < limit => {
                        let query = restricted(Some(parts));
                        let found = collect(&searcher, query.as_ref(), request, limit)?;
                        (query, found)
                    }
                    _ => (query, found),
                }
            }
            PartMatching::Never => {
                let query = restricted(None);
                let found = collect(&searcher, query.as_ref(), request, limit)?;
                (query, found)
            }
        };

        // One snippet generator per language among the hits, made when first needed.
        let mut snippets: Vec<(Lang, SnippetGenerator)> = Vec::new();
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let stored: TantivyDocument = searcher.doc(address)?;
            let text = |field| {
                stored
                    .get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            };
            let number = |field| {
                stored
                    .get_first(field)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0)
            };
            let language = text(f.language);
            let lang = Lang::of(Some(&language), "");
            let body = text(f.body(lang));
            let generator = match snippets.iter().position(|(l, _)| *l == lang) {
                Some(at) => &snippets[at].1,
                None => {
                    let mut generator =
                        SnippetGenerator::create(&searcher, query.as_ref(), f.body(lang))?;
                    generator.set_max_num_chars(220);
                    snippets.push((lang, generator));
                    &snippets[snippets.len() - 1].1
                }
            };
            let snippet = generator.snippet(&body);
            // Found by its heading or by trigrams: show the start of the section instead.
            let snippet = if snippet.highlighted().is_empty() {
                html_escape(&body.chars().take(220).collect::<String>())
            } else {
                snippet.to_html()
            };
            hits.push(Hit {
                document: text(f.document),
                section: number(f.section),
                title: text(f.title),
                heading: text(f.heading(lang)),
                snippet,
                language,
                updated_ms: number(f.updated),
                score,
            });
        }
        let facets = FacetName::ALL
            .into_iter()
            .flat_map(|name| {
                facet_counts
                    .top_k(name.root(), FACET_VALUES)
                    .into_iter()
                    .filter_map(move |(facet, count)| {
                        let value = facet.to_path().get(1)?.to_string();
                        Some(FacetCount {
                            facet: name,
                            value,
                            count,
                        })
                    })
            })
            .collect();
        Ok(Results {
            hits,
            total,
            facets,
        })
    }

    /// Most of the query's trigrams, or `None` when it has too few to mean anything.
    fn trigram_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let grams: BTreeSet<String> = analysis::terms(&mut Trigrams::default().into(), text)
            .into_iter()
            .filter(|gram| gram.chars().count() == 3)
            .collect();
        if grams.len() < FEWEST_TRIGRAMS {
            return None;
        }
        let required = (grams.len() as f64 * TRIGRAM_SHARE).ceil() as usize;
        let clauses = grams
            .into_iter()
            .map(|gram| -> (Occur, Box<dyn Query>) {
                let term = Term::from_field_text(self.fields.trigrams, &gram);
                (
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                )
            })
            .collect();
        let query = BooleanQuery::with_minimum_required_clauses(clauses, required);
        Some(Box::new(BoostQuery::new(Box::new(query), TRIGRAM_BOOST)))
    }
}

/// How compounds and partial words are matched by their trigrams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartMatching {
    /// With every query, beside the words.
    Always,
    /// Only when the words alone find fewer hits than asked for (the default: most queries
    /// are answered by their words, and trigram postings are long).
    #[default]
    WhenFew,
    /// Words only: what the trigrams add is measured against it.
    Never,
}

type Found = (Vec<(Score, DocAddress)>, usize, FacetCounts);

/// The first `limit` readable hits in the requested order, their total and facet counts.
fn collect(
    searcher: &Searcher,
    query: &dyn Query,
    request: &SearchRequest<'_>,
    limit: usize,
) -> Result<Found, IndexError> {
    let mut facets = FacetCollector::for_field("labels");
    for name in FacetName::ALL {
        facets.add_facet(name.root());
    }
    Ok(match request.sort {
        Sort::Relevance => searcher.search(
            query,
            &Readable::new(
                request.readable,
                (TopDocs::with_limit(limit).order_by_score(), Count, facets),
            ),
        )?,
        Sort::Date => {
            let (by_date, total, counts) = searcher.search(
                query,
                &Readable::new(
                    request.readable,
                    (
                        TopDocs::with_limit(limit)
                            .order_by_fast_field::<u64>("updated", Order::Desc),
                        Count,
                        facets,
                    ),
                ),
            )?;
            (
                by_date
                    .into_iter()
                    .map(|(_, address)| (0.0, address))
                    .collect(),
                total,
                counts,
            )
        }
    })
}

/// The query language's `field:word` is not for people: they search text, and our fields
/// (ids, facets) are not theirs to query. "Kund:innen" stays, as the gender form it is.
fn without_field_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        let gender_form = text[at + c.len_utf8()..].starts_with("in");
        if c == ':' && !gender_form {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
