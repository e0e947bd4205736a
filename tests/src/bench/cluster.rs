//! Edit → remote latency across instances: the latency workload with its writer on one instance
//! and its readers on the others, all on one PostgreSQL (a new one in a temporary folder), beside
//! the same workload on one instance on SQLite and on one instance on PostgreSQL.

use std::path::Path;

use clap::Args;

use super::latency::{self, LatencyOptions};
use super::report::Table;
use super::BenchServer;
use crate::postgres::TempPostgres;
use crate::server::provision_tester_in;

#[derive(Debug, Clone, Args)]
pub struct ClusterOptions {
    /// Instances on the one PostgreSQL: the writer's, and the readers' (at least one).
    #[arg(long, default_value_t = 3)]
    pub instances: usize,
    #[command(flatten)]
    pub latency: LatencyOptions,
}

pub async fn run(
    binary: &Path,
    server_args: &[String],
    options: &ClusterOptions,
) -> anyhow::Result<()> {
    anyhow::ensure!(options.instances >= 2, "--instances must be at least 2");
    let mut columns = vec!["setup"];
    columns.extend(latency::COLUMNS);
    let mut table = Table::new(
        &format!(
            "Edit → remote latency across instances ({})",
            latency::describe(&options.latency)
        ),
        &columns,
    );

    let sqlite = BenchServer::start(binary, server_args).await?;
    let url = sqlite.sync_url();
    measure_rows(
        &mut table,
        "SQLite, one instance",
        &url,
        std::slice::from_ref(&url),
        Some(&sqlite),
        options,
    )
    .await;
    drop(sqlite);

    let postgres = TempPostgres::start()?;
    let database_url = postgres.app_url();
    let token = provision_tester_in(&database_url).await;
    let mut args = server_args.to_vec();
    args.extend(["--database-url".to_owned(), database_url]);
    let mut instances = Vec::new();
    for _ in 0..options.instances {
        instances.push(BenchServer::start_with_token(binary, &args, &token).await?);
    }
    let urls: Vec<String> = instances.iter().map(BenchServer::sync_url).collect();
    measure_rows(
        &mut table,
        "PostgreSQL, one instance",
        &urls[0],
        &urls[..1],
        Some(&instances[0]),
        options,
    )
    .await;
    let setup = format!(
        "PostgreSQL, writer on one of {} instances, readers on the others",
        options.instances
    );
    measure_rows(&mut table, &setup, &urls[0], &urls[1..], None, options).await;
    table.print();
    for mut instance in instances {
        instance.stop().await?;
    }
    Ok(())
}

async fn measure_rows(
    table: &mut Table,
    setup: &str,
    writer_url: &str,
    reader_urls: &[String],
    server: Option<&BenchServer>,
    options: &ClusterOptions,
) {
    for &readers in &options.latency.clients {
        let mut row = vec![setup.to_owned()];
        match latency::measure(writer_url, reader_urls, server, readers, &options.latency).await {
            Ok(measured) => row.extend(measured),
            Err(error) => {
                row.push(format!("{readers}: failed: {error:#}"));
                row.resize(latency::COLUMNS.len() + 1, "—".to_owned());
            }
        }
        table.row(row);
    }
}
