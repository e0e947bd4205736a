//! The soak run, short: 34 seconds of editing (about 47 in all) by 30 editors and 10 readers over
//! 20 documents against the debug `agora` binary, with two `kill -9`s and restarts, connections
//! reset, clients replaced and three slow readers at a time; then every change must be on the
//! server, every copy agree, the idle server's memory be back near its baseline and every
//! complaint in either log be explained. `agora-bench soak` runs the same for as long as asked,
//! against the release build.

use agora_tests::server::agora_binary;
use agora_tests::soak::{self, SoakOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_loses_nothing_and_explains_every_complaint() {
    // Stays of 15 s and a cut every 2 s on average, so that a short run sees dozens of each; two
    // rounds after the kills, long enough for a slow reader's longest visit.
    let options = SoakOptions::from_args(&[
        "--duration",
        "34s",
        "--kills",
        "2",
        "--mean-stay",
        "15s",
        "--mean-cut-every",
        "2s",
        "--rounds",
        "2",
        "--slow-readers",
        "3",
    ])
    .expect("valid soak options");
    let report = soak::run(&agora_binary(), &[], &options)
        .await
        .expect("the soak runs");
    println!("{}", report.table.render());
    assert!(report.passed(), "the soak failed:\n{}", report.failures());
}
