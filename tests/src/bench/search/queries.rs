//! The queries every engine answers, drawn from the corpus with a fixed seed.
//!
//! Latency: single words, two-word phrases, and words narrowed to one source (a facet), each
//! taken from a random paragraph in its language.
//!
//! Relevance: known-item searches. The LibreOffice help's paragraph ids align across German,
//! Danish and English, so one paragraph gives the same need in three languages. For each, the
//! query is the paragraph's three rarest words (as written), and again with each word in
//! another form that occurs in the corpus ("Tabellen" for "Tabelle", "filerne" for "filen"),
//! as people type what they remember rather than what was written; and with the paragraph's
//! longest compound given by its last part ("Dokument" for "Tabellendokument") beside two of
//! those words. A search succeeds when the
//! paragraph (or one with the identical text) is among the first ten hits.

use std::collections::{BTreeMap, HashMap, HashSet};

use agora_server::search::analysis::Lang;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::SeedableRng;

use super::corpus::Corpus;

/// The set whose paragraph ids align across the three languages.
const ALIGNED_SOURCE: &str = "libreoffice-help-7.4";
/// Paragraphs shorter than this say too little to be found by three words.
const FEWEST_WORDS: usize = 8;

#[derive(Debug, Clone)]
pub struct BenchQuery {
    /// As a person types it (a phrase in quotes).
    pub text: String,
    pub words: Vec<String>,
    pub phrase: bool,
    /// The language of the words (PostgreSQL needs it to pick its configuration).
    pub language: Lang,
    /// Only paragraphs of this source (the facet).
    pub source: Option<String>,
}

impl BenchQuery {
    fn words(words: Vec<String>, language: Lang) -> Self {
        Self {
            text: words.join(" "),
            words,
            phrase: false,
            language,
            source: None,
        }
    }
}

/// How a known-item query says the paragraph's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    /// As written.
    Own,
    /// Each in another form found in the corpus.
    OtherForms,
    /// A compound given by its last part ("Dokument" for "Tabellendokument").
    Part,
}

impl Wording {
    pub const ALL: [Wording; 3] = [Wording::Own, Wording::OtherForms, Wording::Part];

    pub fn label(self) -> &'static str {
        match self {
            Wording::Own => "own words",
            Wording::OtherForms => "other forms",
            Wording::Part => "compound part",
        }
    }
}

/// A known-item search and the paragraph it must find.
pub struct RelevanceCase {
    pub query: BenchQuery,
    pub target: u32,
    pub wording: Wording,
}

/// The words of a text: runs of letters, as every engine's tokenizer agrees on them.
pub fn words_of(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|word| !word.is_empty())
        .collect()
}

pub struct QuerySets {
    pub single: Vec<BenchQuery>,
    pub phrases: Vec<BenchQuery>,
    pub faceted: Vec<BenchQuery>,
}

pub fn latency_queries(corpus: &Corpus, count: usize, seed: u64) -> QuerySets {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut single = Vec::with_capacity(count);
    let mut phrases = Vec::with_capacity(count);
    let mut faceted = Vec::with_capacity(count);
    let mut attempts = 0;
    while (single.len() < count || phrases.len() < count || faceted.len() < count)
        && attempts < count * 100
    {
        attempts += 1;
        let Some(paragraph) = corpus.paragraphs.choose(&mut rng) else {
            break;
        };
        let page = &corpus.pages[paragraph.page as usize];
        let words = words_of(&paragraph.text);
        let long: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| w.chars().count() >= 4)
            .collect();
        if let Some(word) = long.choose(&mut rng) {
            if single.len() < count {
                single.push(BenchQuery::words(vec![(*word).to_owned()], page.language));
            } else if faceted.len() < count {
                let mut query = BenchQuery::words(vec![(*word).to_owned()], page.language);
                query.source = Some(page.source.clone());
                faceted.push(query);
            }
        }
        if phrases.len() < count && words.len() >= 2 {
            let pairs: Vec<&[&str]> = words
                .windows(2)
                .filter(|pair| pair.iter().all(|w| w.chars().count() >= 3))
                .collect();
            if let Some(pair) = pairs.choose(&mut rng) {
                let words: Vec<String> = pair.iter().map(|w| (*w).to_owned()).collect();
                phrases.push(BenchQuery {
                    text: format!("\"{}\"", words.join(" ")),
                    words,
                    phrase: true,
                    language: page.language,
                    source: None,
                });
            }
        }
    }
    QuerySets {
        single,
        phrases,
        faceted,
    }
}

/// Per language: lowercased word → in how many paragraphs it occurs.
struct Vocabulary {
    frequency: HashMap<String, u32>,
    /// The first five letters → the words that start with them.
    by_start: HashMap<String, Vec<String>>,
}

impl Vocabulary {
    fn of(corpus: &Corpus, language: Lang) -> Self {
        let mut frequency: HashMap<String, u32> = HashMap::new();
        for paragraph in &corpus.paragraphs {
            if corpus.pages[paragraph.page as usize].language != language {
                continue;
            }
            let distinct: HashSet<String> = words_of(&paragraph.text)
                .into_iter()
                .map(str::to_lowercase)
                .collect();
            for word in distinct {
                *frequency.entry(word).or_default() += 1;
            }
        }
        let mut by_start: HashMap<String, Vec<String>> = HashMap::new();
        for word in frequency.keys() {
            if word.chars().count() >= 5 {
                by_start
                    .entry(word.chars().take(5).collect())
                    .or_default()
                    .push(word.clone());
            }
        }
        Self {
            frequency,
            by_start,
        }
    }

    fn frequency(&self, word: &str) -> u32 {
        self.frequency
            .get(&word.to_lowercase())
            .copied()
            .unwrap_or(0)
    }

    /// The most frequent other form of `word`: same start (all but at most three letters),
    /// at most three letters longer or shorter.
    fn other_form(&self, word: &str) -> Option<String> {
        let lower = word.to_lowercase();
        let length = lower.chars().count();
        let start: String = lower.chars().take(5).collect();
        let shared = length.saturating_sub(3).max(5);
        let prefix: String = lower.chars().take(shared).collect();
        let form = self
            .by_start
            .get(&start)?
            .iter()
            .filter(|other| **other != lower && other.starts_with(&prefix))
            .filter(|other| other.chars().count().abs_diff(length) <= 3)
            .max_by_key(|other| (self.frequency(other), std::cmp::Reverse((*other).clone())))?;
        Some(capitalised_like(word, form))
    }

    /// The longest last part of a compound that is a common word of its own: at least five
    /// letters, in at least twenty paragraphs, after a first part of at least four letters.
    fn last_part(&self, word: &str) -> Option<String> {
        let lower = word.to_lowercase();
        let chars: Vec<char> = lower.chars().collect();
        (4..chars.len().saturating_sub(4))
            .map(|at| chars[at..].iter().collect::<String>())
            .find(|part| part.chars().count() >= 5 && self.frequency(part) >= 20)
            .map(|part| capitalised_like(word, &part))
    }
}

/// `form` with the first letter in the case of `word`'s (German nouns keep their capital).
fn capitalised_like(word: &str, form: &str) -> String {
    if word.chars().next().is_some_and(char::is_uppercase) {
        let mut chars = form.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    } else {
        form.to_owned()
    }
}

/// Up to `per_language` paragraphs aligned across the three languages, each asked for in each
/// language with its own words and with other forms of them.
pub fn relevance_cases(corpus: &Corpus, per_language: usize, seed: u64) -> Vec<RelevanceCase> {
    let mut aligned: BTreeMap<&str, [Option<u32>; 3]> = BTreeMap::new();
    for (index, paragraph) in corpus.paragraphs.iter().enumerate() {
        let page = &corpus.pages[paragraph.page as usize];
        let Some(pid) = paragraph.pid.as_deref() else {
            continue;
        };
        if page.source != ALIGNED_SOURCE || words_of(&paragraph.text).len() < FEWEST_WORDS {
            continue;
        }
        let slot = Lang::ALL
            .iter()
            .position(|l| *l == page.language)
            .expect("a language");
        aligned.entry(pid).or_default()[slot] = Some(index as u32);
    }
    let complete: Vec<[u32; 3]> = aligned
        .values()
        .filter_map(|slots| Some([slots[0]?, slots[1]?, slots[2]?]))
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let chosen: Vec<&[u32; 3]> = complete.choose_multiple(&mut rng, per_language).collect();
    let vocabularies: Vec<Vocabulary> = Lang::ALL
        .iter()
        .map(|l| Vocabulary::of(corpus, *l))
        .collect();

    let mut cases = Vec::new();
    for paragraphs in chosen {
        for (slot, language) in Lang::ALL.into_iter().enumerate() {
            let target = paragraphs[slot];
            let vocabulary = &vocabularies[slot];
            let text = &corpus.paragraphs[target as usize].text;
            // The three rarest words that occur elsewhere too (not a unique code or name).
            let mut words: Vec<&str> = words_of(text)
                .into_iter()
                .filter(|w| w.chars().count() >= 5 && vocabulary.frequency(w) >= 2)
                .collect();
            words.sort_by_key(|w| (vocabulary.frequency(w), w.to_lowercase()));
            words.dedup_by_key(|w| w.to_lowercase());
            words.truncate(3);
            if words.len() < 2 {
                continue;
            }
            let exact: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
            let forms: Vec<String> = words
                .iter()
                .map(|w| vocabulary.other_form(w).unwrap_or_else(|| (*w).to_owned()))
                .collect();
            if forms != exact {
                cases.push(RelevanceCase {
                    query: BenchQuery::words(forms, language),
                    target,
                    wording: Wording::OtherForms,
                });
            }
            // The paragraph's longest compound, by its last part, beside the other words.
            let compound = words_of(text)
                .into_iter()
                .filter(|w| w.chars().count() >= 10)
                .filter_map(|w| Some((w, vocabulary.last_part(w)?)))
                .max_by_key(|(w, _)| (w.chars().count(), w.to_lowercase()));
            if let Some((whole, part)) = compound {
                let mut words: Vec<String> = exact
                    .iter()
                    .filter(|w| !w.eq_ignore_ascii_case(whole))
                    .take(2)
                    .cloned()
                    .collect();
                words.push(part);
                cases.push(RelevanceCase {
                    query: BenchQuery::words(words, language),
                    target,
                    wording: Wording::Part,
                });
            }
            cases.push(RelevanceCase {
                query: BenchQuery::words(exact, language),
                target,
                wording: Wording::Own,
            });
        }
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_runs_of_letters() {
        assert_eq!(
            words_of("Wählen Sie Format - Zellen (Strg+1)."),
            ["Wählen", "Sie", "Format", "Zellen", "Strg"]
        );
    }
}
