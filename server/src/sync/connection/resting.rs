//! Connections at rest. A connection whose peer has been quiet for `rest_after` gives up its
//! task: its state waits here, with a waker left at its socket and its outbox, until the first
//! of these wakes it: the peer sends something or leaves, a frame or a kick is queued for it, its
//! next ping is due, an access change may concern it, or the server shuts down. Then it is served
//! in a new task, as before.
//!
//! Most connections are idle most of the time; at rest one holds its state and the socket's
//! registration, not a task laid out for the serving loop and all its waits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::broadcast;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::PeerConnection;
use crate::directory::AccessChange;
use crate::metrics::{metrics, GaugeGuard};
use crate::sync::actor::ConnectionId;
use crate::websocket::WebSocket;

/// How often the watcher looks for pings that are due, as a share of the ping period.
const PING_CHECKS_PER_PERIOD: u32 = 4;
/// The watcher looks at least this far apart.
const MIN_PING_CHECK: Duration = Duration::from_millis(10);

/// The connections at rest on this server.
pub struct RestingConnections {
    resting: Mutex<HashMap<ConnectionId, Arc<Sleeper>>>,
    /// Where a woken connection's new task runs; a waker may be called from any thread.
    runtime: Handle,
}

/// One resting connection. Whichever waker comes first takes its state and serves it again;
/// the others then find nothing to do.
struct Sleeper {
    /// When the connection's next ping is due.
    ping_due: Instant,
    /// In the same allocation: one fewer for each resting connection.
    state: Mutex<Option<Asleep>>,
}

struct Asleep {
    peer: PeerConnection,
    socket: WebSocket,
    _counted: GaugeGuard,
}

impl RestingConnections {
    /// Call inside the runtime that serves the connections.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            resting: Mutex::default(),
            runtime: Handle::current(),
        })
    }

    fn resting(&self) -> MutexGuard<'_, HashMap<ConnectionId, Arc<Sleeper>>> {
        self.resting.lock().expect("resting connections lock")
    }

    /// Connections at rest now.
    pub fn count(&self) -> usize {
        self.resting().len()
    }

    /// Wakes resting connections whose ping is due, or that an access change may concern, and
    /// every one once the server shuts down; then it ends.
    pub async fn watch(
        self: Arc<Self>,
        mut changes: broadcast::Receiver<AccessChange>,
        shutdown: CancellationToken,
        ping_every: Duration,
    ) {
        let period = (ping_every / PING_CHECKS_PER_PERIOD).max(MIN_PING_CHECK);
        let mut checks = tokio::time::interval(period);
        checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut listening = true;
        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => {
                    // A connection that goes to rest from now on sees the cancellation itself.
                    self.wake_where(|_| true);
                    return;
                }
                change = changes.recv(), if listening => match change {
                    Ok(change) => self.wake_where(|peer| peer.concerned_by(&change)),
                    // Changes went by unseen here. A resting connection's own receiver holds
                    // them, or missed them too and has it check everything it holds.
                    Err(broadcast::error::RecvError::Lagged(_)) => self.wake_where(|_| true),
                    // No more changes can come; pings and the shutdown still can.
                    Err(broadcast::error::RecvError::Closed) => listening = false,
                },
                _ = checks.tick() => {
                    let now = Instant::now();
                    let due: Vec<Arc<Sleeper>> = self
                        .resting()
                        .values()
                        .filter(|sleeper| sleeper.ping_due <= now)
                        .cloned()
                        .collect();
                    due.iter().for_each(Wake::wake_by_ref);
                }
            }
        }
    }

    /// Wakes the resting connections whose state passes `test`.
    fn wake_where(&self, test: impl Fn(&PeerConnection) -> bool) {
        let sleepers: Vec<Arc<Sleeper>> = self.resting().values().cloned().collect();
        for sleeper in sleepers {
            let wanted = sleeper
                .state()
                .as_ref()
                .is_some_and(|asleep| test(&asleep.peer));
            if wanted {
                sleeper.wake_by_ref();
            }
        }
    }
}

impl Sleeper {
    fn state(&self) -> MutexGuard<'_, Option<Asleep>> {
        self.state.lock().expect("resting connection lock")
    }
}

impl Wake for Sleeper {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Some(asleep) = self.state().take() else {
            return;
        };
        let Asleep { peer, socket, .. } = asleep;
        let resting = peer.hub.resting.clone();
        resting.resting().remove(&peer.connection);
        resting.runtime.spawn(peer.run(socket));
    }
}

/// Lets the connection rest: its task may end once this returns. If something is waiting for
/// it already, it is woken at once.
pub(super) fn rest(peer: PeerConnection, socket: WebSocket) {
    let hub = peer.hub.clone();
    let connection = peer.connection;
    let sleeper = Arc::new(Sleeper {
        ping_due: peer.ping_due,
        state: Mutex::new(None),
    });
    let waker = Waker::from(sleeper.clone());
    // The state is locked until every waker is in place: a wake meanwhile, from another
    // thread, waits for it and then finds it whole.
    let mut state = sleeper.state();
    let asleep = state.insert(Asleep {
        peer,
        socket,
        _counted: GaugeGuard::new(&metrics().resting_connections),
    });
    hub.resting.resting().insert(connection, sleeper.clone());
    // After the insertion: the watcher wakes every resting connection once the shutdown is
    // signalled, and a connection inserted after that sees the signal here.
    let awake = asleep.peer.outbox.rest(&waker)
        || !asleep.peer.changes.is_empty()
        || hub.shutdown.is_cancelled()
        || asleep.socket.poll_rest(&mut Context::from_waker(&waker));
    drop(state);
    if awake {
        sleeper.wake_by_ref();
    }
}
