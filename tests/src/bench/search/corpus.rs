//! The search corpus (`../shared/data/corpus/`): German, Danish and English pages as JSON lines,
//! gzip. Every paragraph becomes one searchable unit, in every engine alike.

use std::io::BufRead;
use std::path::Path;

use agora_server::search::analysis::Lang;
use anyhow::Context;

/// One paragraph: what every engine indexes as one row.
#[derive(Debug, Clone)]
pub struct Paragraph {
    /// Its page, counted from 0 in load order.
    pub page: u32,
    /// The paragraph id shared across languages, where the corpus has one.
    pub pid: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub id: String,
    pub language: Lang,
    pub title: String,
    /// The corpus folder it came from (`libreoffice-help-7.4`): the facet to narrow by.
    pub source: String,
    /// Its paragraphs: indices into `Corpus::paragraphs`.
    pub paragraphs: std::ops::Range<u32>,
}

#[derive(Debug, Default)]
pub struct Corpus {
    pub pages: Vec<Page>,
    pub paragraphs: Vec<Paragraph>,
}

#[derive(serde::Deserialize)]
struct RawPage {
    id: String,
    lang: String,
    title: String,
    paras: Vec<RawParagraph>,
}

#[derive(serde::Deserialize)]
struct RawParagraph {
    pid: Option<String>,
    text: String,
}

impl Corpus {
    /// Every `*.jsonl.gz` under `folder`, in name order; at most `limit` paragraphs.
    pub fn load(folder: &Path, limit: Option<usize>) -> anyhow::Result<Self> {
        let mut files = Vec::new();
        for set in std::fs::read_dir(folder)
            .with_context(|| format!("the corpus folder {}", folder.display()))?
        {
            let set = set?.path();
            if !set.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&set)? {
                let file = file?.path();
                if file.to_string_lossy().ends_with(".jsonl.gz") {
                    files.push(file);
                }
            }
        }
        files.sort();
        let limit = limit.unwrap_or(usize::MAX);
        let mut corpus = Corpus::default();
        for file in files {
            let source = file
                .parent()
                .and_then(Path::file_name)
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let reader =
                std::io::BufReader::new(flate2::read::GzDecoder::new(std::fs::File::open(&file)?));
            for line in reader.lines() {
                let raw: RawPage = serde_json::from_str(&line?)
                    .with_context(|| format!("a page of {}", file.display()))?;
                let Some(language) = Lang::ALL.into_iter().find(|l| l.code() == raw.lang) else {
                    continue;
                };
                corpus.add(raw, language, &source, limit);
                if corpus.paragraphs.len() >= limit {
                    return Ok(corpus);
                }
            }
        }
        Ok(corpus)
    }

    fn add(&mut self, raw: RawPage, language: Lang, source: &str, limit: usize) {
        let page = self.pages.len() as u32;
        let first = self.paragraphs.len() as u32;
        for paragraph in raw.paras {
            if self.paragraphs.len() >= limit {
                break;
            }
            let text = paragraph.text.trim();
            if text.is_empty() {
                continue;
            }
            self.paragraphs.push(Paragraph {
                page,
                pid: paragraph.pid,
                text: text.to_owned(),
            });
        }
        self.pages.push(Page {
            id: raw.id,
            language,
            title: raw.title,
            source: source.to_owned(),
            paragraphs: first..self.paragraphs.len() as u32,
        });
    }

    pub fn page_of(&self, paragraph: u32) -> &Page {
        &self.pages[self.paragraphs[paragraph as usize].page as usize]
    }

    pub fn bytes(&self) -> usize {
        self.paragraphs.iter().map(|p| p.text.len()).sum()
    }

    /// The year a page is filed under, for the year facet: spread over six years, stably.
    pub fn year_of(&self, page: u32) -> i32 {
        2020 + (page % 6) as i32
    }
}
