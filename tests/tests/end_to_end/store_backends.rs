//! The same store suite on SQLite and on a real PostgreSQL.

use agora_server::database::{Location, Synchronous};
use agora_tests::postgres::TempPostgres;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_suite_passes_on_sqlite() {
    let data = tempfile::tempdir().unwrap();
    agora_tests::store_suite::run(&Location::new(data.path(), None, Synchronous::Full)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_suite_passes_on_postgres() {
    let postgres = TempPostgres::start().expect("start PostgreSQL");
    let data = tempfile::tempdir().unwrap();
    let url = postgres.app_url();
    agora_tests::store_suite::run(&Location::new(data.path(), Some(&url), Synchronous::Full)).await;
}
