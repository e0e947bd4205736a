//! Identifiers: document ids exactly as automerge-repo writes them, and peer ids.

use std::fmt;
use std::str::FromStr;

/// A document id: 16 random bytes, written as bs58check (base58 with a 4-byte double-SHA-256
/// checksum), e.g. `3nXBsJCGGTmtwfc3JGzExMECCGuK`. The same string identifies the document in
/// `automerge:<id>` URLs, on the wire and in the store.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DocumentIdError {
    #[error("a document id is bs58check text, and this is not")]
    NotBs58Check,
    #[error("a document id holds 16 bytes, this one holds {0}")]
    WrongLength(usize),
}

impl DocumentId {
    /// A new random id (a UUID v4, as automerge-repo makes them).
    pub fn random() -> Self {
        Self(*uuid::Uuid::new_v4().as_bytes())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DocumentIdError> {
        let bytes: [u8; 16] = bytes
            .try_into()
            .map_err(|_| DocumentIdError::WrongLength(bytes.len()))?;
        Ok(Self(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The `automerge:` URL the npm client and the browser use.
    pub fn url(&self) -> String {
        format!("automerge:{self}")
    }

    /// Accepts a bare id or an `automerge:` URL (heads after `#` are ignored).
    pub fn parse_url_or_id(text: &str) -> Result<Self, DocumentIdError> {
        let id = text.strip_prefix("automerge:").unwrap_or(text);
        let id = id.split('#').next().unwrap_or(id);
        id.parse()
    }
}

impl FromStr for DocumentId {
    type Err = DocumentIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // 16 bytes + 4 checksum bytes never need more than 28 base58 digits; refusing longer
        // input early keeps hostile ids cheap.
        if text.is_empty() || text.len() > 40 {
            return Err(DocumentIdError::NotBs58Check);
        }
        let bytes = bs58::decode(text)
            .with_check(None)
            .into_vec()
            .map_err(|_| DocumentIdError::NotBs58Check)?;
        Self::from_bytes(&bytes)
    }
}

/// Written as its bs58check text, as in URLs and on the wire.
impl serde::Serialize for DocumentId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl TryFrom<String> for DocumentId {
    type Error = DocumentIdError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

/// A peer id as chosen by the peer (`peer-<random>` in the npm client). It is only a routing
/// label: the server never trusts it for identity.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(String);

impl PeerId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fresh random peer id, `<prefix>-<hex>`.
    pub fn random(prefix: &str) -> Self {
        let bytes = uuid::Uuid::new_v4();
        Self(format!("{prefix}-{}", &bytes.simple().to_string()[..12]))
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let id = DocumentId::random();
        let text = id.to_string();
        assert!((26..=28).contains(&text.len()), "{text}");
        assert_eq!(text.parse::<DocumentId>().unwrap(), id);
        assert_eq!(DocumentId::parse_url_or_id(&id.url()).unwrap(), id);
    }

    #[test]
    fn reads_an_id_written_by_automerge_repo() {
        // From a trace of the npm client 2.5.6.
        let id: DocumentId = "3nXBsJCGGTmtwfc3JGzExMECCGuK".parse().unwrap();
        assert_eq!(id.to_string(), "3nXBsJCGGTmtwfc3JGzExMECCGuK");
    }

    #[test]
    fn refuses_bad_ids() {
        for bad in ["", "0OIl", "3nXBsJCGGTmtwfc3JGzExMECCGuL", &"1".repeat(500)] {
            assert!(bad.parse::<DocumentId>().is_err(), "{bad}");
        }
        // Valid bs58check, wrong length.
        let short = bs58::encode([1u8, 2, 3]).with_check().into_string();
        assert_eq!(
            short.parse::<DocumentId>(),
            Err(DocumentIdError::WrongLength(3))
        );
    }
}
