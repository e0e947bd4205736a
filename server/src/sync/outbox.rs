//! A connection's outbox: the frames document actors (and the connection itself) queue for the
//! peer, and the request to close it, with the reason the peer is told.
//!
//! One small allocation per connection, shared by the connection task and the actors of the
//! documents it has open. The queue holds no memory while empty, which is most of the time: an
//! idle connection should cost as little as possible.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;

use tokio::sync::Notify;

use super::close_code;

/// Queue capacity kept after the queue empties; a burst's larger buffer is given back.
const KEPT_CAPACITY: usize = 8;

/// Why a frame was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The peer has `send_queue` frames it has not read yet: it is lagging.
    Full,
    /// The connection is closing or gone.
    Closed,
}

pub struct Outbox {
    state: Mutex<State>,
    /// Wakes the connection task: a frame was queued, or the connection must close.
    wake: Notify,
    /// Frames queued before the peer counts as lagging.
    capacity: usize,
}

#[derive(Default)]
struct State {
    frames: VecDeque<Vec<u8>>,
    /// Why the connection must close, with the close code (the first reason wins).
    kicked: Option<(String, u16)>,
    /// The connection has ended: nothing more is queued.
    closed: bool,
    /// Wakes the connection while it rests without a task; taken by the first frame or kick.
    resting: Option<Waker>,
}

impl Outbox {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::default(),
            wake: Notify::new(),
            capacity,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("outbox lock")
    }

    /// Whether a frame may be queued now.
    pub fn room(&self) -> Result<(), Refused> {
        let state = self.state();
        if state.closed || state.kicked.is_some() {
            Err(Refused::Closed)
        } else if state.frames.len() >= self.capacity {
            Err(Refused::Full)
        } else {
            Ok(())
        }
    }

    /// Queues a frame if there is room; for frames that may be dropped or sent again later.
    pub fn try_send(&self, frame: Vec<u8>) -> Result<(), Refused> {
        self.room()?;
        self.push(frame);
        Ok(())
    }

    /// Queues a frame whatever the queue holds: for a frame `room` found room for (another
    /// document may have queued one since, so the queue can pass its capacity by one frame per
    /// document sending at that moment), and for the connection's own answers.
    pub fn push(&self, frame: Vec<u8>) {
        let mut state = self.state();
        if state.closed {
            return;
        }
        state.frames.push_back(frame);
        self.wake_connection(state);
    }

    /// Closes the connection for a reason that is not the peer's fault.
    pub fn kick(&self, reason: impl Into<String>) {
        self.kick_with_code(reason, close_code::TRY_AGAIN_LATER);
    }

    /// Closes the connection, telling the peer why; nothing more is queued, and the connection
    /// sends nothing of what was.
    pub fn kick_with_code(&self, reason: impl Into<String>, code: u16) {
        let mut state = self.state();
        if state.kicked.is_none() && !state.closed {
            state.kicked = Some((reason.into(), code));
        }
        self.wake_connection(state);
    }

    /// Wakes the connection after a change to `state`: its task if it runs, or the connection
    /// itself if it rests. The lock is let go first, as the waker may take it again.
    fn wake_connection(&self, mut state: MutexGuard<'_, State>) {
        let resting = state.resting.take();
        drop(state);
        self.wake.notify_one();
        if let Some(waker) = resting {
            waker.wake();
        }
    }

    /// The reason and close code, once kicked.
    pub fn kicked(&self) -> Option<(String, u16)> {
        self.state().kicked.clone()
    }

    /// Frames queued before the peer counts as lagging.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether a frame or a kick waits for the connection task.
    pub fn has_news(&self) -> bool {
        let state = self.state();
        state.kicked.is_some() || !state.frames.is_empty()
    }

    /// The next frame to send, oldest first.
    pub fn pop(&self) -> Option<Vec<u8>> {
        let mut state = self.state();
        let frame = state.frames.pop_front();
        if state.frames.is_empty() && state.frames.capacity() > KEPT_CAPACITY {
            state.frames = VecDeque::new();
        }
        frame
    }

    /// Leaves a waker for the connection, which rests without a task: the next frame or kick
    /// wakes it. Returns true, and keeps no waker, when one is waiting already.
    pub fn rest(&self, waker: &Waker) -> bool {
        let mut state = self.state();
        if state.kicked.is_some() || !state.frames.is_empty() {
            return true;
        }
        state.resting = Some(waker.clone());
        false
    }

    /// Resolves when something was queued or a kick came since the last call.
    pub async fn ready(&self) {
        self.wake.notified().await;
    }

    /// The connection has ended: queued frames are dropped and senders see `Closed`.
    pub fn close(&self) {
        let mut state = self.state();
        state.closed = true;
        state.frames = VecDeque::new();
        state.resting = None;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;

    #[test]
    fn frames_come_out_in_order_and_a_full_queue_refuses_more() {
        let outbox = Outbox::new(2);
        outbox.try_send(vec![1]).unwrap();
        outbox.try_send(vec![2]).unwrap();
        assert_eq!(outbox.try_send(vec![3]), Err(Refused::Full));
        assert_eq!(outbox.room(), Err(Refused::Full));
        // A frame whose room was found earlier still goes in.
        outbox.push(vec![3]);
        assert_eq!(outbox.state().frames.len(), 3);
        assert_eq!(outbox.pop(), Some(vec![1]));
        assert_eq!(outbox.pop(), Some(vec![2]));
        assert_eq!(outbox.pop(), Some(vec![3]));
        assert_eq!(outbox.pop(), None);
        assert_eq!(outbox.room(), Ok(()));
    }

    #[test]
    fn the_first_kick_wins_and_nothing_more_is_queued() {
        let outbox = Outbox::new(4);
        outbox.kick_with_code("first", close_code::POLICY_VIOLATION);
        outbox.kick("second");
        assert_eq!(
            outbox.kicked(),
            Some(("first".to_owned(), close_code::POLICY_VIOLATION))
        );
        assert_eq!(outbox.try_send(vec![2]), Err(Refused::Closed));
        assert_eq!(outbox.room(), Err(Refused::Closed));
    }

    #[test]
    fn a_closed_outbox_takes_nothing_and_a_late_kick_changes_nothing() {
        let outbox = Outbox::new(4);
        outbox.push(vec![1]);
        outbox.close();
        outbox.push(vec![2]);
        outbox.kick("too late");
        assert_eq!(outbox.pop(), None);
        assert_eq!(outbox.kicked(), None);
        assert_eq!(outbox.room(), Err(Refused::Closed));
    }

    #[test]
    fn a_burst_gives_its_buffer_back_once_sent() {
        let outbox = Outbox::new(1000);
        for i in 0..100u8 {
            outbox.push(vec![i]);
        }
        while outbox.pop().is_some() {}
        assert!(outbox.state().frames.capacity() <= KEPT_CAPACITY);
    }

    #[test]
    fn news_is_a_queued_frame_or_a_kick() {
        let outbox = Outbox::new(4);
        assert!(!outbox.has_news());
        outbox.push(vec![1]);
        assert!(outbox.has_news());
        outbox.pop();
        assert!(!outbox.has_news());
        outbox.kick("go");
        assert!(outbox.has_news());
    }

    /// Counts its wakes.
    #[derive(Default)]
    struct WakeCount(AtomicUsize);

    impl Wake for WakeCount {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_resting_connection_is_woken_once_by_a_frame_or_a_kick() {
        let outbox = Outbox::new(4);
        let count = Arc::new(WakeCount::default());
        let waker = Waker::from(count.clone());
        assert!(!outbox.rest(&waker));
        outbox.push(vec![1]);
        outbox.push(vec![2]);
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "woken once, then the waker is gone"
        );
        assert!(outbox.rest(&waker), "frames wait: no rest");
        while outbox.pop().is_some() {}

        assert!(!outbox.rest(&waker));
        outbox.kick("go");
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert!(outbox.rest(&waker), "a kick waits: no rest");

        // A closed outbox lets its waker go.
        let outbox = Outbox::new(4);
        assert!(!outbox.rest(&waker));
        outbox.close();
        assert!(outbox.state().resting.is_none());
    }

    #[tokio::test]
    async fn a_frame_queued_before_waiting_is_not_missed() {
        let outbox = Outbox::new(4);
        outbox.push(vec![1]);
        tokio::time::timeout(std::time::Duration::from_secs(5), outbox.ready())
            .await
            .expect("the queued frame wakes the connection");
    }
}
