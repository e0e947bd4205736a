//! `Client`: one WebSocket connection to a sync server, and the documents opened through it.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agora_schema::{DocumentId, PeerId};
use tokio::task::JoinHandle;

use crate::document::{new_automerge, new_text_document, Availability, DocState};
use crate::handle::DocHandle;
use crate::handshake::connect_and_join;
use crate::shared::{lock, Shared, Status};
use crate::{connection, ClientError, ClientOptions};

/// How long `close` waits for the connection task to say goodbye.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// A connection to a sync server. Cheap to clone; the connection ends when `close` is called or
/// the last clone (and the last `DocHandle`) is dropped.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    shared: Arc<Shared>,
    /// The connection task; taken by the first `close`.
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for ClientInner {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
    }
}

impl Client {
    /// Connects to `url` (e.g. `ws://127.0.0.1:8080/sync`) with default options.
    pub async fn connect(url: &str) -> Result<Client, ClientError> {
        Self::connect_with(url, ClientOptions::default()).await
    }

    /// Connects and joins. The first connection is not retried: a wrong URL or a refusing
    /// server fails here, clearly, instead of looping in the background.
    pub async fn connect_with(url: &str, options: ClientOptions) -> Result<Client, ClientError> {
        let peer_id = options
            .peer_id
            .clone()
            .unwrap_or_else(|| PeerId::random("agora-client"));
        let joined = connect_and_join(
            url,
            options.token.as_deref(),
            &peer_id,
            options.connect_timeout,
        )
        .await?;
        let (shared, ephemeral_rx) = Shared::new(
            url.to_owned(),
            peer_id,
            joined.server_peer_id.clone(),
            options,
        );
        let task = tokio::spawn(connection::run(shared.clone(), joined, ephemeral_rx));
        Ok(Client {
            inner: Arc::new(ClientInner {
                shared,
                task: Mutex::new(Some(task)),
            }),
        })
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    pub fn peer_id(&self) -> &PeerId {
        &self.inner.shared.peer_id
    }

    /// The server's peer id from the latest handshake.
    pub fn server_peer_id(&self) -> PeerId {
        self.inner.shared.server_peer_id()
    }

    pub fn is_connected(&self) -> bool {
        *self.inner.shared.status.borrow() == Status::Connected
    }

    /// Protocol messages sent to the server so far (every session of this connection).
    pub fn messages_sent(&self) -> u64 {
        self.inner.shared.messages_sent.load(Ordering::Relaxed)
    }

    /// Protocol messages received from the server so far (every session of this connection).
    pub fn messages_received(&self) -> u64 {
        self.inner.shared.messages_received.load(Ordering::Relaxed)
    }

    /// The message of the last `error` frame the server sent, if any.
    pub fn last_server_error(&self) -> Option<String> {
        self.inner.shared.last_server_error()
    }

    /// Creates a document with a new random id whose first change makes the empty root text,
    /// and starts syncing it. Use `DocHandle::wait_synced` to know the server has it.
    pub async fn create(&self) -> Result<DocHandle, ClientError> {
        self.ensure_open()?;
        let id = DocumentId::random();
        let (state, _) = self
            .shared()
            .open_doc(id, || DocState::new(id, new_text_document()));
        self.shared().mark_dirty(id);
        Ok(DocHandle::new(state, self.clone()))
    }

    /// Opens a document from the server: resolves once it has arrived, fails with
    /// `Unavailable` when the server says it has no such document (or will not share it).
    pub async fn find(&self, id: DocumentId) -> Result<DocHandle, ClientError> {
        self.ensure_open()?;
        let shared = self.shared();
        let (state, made) = shared.open_doc(id, || DocState::new(id, new_automerge()));
        if made {
            shared.mark_dirty(id);
        }
        let timeout = shared.options.find_timeout;
        let outcome = tokio::time::timeout(timeout, self.wait_available(&state)).await;
        let result = match outcome {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout {
                after: timeout,
                what: "the document to arrive",
            }),
        };
        match result {
            Ok(()) => Ok(DocHandle::new(state, self.clone())),
            Err(error) => {
                // Nothing arrived, so there is nothing to keep; a later `find` asks afresh.
                if made {
                    shared.forget_doc(&id);
                }
                Err(error)
            }
        }
    }

    async fn wait_available(&self, state: &DocState) -> Result<(), ClientError> {
        let mut availability = state.availability.subscribe();
        let mut status = self.shared().status.subscribe();
        loop {
            match *availability.borrow_and_update() {
                Availability::Ready => return Ok(()),
                Availability::Unavailable => return Err(ClientError::Unavailable(state.id)),
                Availability::Waiting => {}
            }
            if *status.borrow_and_update() == Status::Closed {
                return Err(ClientError::Closed);
            }
            tokio::select! {
                changed = availability.changed() => changed.map_err(|_| ClientError::Closed)?,
                changed = status.changed() => changed.map_err(|_| ClientError::Closed)?,
            }
        }
    }

    fn ensure_open(&self) -> Result<(), ClientError> {
        match *self.shared().status.borrow() {
            Status::Closed => Err(ClientError::Closed),
            Status::Connected | Status::Reconnecting => Ok(()),
        }
    }

    /// Closes the connection (no reconnect) and waits briefly for the task to end. Documents
    /// stay readable and changeable locally.
    pub async fn close(&self) {
        self.inner.shared.shutdown.send_replace(true);
        let task = lock(&self.inner.task).take();
        if let Some(task) = task {
            let _ = tokio::time::timeout(CLOSE_GRACE, task).await;
        }
        self.inner.shared.status.send_replace(Status::Closed);
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.inner.shared.url)
            .field("peer_id", &self.inner.shared.peer_id)
            .finish()
    }
}
