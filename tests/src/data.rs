//! Test data lives beside the repository, in `../shared/data/`, and is read from there.

use std::path::PathBuf;

/// The shared data folder.
pub fn shared_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// A sequential editing trace by name, e.g. `automerge-paper`.
pub fn sequential_trace(name: &str) -> PathBuf {
    shared_data()
        .join("editing-traces/sequential_traces")
        .join(format!("{name}.json.gz"))
}

/// A concurrent editing trace by name, e.g. `clownschool`.
pub fn concurrent_trace(name: &str) -> PathBuf {
    shared_data()
        .join("editing-traces/concurrent_traces")
        .join(format!("{name}.json.gz"))
}

/// The repository's root folder.
pub fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}
