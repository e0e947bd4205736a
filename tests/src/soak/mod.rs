//! A soak and fault run against the real `agora` binary, for a bounded time: editors and readers
//! at human speed over many documents, clients leaving and coming back, connections reset at
//! the TCP level, slow readers, and `kill -9` of the server with a restart on the same port and
//! data. At the end every change any client made must be on the server, every copy agree, the
//! idle server's memory be back near its baseline, and every complaint in either log explained.
//! `agora-bench soak` runs it for long; the end-to-end test `soak` for about 45 seconds.
//!
//! Layout:
//! - `plan`: the options, the server's limits for the run, the schedule of kills.
//! - `run`: the run from start to end.
//! - `workload`: what every actor shares, and the founding of the documents.
//! - `stretch`: a stretch of editing with its faults; everyone syncs, agrees and leaves.
//! - `member`: one client with its documents, joining and leaving.
//! - `editor`: editors and readers at work.
//! - `probe`: one client timing how long the server takes to acknowledge an edit.
//! - `slow_reader`: raw peers that read slowly or not at all for a while.
//! - `proxy`: the TCP relay that cuts connections.
//! - `server`: the server process: start, kill -9, restart, SIGTERM, memory, idle.
//! - `memory`: the idle server's memory at each round's end, and the check against the baseline.
//! - `heap`: the idle server's live heap, read through gdb.
//! - `text`: words from the German, Danish and English corpora.
//! - `ledger`: every change made, and the merged copies of clients that left.
//! - `verify`: the final load of every document by a fresh client.
//! - `server_log`, `client_log`: the log lines of both sides, by kind.
//! - `explained`: the complaints the run expects, and why.
//! - `tally`: what the actors count while they run.
//! - `report`: the checks and the table.

mod client_log;
mod editor;
mod explained;
mod heap;
mod ledger;
mod member;
mod memory;
mod plan;
mod probe;
mod proxy;
mod report;
mod run;
mod server;
mod server_log;
mod slow_reader;
mod stretch;
mod tally;
mod text;
mod verify;
mod workload;

pub use plan::{parse_duration, SoakOptions};
pub use report::SoakReport;
pub use run::run;
