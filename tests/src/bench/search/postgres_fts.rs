//! PostgreSQL full-text search as its manual sets it up: a stored `tsvector` per paragraph made
//! with the paragraph's own language configuration (`german`, `danish`, `english`), a GIN
//! index, `websearch_to_tsquery` in the query's language, `ts_rank`, `ts_headline` snippets.

use agora_server::search::analysis::Lang;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row};

use super::corpus::Corpus;
use super::queries::BenchQuery;
use super::{Answer, BATCH_ROWS};
use crate::postgres::TempPostgres;

pub struct PostgresFtsEngine {
    _server: TempPostgres,
    pool: PgPool,
}

fn config(language: Lang) -> &'static str {
    match language {
        Lang::De => "german",
        Lang::Da => "danish",
        Lang::En => "english",
    }
}

impl PostgresFtsEngine {
    pub async fn new() -> anyhow::Result<Self> {
        let server = tokio::task::spawn_blocking(TempPostgres::start).await??;
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect(&server.url())
            .await?;
        sqlx::query(
            "create table paragraphs (
                 id integer primary key,
                 config regconfig not null,
                 text text not null,
                 source text not null,
                 year integer not null,
                 words tsvector generated always as (to_tsvector(config, text)) stored)",
        )
        .execute(&pool)
        .await?;
        sqlx::query("create index paragraphs_words on paragraphs using gin (words)")
            .execute(&pool)
            .await?;
        Ok(Self {
            _server: server,
            pool,
        })
    }

    pub async fn index(&mut self, corpus: &Corpus) -> anyhow::Result<()> {
        let rows: Vec<u32> = (0..corpus.paragraphs.len() as u32).collect();
        for batch in rows.chunks(BATCH_ROWS) {
            let mut ids = Vec::with_capacity(batch.len());
            let mut configs = Vec::with_capacity(batch.len());
            let mut texts = Vec::with_capacity(batch.len());
            let mut sources = Vec::with_capacity(batch.len());
            let mut years = Vec::with_capacity(batch.len());
            for &paragraph in batch {
                let row = &corpus.paragraphs[paragraph as usize];
                let page = corpus.page_of(paragraph);
                ids.push(paragraph as i32);
                configs.push(config(page.language));
                texts.push(row.text.as_str());
                sources.push(page.source.as_str());
                years.push(corpus.year_of(row.page));
            }
            sqlx::query(
                "insert into paragraphs (id, config, text, source, year)
                 select id, config::regconfig, text, source, year
                 from unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::int[])
                     as batch (id, config, text, source, year)",
            )
            .bind(&ids)
            .bind(&configs)
            .bind(&texts)
            .bind(&sources)
            .bind(&years)
            .execute(&self.pool)
            .await?;
        }
        sqlx::query("vacuum analyze paragraphs")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn size(&self) -> anyhow::Result<u64> {
        let bytes: i64 = sqlx::query_scalar("select pg_total_relation_size('paragraphs')")
            .fetch_one(&self.pool)
            .await?;
        Ok(bytes as u64)
    }

    pub async fn query(&self, query: &BenchQuery) -> anyhow::Result<Answer> {
        let rows = sqlx::query(
            "with asked as (select websearch_to_tsquery($2::regconfig, $1) as q),
             top as (
                 select id, text, ts_rank(words, asked.q) as rank, count(*) over () as total
                 from paragraphs, asked
                 where words @@ asked.q and ($3::text is null or source = $3)
                 order by rank desc limit 10)
             select id, ts_headline($2::regconfig, text, asked.q), total
             from top, asked order by rank desc",
        )
        .bind(&query.text)
        .bind(config(query.language))
        .bind(&query.source)
        .fetch_all(&self.pool)
        .await?;
        if query.source.is_some() {
            sqlx::query(
                "select year, count(*) from paragraphs
                 where words @@ websearch_to_tsquery($2::regconfig, $1) and source = $3
                 group by year",
            )
            .bind(&query.text)
            .bind(config(query.language))
            .bind(&query.source)
            .fetch_all(&self.pool)
            .await?;
        }
        Ok(Answer {
            top: rows.iter().map(|row| row.get::<i32, _>(0) as u32).collect(),
            total: rows.first().map_or(0, |row| row.get::<i64, _>(2) as u64),
        })
    }
}
