//! What incoming sync messages cost as a document's history grows: automerge's own
//! `receive_sync_message`, message by message, beside `agora_schema::apply_sync_messages`,
//! which the server and the client use. No server process: the two ways themselves, on
//! documents made from the first N keystrokes of a sequential trace (one change each).
//!
//! Each round, between a document (the server's side) and one peer in sync with it, times
//! four arrivals at the server, the two ways taking turns round by round:
//! - a keystroke from the peer, which was up to date (the commonest message there is);
//! - the peer's acknowledgement of a change the server passed on to it;
//! - a keystroke from the peer that crossed one of the server's own on the way, so that what
//!   the server sent is still unseen by the peer;
//! - keystrokes that queued up while the server was busy, one message each, received together.

use std::time::{Duration, Instant};

use agora_client::text_object;
use agora_client::trace::{replay_local, Trace};
use agora_schema::{apply_sync_message, apply_sync_messages};
use anyhow::Context;
use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, AutomergeError, ReadDoc};
use clap::Args;

use super::report::{percentile, Table};
use crate::data::sequential_trace;

#[derive(Debug, Clone, Args)]
pub struct ReceiveOptions {
    /// Sequential trace from the shared editing traces, by name.
    #[arg(long, default_value = "automerge-paper")]
    pub trace: String,
    /// Histories to measure, in keystrokes (changes); more than the trace has means all of it.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1000,10000,100000,1000000"
    )]
    pub histories: Vec<usize>,
    /// Rounds per history, split between the two ways.
    #[arg(long, default_value_t = 200)]
    pub rounds: usize,
    /// Keystrokes that queue up, for the last arrival of each round.
    #[arg(long, default_value_t = 8)]
    pub queued: usize,
}

const COLUMNS: [&str; 8] = [
    "history (changes)",
    "message",
    "automerge p50 (µs)",
    "p99 (µs)",
    "Agora p50 (µs)",
    "p99 (µs)",
    "automerge ÷ Agora (p50)",
    "same result",
];

/// Rounds in which each message is also received both ways on copies, to compare the results.
const COMPARED_ROUNDS: usize = 6;

/// The two ways of receiving a message.
#[derive(Clone, Copy)]
enum Way {
    Automerge,
    Agora,
}

impl Way {
    /// Receives `messages`, in order, from one peer.
    fn receive(
        self,
        doc: &mut Automerge,
        state: &mut State,
        messages: Vec<Message>,
    ) -> Result<(), AutomergeError> {
        match self {
            Way::Automerge => messages
                .into_iter()
                .try_for_each(|message| doc.receive_sync_message(state, message)),
            Way::Agora => {
                let messages = messages.into_iter().map(|message| ((), message)).collect();
                apply_sync_messages(doc, messages, state)
                    .into_iter()
                    .try_for_each(|(_, applied)| applied)
            }
        }
    }
}

/// Timings of one kind of message, for each way.
#[derive(Default)]
struct Timings {
    automerge: Vec<Duration>,
    agora: Vec<Duration>,
    /// The two ways made something different of one of the messages compared.
    differed: bool,
}

impl Timings {
    /// The server receives `messages` the `way` of this round, timed; on a `compare` round
    /// they are first received both ways on copies, to check that they agree.
    fn receive(
        &mut self,
        way: Way,
        compare: bool,
        server: &mut Automerge,
        state: &mut State,
        messages: Vec<Message>,
    ) -> anyhow::Result<()> {
        self.differed |= compare && !both_agree(server, state, &messages)?;
        let start = Instant::now();
        way.receive(server, state, messages)?;
        let took = start.elapsed();
        match way {
            Way::Automerge => self.automerge.push(took),
            Way::Agora => self.agora.push(took),
        }
        Ok(())
    }

    fn row(&mut self, history: usize, message: &str) -> Vec<String> {
        self.automerge.sort();
        self.agora.sort();
        let micros = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1e6);
        let (a50, b50) = (
            percentile(&self.automerge, 50.0),
            percentile(&self.agora, 50.0),
        );
        vec![
            history.to_string(),
            message.to_owned(),
            micros(a50),
            micros(percentile(&self.automerge, 99.0)),
            micros(b50),
            micros(percentile(&self.agora, 99.0)),
            format!("{:.1}×", a50.as_secs_f64() / b50.as_secs_f64().max(1e-9)),
            if self.differed { "NO" } else { "yes" }.to_owned(),
        ]
    }
}

pub async fn run(options: &ReceiveOptions) -> anyhow::Result<()> {
    let path = sequential_trace(&options.trace);
    let trace = Trace::load(&path).with_context(|| format!("load {}", path.display()))?;
    let mut table = Table::new(
        &format!(
            "Incoming sync messages by history length ({} trace, {} rounds each, the two ways \
             taking turns)",
            options.trace, options.rounds
        ),
        &COLUMNS,
    );
    for &history in &options.histories {
        let history = history.min(trace.txns.len());
        let mut prefix = trace.clone();
        prefix.txns.truncate(history);
        let doc = tokio::task::spawn_blocking(move || replay_local(&prefix, 1)).await??;
        let rows = tokio::task::spawn_blocking({
            let (rounds, queued) = (options.rounds, options.queued);
            move || measure(doc, history, rounds, queued)
        })
        .await??;
        for row in rows {
            table.row(row);
        }
    }
    table.note(&format!(
        "same result: both ways leave the same document and the same sync state (compared on \
         copies in the first {COMPARED_ROUNDS} rounds)"
    ));
    table.print();
    Ok(())
}

/// Rounds of the four arrivals on `doc`; one row per kind.
fn measure(
    doc: Automerge,
    history: usize,
    rounds: usize,
    queued: usize,
) -> anyhow::Result<Vec<Vec<String>>> {
    let mut server = doc;
    let mut peer = server.fork();
    let (mut server_state, mut peer_state) = (State::new(), State::new());
    settle(&mut server, &mut server_state, &mut peer, &mut peer_state)?;
    let [mut keystroke, mut acknowledgement, mut crossing, mut queue] =
        std::array::from_fn(|_| Timings::default());
    for round in 0..rounds {
        // Comparing the two needs copies of the document, which take longer than the
        // messages: the first rounds are enough to show that both agree.
        let compare = round < COMPARED_ROUNDS;
        let way = if round % 2 == 0 {
            Way::Automerge
        } else {
            Way::Agora
        };
        // A keystroke from the peer, which has all the server has.
        let message = type_one(&mut peer, &mut peer_state)?;
        keystroke.receive(way, compare, &mut server, &mut server_state, vec![message])?;
        settle(&mut server, &mut server_state, &mut peer, &mut peer_state)?;

        // The peer acknowledges a change the server passes on.
        let change = type_one(&mut server, &mut server_state)?;
        apply_sync_message(&mut peer, &mut peer_state, change)?;
        let message = peer
            .generate_sync_message(&mut peer_state)
            .context("no acknowledgement")?;
        acknowledgement.receive(way, compare, &mut server, &mut server_state, vec![message])?;
        settle(&mut server, &mut server_state, &mut peer, &mut peer_state)?;

        // Both type; the peer's keystroke crosses the server's on the way.
        let on_the_way = type_one(&mut server, &mut server_state)?;
        let message = type_one(&mut peer, &mut peer_state)?;
        crossing.receive(way, compare, &mut server, &mut server_state, vec![message])?;
        apply_sync_message(&mut peer, &mut peer_state, on_the_way)?;
        settle(&mut server, &mut server_state, &mut peer, &mut peer_state)?;

        // The peer types on while the server is busy; its messages wait in the queue.
        let messages = (0..queued)
            .map(|_| type_one(&mut peer, &mut peer_state))
            .collect::<anyhow::Result<Vec<_>>>()?;
        queue.receive(way, compare, &mut server, &mut server_state, messages)?;
        settle(&mut server, &mut server_state, &mut peer, &mut peer_state)?;
    }
    anyhow::ensure!(
        server.get_heads() == peer.get_heads(),
        "the peer and the server differ after the rounds"
    );
    Ok(vec![
        keystroke.row(history, "keystroke from an up-to-date peer"),
        acknowledgement.row(history, "acknowledgement of a change passed on"),
        crossing.row(history, "keystroke crossing one of ours"),
        queue.row(
            history,
            &format!("{queued} keystrokes queued up, one message each"),
        ),
    ])
}

/// Whether both ways make the same of `messages`, each on its own copy (outside the timing).
fn both_agree(server: &Automerge, state: &State, messages: &[Message]) -> anyhow::Result<bool> {
    let (mut by_automerge, mut automerge_state) = (server.clone(), state.clone());
    Way::Automerge.receive(&mut by_automerge, &mut automerge_state, messages.to_vec())?;
    let (mut by_agora, mut agora_state) = (server.clone(), state.clone());
    Way::Agora.receive(&mut by_agora, &mut agora_state, messages.to_vec())?;
    Ok(agora_state == automerge_state && by_agora.get_heads() == by_automerge.get_heads())
}

/// One character typed at the end of the document's text, as its own change; returns the
/// sync message that carries it to the other side.
fn type_one(doc: &mut Automerge, state: &mut State) -> anyhow::Result<Message> {
    let text = text_object(doc).context("the document has no text")?;
    let end = doc.length(&text);
    doc.transact::<_, _, AutomergeError>(|tx| tx.splice_text(&text, end, 0, "x"))
        .map_err(|failure| failure.error)?;
    doc.generate_sync_message(state)
        .context("no message for a new change")
}

/// Exchanges messages until neither side has any.
fn settle(
    server: &mut Automerge,
    server_state: &mut State,
    peer: &mut Automerge,
    peer_state: &mut State,
) -> anyhow::Result<()> {
    for _ in 0..20 {
        let to_server = peer.generate_sync_message(peer_state);
        let quiet = to_server.is_none();
        if let Some(message) = to_server {
            apply_sync_message(server, server_state, message)?;
        }
        match server.generate_sync_message(server_state) {
            Some(message) => apply_sync_message(peer, peer_state, message)?,
            None if quiet => return Ok(()),
            None => {}
        }
    }
    anyhow::bail!("the peer and the server did not settle")
}
