//! The language Agora's server and clients share. Kept light: no IO, no runtime, no database driver.
//!
//! Layout:
//! - `ids`: document ids as automerge-repo encodes them (bs58check of 16 bytes), peer ids.
//! - `wire`: the automerge-repo WebSocket protocol "1" messages, as typed values.
//! - `codec`: bytes in, messages out (and back); pure, so it can be tested and fuzzed alone.
//! - `sync_message`: applying automerge sync messages without walking the whole history, and
//!   several at once with one application of their changes.
//! - `migrations/` (beside `src/`): the SQL schema of each storage backend.

pub mod codec;
pub mod ids;
pub mod sync_message;
pub mod wire;

pub use codec::{decode, encode, DecodeError};
pub use ids::{DocumentId, DocumentIdError, PeerId};
pub use sync_message::{apply_sync_message, apply_sync_messages, SyncStates};
pub use wire::{
    DocumentMessage, EphemeralMessage, JoinMessage, Message, PeerMessage, PeerMetadata,
    PROTOCOL_VERSION,
};
