//! A Rust client for Agora's sync endpoint, speaking the automerge-repo WebSocket protocol "1"
//! (the npm `@automerge/automerge-repo` 2.5.x wire format) through `agora_schema`'s codec.
//!
//! Layout:
//! - `client`: `Client`, one connection; `connect`, `create`, `find`, `close`.
//! - `options`: `ClientOptions`: peer id, reconnecting, timeouts.
//! - `handle`: `DocHandle`, reading, changing and watching one document.
//! - `document`: the state of one open document shared by handles and the connection task.
//! - `shared`: what handles and the connection task share, and how they wake each other.
//! - `connection`: the task that owns the socket: sync loop, ephemeral relay, reconnecting.
//! - `handshake`: opening a socket and `join` → `peer`.
//! - `ephemeral`: dropping ephemeral messages already seen.
//! - `trace`: editing traces: parse, convert positions to UTF-16, replay onto a document.
//! - `error`: `ClientError`, the one error type.
//!
//! Documents index text by UTF-16 code units, as the browser does.

mod client;
mod connection;
mod document;
mod ephemeral;
mod error;
mod handle;
mod handshake;
mod options;
pub mod search;
mod shared;
pub mod trace;

pub use agora_schema::{DocumentId, PeerId};
pub use client::Client;
pub use document::{new_text_document, TEXT_KEY};
pub use error::ClientError;
pub use handle::{text_object, DocHandle};
pub use options::ClientOptions;
