//! Words to type: running text from the German, Danish and English corpora in
//! `../shared/data/corpus/`, so documents hold umlauts, æ/ø/å and real sentence shapes.

use std::io::BufRead;

use anyhow::Context;
use rand::Rng;

use crate::data::shared_data;

/// Words read per language: enough that editors rarely type the same passage twice.
const WORDS_PER_LANGUAGE: usize = 30_000;

/// The corpus files, one per language: German, Danish, English.
const SOURCES: [&str; 3] = [
    "corpus/debian-handbook-11/handbook-de.jsonl.gz",
    "corpus/libreoffice-help-7.4/lohelp-da.jsonl.gz",
    "corpus/debian-handbook-11/handbook-en.jsonl.gz",
];

pub struct Phrases {
    /// Running words per language, in corpus order.
    languages: Vec<Vec<String>>,
}

impl Phrases {
    pub fn load() -> anyhow::Result<Self> {
        let languages = SOURCES
            .iter()
            .map(|source| read_words(source))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { languages })
    }

    pub fn languages(&self) -> usize {
        self.languages.len()
    }

    /// One to four consecutive words from a random place of `language`'s text, and a space.
    pub fn fragment(&self, language: usize, rng: &mut impl Rng) -> String {
        let words = &self.languages[language % self.languages.len()];
        let len = rng.random_range(1..=4);
        let start = rng.random_range(0..words.len() - len);
        let mut fragment = words[start..start + len].join(" ");
        fragment.push(' ');
        fragment
    }
}

/// The Danish help leaves some paragraphs in English; a paragraph counts as Danish when it has
/// a Danish letter or one of its commonest words.
fn looks_danish(text: &str) -> bool {
    text.contains(['æ', 'ø', 'å']) || text.contains(" og ") || text.contains(" er ")
}

fn read_words(source: &str) -> anyhow::Result<Vec<String>> {
    let path = shared_data().join(source);
    let file = std::fs::File::open(&path).with_context(|| format!("open {}", path.display()))?;
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let danish = source.contains("-da.");
    let mut words = Vec::with_capacity(WORDS_PER_LANGUAGE);
    for line in reader.lines() {
        let line = line.with_context(|| format!("read {}", path.display()))?;
        let page: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("a page of {} is not JSON", path.display()))?;
        let paragraphs = page["paras"].as_array().into_iter().flatten();
        for text in paragraphs.filter_map(|paragraph| paragraph["text"].as_str()) {
            if danish && !looks_danish(text) {
                continue;
            }
            words.extend(text.split_whitespace().map(str::to_owned));
        }
        if words.len() >= WORDS_PER_LANGUAGE {
            words.truncate(WORDS_PER_LANGUAGE);
            return Ok(words);
        }
    }
    anyhow::ensure!(
        words.len() > 100,
        "{} holds too few words to type",
        path.display()
    );
    Ok(words)
}
