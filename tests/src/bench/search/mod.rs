//! Search side by side: Agora's index, SQLite FTS5 and PostgreSQL full-text search fed the same
//! corpus (`../shared/data/corpus/`, one row per paragraph) and asked the same queries, in one
//! run. Every engine answers as a search page needs it: the first ten hits ranked, a snippet
//! for each, and the total; faceted queries also count the matches per year.
//!
//! Layout:
//! - `corpus`: the corpus read from its JSON lines.
//! - `queries`: the query sets (latency and known-item relevance), drawn with a fixed seed.
//! - `agora`, `sqlite_fts`, `postgres_fts`: the three engines.

pub mod agora;
pub mod corpus;
pub mod postgres_fts;
pub mod queries;
pub mod sqlite_fts;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use agora_server::search::analysis::Lang;
use agora_server::search::PartMatching;
use clap::Args;

use self::agora::AgoraEngine;
use self::corpus::Corpus;
use self::postgres_fts::PostgresFtsEngine;
use self::queries::{latency_queries, relevance_cases, BenchQuery, RelevanceCase, Wording};
use self::sqlite_fts::SqliteFtsEngine;
use super::report::{ms, percentile, secs, Table};

/// Rows per transaction when SQLite and PostgreSQL are filled.
pub const BATCH_ROWS: usize = 1_000;
/// Queries run before measuring, so caches are warm for every engine alike.
const WARM_UP: usize = 50;
const SEED: u64 = 2026;

#[derive(Debug, Clone, Args)]
pub struct SearchOptions {
    /// The corpus folder (default: the shared data's `corpus`).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Index only the first N paragraphs (default: all).
    #[arg(long)]
    pub paragraphs: Option<usize>,
    /// Queries per latency set (single words, phrases, faceted).
    #[arg(long, default_value_t = 500)]
    pub queries: usize,
    /// Aligned paragraphs asked for in each language by the relevance check.
    #[arg(long, default_value_t = 200)]
    pub relevance: usize,
    /// The engines to measure (`agora-always`, `agora-words`: compound parts matched by
    /// trigrams with every query, or never, instead of when the words find few hits).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "agora,agora-always,agora-words,sqlite,postgres"
    )]
    pub engines: Vec<EngineKind>,
}

/// What an engine found: the first ten paragraphs, best first, and how many matched.
#[derive(Debug, Default)]
pub struct Answer {
    pub top: Vec<u32>,
    pub total: u64,
}

enum Engine {
    Agora(Box<AgoraEngine>, PartMatching),
    SqliteFts(SqliteFtsEngine),
    PostgresFts(PostgresFtsEngine),
}

impl Engine {
    fn name(&self) -> &'static str {
        match self {
            Engine::Agora(_, PartMatching::WhenFew) => "Agora",
            Engine::Agora(_, PartMatching::Always) => "Agora, trigrams always",
            Engine::Agora(_, PartMatching::Never) => "Agora, words only",
            Engine::SqliteFts(_) => "SQLite FTS5",
            Engine::PostgresFts(_) => "PostgreSQL FTS",
        }
    }

    async fn index(&mut self, corpus: &Corpus) -> anyhow::Result<()> {
        match self {
            Engine::Agora(engine, _) => engine.index(corpus),
            Engine::SqliteFts(engine) => engine.index(corpus).await,
            Engine::PostgresFts(engine) => engine.index(corpus).await,
        }
    }

    async fn size(&self) -> anyhow::Result<u64> {
        match self {
            Engine::Agora(engine, _) => engine.size(),
            Engine::SqliteFts(engine) => engine.size(),
            Engine::PostgresFts(engine) => engine.size().await,
        }
    }

    async fn query(&self, query: &BenchQuery) -> anyhow::Result<Answer> {
        match self {
            Engine::Agora(engine, _) => engine.query(query),
            Engine::SqliteFts(engine) => engine.query(query).await,
            Engine::PostgresFts(engine) => engine.query(query).await,
        }
    }
}

pub async fn run(options: &SearchOptions) -> anyhow::Result<()> {
    let folder = options
        .corpus
        .clone()
        .unwrap_or_else(|| crate::data::shared_data().join("corpus"));
    let started = Instant::now();
    let corpus = Corpus::load(&folder, options.paragraphs)?;
    eprintln!(
        "corpus: {} pages, {} paragraphs, {:.1} MB of text, read in {} s",
        corpus.pages.len(),
        corpus.paragraphs.len(),
        corpus.bytes() as f64 / 1e6,
        secs(started.elapsed())
    );
    let sets = latency_queries(&corpus, options.queries, SEED);
    let cases = relevance_cases(&corpus, options.relevance, SEED);
    let scratch = tempfile::Builder::new()
        .prefix("agora-search-bench-")
        .tempdir()?;

    let mut indexing = Table::new(
        &format!(
            "Search: indexing {} paragraphs ({:.1} MB of text)",
            corpus.paragraphs.len(),
            corpus.bytes() as f64 / 1e6
        ),
        &[
            "engine",
            "seconds",
            "paragraphs/s",
            "MB/s",
            "size on disk",
            "bytes per paragraph",
        ],
    );
    let mut latency = Table::new(
        &format!(
            "Search: query latency in ms, first ten hits with snippets and total ({} queries per kind)",
            options.queries
        ),
        &[
            "engine",
            "word p50",
            "word p99",
            "phrase p50",
            "phrase p99",
            "faceted p50",
            "faceted p99",
        ],
    );
    let mut relevance_headers = vec!["engine".to_owned()];
    for lang in Lang::ALL {
        for wording in Wording::ALL {
            relevance_headers.push(format!("{} {}", lang.code(), wording.label()));
        }
    }
    relevance_headers.push("all".to_owned());
    let headers: Vec<&str> = relevance_headers.iter().map(String::as_str).collect();
    let mut relevance = Table::new("Search: known paragraph among the first ten hits", &headers);

    for make in options.engines.iter().copied() {
        let mut engine = make.open(scratch.path()).await?;
        eprintln!("{}: indexing", engine.name());
        let started = Instant::now();
        engine.index(&corpus).await?;
        let took = started.elapsed();
        let size = engine.size().await?;
        indexing.row(vec![
            engine.name().to_owned(),
            secs(took),
            format!("{:.0}", corpus.paragraphs.len() as f64 / took.as_secs_f64()),
            format!("{:.2}", corpus.bytes() as f64 / 1e6 / took.as_secs_f64()),
            format!("{:.1} MiB", size as f64 / (1024.0 * 1024.0)),
            format!("{:.0}", size as f64 / corpus.paragraphs.len() as f64),
        ]);

        eprintln!("{}: querying", engine.name());
        for query in sets.single.iter().take(WARM_UP) {
            engine.query(query).await?;
        }
        let mut row = vec![engine.name().to_owned()];
        for set in [&sets.single, &sets.phrases, &sets.faceted] {
            let mut times = timed(&engine, set).await?;
            times.sort();
            row.push(ms(percentile(&times, 50.0)));
            row.push(ms(percentile(&times, 99.0)));
        }
        latency.row(row);

        relevance.row(relevance_row(&engine, &corpus, &cases).await?);
        drop(engine);
    }
    indexing.print();
    latency.print();
    relevance.print();
    println!(
        "Relevance cases: {} paragraphs of the LibreOffice help aligned in de, da and en, each \
         asked for by its three rarest words, as written (\"own words\"), in another form \
         found in the corpus (\"other forms\"), and with its longest compound given by its last \
         part beside two of them (\"compound part\"). PostgreSQL is told each query's language; Agora \
         and FTS5 are not.",
        cases.iter().filter(|c| c.wording == Wording::Own).count() / 3
    );
    Ok(())
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum EngineKind {
    Agora,
    AgoraAlways,
    AgoraWords,
    #[value(name = "sqlite")]
    SqliteFts,
    #[value(name = "postgres")]
    PostgresFts,
}

impl EngineKind {
    async fn open(self, scratch: &Path) -> anyhow::Result<Engine> {
        Ok(match self {
            EngineKind::Agora => agora(scratch, PartMatching::WhenFew)?,
            EngineKind::AgoraAlways => agora(scratch, PartMatching::Always)?,
            EngineKind::AgoraWords => agora(scratch, PartMatching::Never)?,
            EngineKind::SqliteFts => Engine::SqliteFts(SqliteFtsEngine::new(scratch).await?),
            EngineKind::PostgresFts => Engine::PostgresFts(PostgresFtsEngine::new().await?),
        })
    }
}

fn agora(scratch: &Path, parts: PartMatching) -> anyhow::Result<Engine> {
    Ok(Engine::Agora(
        Box::new(AgoraEngine::new(scratch, parts)?),
        parts,
    ))
}

async fn timed(engine: &Engine, queries: &[BenchQuery]) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(queries.len());
    for query in queries {
        let started = Instant::now();
        engine.query(query).await?;
        times.push(started.elapsed());
    }
    Ok(times)
}

async fn relevance_row(
    engine: &Engine,
    corpus: &Corpus,
    cases: &[RelevanceCase],
) -> anyhow::Result<Vec<String>> {
    let mut found = [[0usize; 3]; 3];
    let mut asked = [[0usize; 3]; 3];
    for case in cases {
        let answer = engine.query(&case.query).await?;
        let target = &corpus.paragraphs[case.target as usize].text;
        // LibreOffice's help repeats some paragraphs word for word: any copy is the one.
        let hit = answer
            .top
            .iter()
            .any(|p| corpus.paragraphs[*p as usize].text == *target);
        let lang = Lang::ALL
            .iter()
            .position(|l| *l == case.query.language)
            .expect("a language");
        let form = Wording::ALL
            .iter()
            .position(|w| *w == case.wording)
            .expect("a wording");
        asked[lang][form] += 1;
        found[lang][form] += usize::from(hit);
    }
    let share = |found: usize, asked: usize| {
        if asked == 0 {
            "–".to_owned()
        } else {
            format!(
                "{:.0} % ({found}/{asked})",
                100.0 * found as f64 / asked as f64
            )
        }
    };
    let mut row = vec![engine.name().to_owned()];
    for lang in 0..3 {
        for form in 0..3 {
            row.push(share(found[lang][form], asked[lang][form]));
        }
    }
    let all_found: usize = found.iter().flatten().sum();
    let all_asked: usize = asked.iter().flatten().sum();
    row.push(share(all_found, all_asked));
    Ok(row)
}
