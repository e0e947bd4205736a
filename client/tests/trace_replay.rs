//! Replaying a real editing trace locally, without a server.

use std::path::PathBuf;

use agora_client::text_object;
use agora_client::trace::{replay_local, Trace};
use automerge::ReadDoc;

fn trace_path(name: &str) -> PathBuf {
    // The data lives beside the repository (`../shared/data` from its root).
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/editing-traces/sequential_traces")
        .join(name)
}

#[test]
fn friendsforever_reaches_its_end_content() {
    let trace = Trace::load(&trace_path("friendsforever_flat.json.gz")).expect("trace loads");
    assert_eq!(trace.patch_count(), 26_078);
    for batch in [1, 100] {
        let started = std::time::Instant::now();
        let doc = replay_local(&trace, batch).expect("trace applies");
        let text = text_object(&doc).expect("root text");
        assert_eq!(doc.text(&text).unwrap(), trace.end_content, "batch {batch}");
        eprintln!("batch {batch}: {:?}", started.elapsed());
    }
}
