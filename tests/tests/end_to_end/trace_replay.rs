//! The `automerge-paper` typing trace, one change per keystroke, through the server: the
//! server's copy ends with exactly the trace's `endContent`, and so does a fresh client's.

use std::time::{Duration, Instant};

use agora_client::trace::{replay, Trace};
use agora_client::Client;
use agora_tests::data::sequential_trace;
use agora_tests::editing::text_of;
use agora_tests::TestServer;
use automerge::Automerge;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automerge_paper_replays_through_the_server_to_its_end_content() {
    let trace = Trace::load(&sequential_trace("automerge-paper")).expect("trace in shared data");
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let client = Client::connect(&server.sync_url()).await.unwrap();
    let handle = client.create().await.unwrap();

    let started = Instant::now();
    let replayer = handle.clone();
    let trace_for_replay = trace.clone();
    let report = tokio::task::spawn_blocking(move || replay(&trace_for_replay, &replayer, 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.txns, 259_778);
    assert_eq!(handle.text(), trace.end_content);
    handle.wait_synced(Duration::from_secs(300)).await.unwrap();
    eprintln!(
        "replayed {} keystrokes through the server in {:?}",
        report.txns,
        started.elapsed()
    );

    let saved = server.state.sync.documents.save(handle.id()).await.unwrap();
    assert_eq!(
        text_of(&Automerge::load(&saved).unwrap()),
        trace.end_content
    );

    // A cold start: the document comes back from SQLite alone.
    let server = server.restart().await;
    let fresh = Client::connect(&server.sync_url()).await.unwrap();
    let fetched = fresh.find(handle.id()).await.unwrap();
    fetched
        .wait_for(Duration::from_secs(60), |doc| {
            doc.get_heads() == handle.heads()
        })
        .await
        .unwrap();
    assert_eq!(fetched.text(), trace.end_content);
    server.stop().await;
}
