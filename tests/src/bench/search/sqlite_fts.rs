//! SQLite FTS5 as an application would set it up for mixed languages: the `porter` stemmer
//! (English rules, the only one FTS5 has) over `unicode61` with diacritics removed, ranked by
//! bm25, snippets by `snippet()`.

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

use super::corpus::Corpus;
use super::queries::BenchQuery;
use super::{Answer, BATCH_ROWS};

pub struct SqliteFtsEngine {
    _folder: tempfile::TempDir,
    file: std::path::PathBuf,
    pool: SqlitePool,
}

impl SqliteFtsEngine {
    pub async fn new(scratch: &Path) -> anyhow::Result<Self> {
        let folder = tempfile::Builder::new()
            .prefix("agora-fts5-")
            .tempdir_in(scratch)?;
        let file = folder.path().join("fts.db");
        let options = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        sqlx::query(
            "create virtual table paragraphs using fts5(
                 text, source unindexed, year unindexed,
                 tokenize = 'porter unicode61 remove_diacritics 2')",
        )
        .execute(&pool)
        .await?;
        Ok(Self {
            _folder: folder,
            file,
            pool,
        })
    }

    pub async fn index(&mut self, corpus: &Corpus) -> anyhow::Result<()> {
        let rows: Vec<u32> = (0..corpus.paragraphs.len() as u32).collect();
        for batch in rows.chunks(BATCH_ROWS) {
            let mut tx = self.pool.begin().await?;
            for &paragraph in batch {
                let page = corpus.page_of(paragraph);
                sqlx::query(
                    "insert into paragraphs (rowid, text, source, year) values (?, ?, ?, ?)",
                )
                .bind(paragraph as i64)
                .bind(&corpus.paragraphs[paragraph as usize].text)
                .bind(&page.source)
                .bind(corpus.year_of(corpus.paragraphs[paragraph as usize].page))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    pub fn size(&self) -> anyhow::Result<u64> {
        Ok(std::fs::metadata(&self.file)?.len())
    }

    pub async fn query(&self, query: &BenchQuery) -> anyhow::Result<Answer> {
        let quoted = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
        let expression = if query.phrase {
            quoted(&query.words.join(" "))
        } else {
            query
                .words
                .iter()
                .map(|word| quoted(word))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let rows = sqlx::query(
            "select rowid, snippet(paragraphs, 0, '<b>', '</b>', '…', 24)
             from paragraphs
             where paragraphs match ?1 and (?2 is null or source = ?2)
             order by rank limit 10",
        )
        .bind(&expression)
        .bind(&query.source)
        .fetch_all(&self.pool)
        .await?;
        // FTS5's snippets cannot share a query with a window function: the total is counted apart.
        let total: i64 = sqlx::query_scalar(
            "select count(*) from paragraphs
             where paragraphs match ?1 and (?2 is null or source = ?2)",
        )
        .bind(&expression)
        .bind(&query.source)
        .fetch_one(&self.pool)
        .await?;
        if query.source.is_some() {
            // The facet counts a search page shows beside the hits.
            sqlx::query(
                "select year, count(*) from paragraphs
                 where paragraphs match ?1 and source = ?2 group by year",
            )
            .bind(&expression)
            .bind(&query.source)
            .fetch_all(&self.pool)
            .await?;
        }
        Ok(Answer {
            top: rows.iter().map(|row| row.get::<i64, _>(0) as u32).collect(),
            total: total as u64,
        })
    }
}
