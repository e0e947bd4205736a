//! The workloads of the `agora-bench` binary. Each one runs the real release `agora` binary in a
//! process of its own, drives it over loopback WebSockets from this process, and prints one
//! markdown table.
//!
//! Layout:
//! - `machine`: the header line with the facts a reader needs to compare figures.
//! - `server`: the server under measurement: the release binary (or the Node server), its port
//!   and data folder.
//! - `node`: the official Node sync server as the server under measurement.
//! - `process`: resident memory and CPU time of a process, from `/proc`.
//! - `open`: opening many connections with bounded concurrency and a deadline, closing them.
//! - `report`: percentiles and markdown tables.
//! - `usage`: server and bench CPU and messages per second over a stretch of a workload.
//! - `seed`: creating the documents a workload starts from.
//! - `keystrokes`: each agent's keystrokes from the concurrent editing traces.
//! - `typist`: a writer typing one agent's keystrokes into a region of a shared text it owns.
//! - `editors`: many connections typing into regions of shared documents at a steady pace.
//! - `arrivals`: keystroke → remote latency with many writers per document: who saw what when.
//! - `latency`: edit → remote latency, one writer and N readers of one document.
//! - `cluster`: the same across instances on one PostgreSQL, beside one instance of each backend.
//! - `replay`: the `automerge-paper` trace through the server, then a cold load.
//! - `memory`: server memory with thousands of idle connections over many documents.
//! - `writers`: many writers typing at human speed on one document.
//! - `documents`: many documents at once, several editors on each, typing at human speed.
//! - `throughput`: the highest rate of edits sustained with p99 ≤ 100 ms (or a limit given), by
//!   rising steps.
//! - `receive`: incoming sync messages (one, and several that queued up) as the history grows,
//!   automerge's way and ours (no server process).
//! - `search`: Agora's search index beside SQLite FTS5 and PostgreSQL full-text search on the
//!   shared corpus: indexing, size, query latency and relevance.

pub mod arrivals;
pub mod cluster;
pub mod documents;
pub mod editors;
pub mod keystrokes;
pub mod latency;
pub mod machine;
pub mod memory;
pub mod node;
pub mod open;
pub mod process;
pub mod receive;
pub mod replay;
pub mod report;
pub mod search;
pub mod seed;
pub mod server;
pub mod throughput;
pub mod typist;
pub mod usage;
pub mod writers;

pub use server::{release_server_binary, BenchServer, ServerKind};
