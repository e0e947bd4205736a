//! Keystrokes from the concurrent editing traces (josephg/editing-traces): each agent's
//! transactions in the order it typed them, as scripts that bench writers play back.
//!
//! File format: gzipped JSON `{kind, endContent, numAgents, txns: [{parents, agent, time,
//! patches: [[pos, delLen, insText]]}]}`. Positions count code points in the text as that agent
//! saw it, merged with the others' edits: meaningful to a writer only as moves of its own caret
//! (see `typist`).

use std::io::Read;
use std::sync::Arc;

use agora_client::trace::TracePatch;
use anyhow::Context;
use serde::Deserialize;

use crate::data::concurrent_trace;

/// The concurrent traces the writers play: five agents between them.
pub const CONCURRENT_TRACES: [&str; 2] = ["clownschool", "friendsforever"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConcurrentTrace {
    num_agents: usize,
    txns: Vec<ConcurrentTxn>,
}

#[derive(Deserialize)]
struct ConcurrentTxn {
    agent: usize,
    patches: Vec<TracePatch>,
}

/// One agent's keystrokes, in order; a keystroke is one transaction's patches.
pub struct Script {
    /// E.g. "clownschool/2": the trace and the agent.
    pub name: String,
    pub keystrokes: Vec<Vec<TracePatch>>,
}

/// Every agent of the given traces, one script each.
pub struct Scripts(Vec<Arc<Script>>);

impl Scripts {
    /// Reads the traces from the shared data folder.
    pub fn load(names: &[&str]) -> anyhow::Result<Scripts> {
        let mut scripts = Vec::new();
        for name in names {
            let path = concurrent_trace(name);
            let file =
                std::fs::File::open(&path).with_context(|| format!("open {}", path.display()))?;
            let mut json = Vec::new();
            flate2::read::GzDecoder::new(file)
                .read_to_end(&mut json)
                .with_context(|| format!("gunzip {}", path.display()))?;
            let trace: ConcurrentTrace = serde_json::from_slice(&json)
                .with_context(|| format!("parse {}", path.display()))?;
            let mut by_agent = vec![Vec::new(); trace.num_agents];
            for txn in trace.txns {
                let agent = by_agent.get_mut(txn.agent).with_context(|| {
                    format!("{name}: agent {} of {}", txn.agent, trace.num_agents)
                })?;
                agent.push(txn.patches);
            }
            scripts.extend(
                by_agent
                    .into_iter()
                    .enumerate()
                    .filter(|(_, keystrokes)| !keystrokes.is_empty())
                    .map(|(agent, keystrokes)| {
                        Arc::new(Script {
                            name: format!("{name}/{agent}"),
                            keystrokes,
                        })
                    }),
            );
        }
        anyhow::ensure!(
            !scripts.is_empty(),
            "the traces {names:?} hold no keystrokes"
        );
        Ok(Scripts(scripts))
    }

    /// The script and starting keystroke of writer `writer` of `writers`: writers go round the
    /// agents, and writers sharing an agent start at evenly spread points of its script, so no
    /// two type the same text at the same time.
    pub fn cue(&self, writer: usize, writers: usize) -> (Arc<Script>, usize) {
        let agents = self.0.len();
        let script = &self.0[writer % agents];
        let sharing = writers.div_ceil(agents).max(1);
        let start = (writer / agents) * script.keystrokes.len() / sharing;
        (script.clone(), start)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
