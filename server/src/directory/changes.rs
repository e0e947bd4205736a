//! What open connections hear when access changes, so a revoked reader stops reading at once.
//! On PostgreSQL the same notices reach every other instance, as text on [`ACCESS_CHANNEL`].

use std::fmt;
use std::str::FromStr;

use agora_schema::DocumentId;

use super::{AccountId, OrganisationId};

/// The PostgreSQL channel that carries access changes between instances.
pub const ACCESS_CHANNEL: &str = "agora_access";

#[derive(Debug, Clone, PartialEq)]
pub enum AccessChange {
    /// Grants on one document changed.
    Document(DocumentId),
    /// Something about one account changed: its sessions or tokens, memberships or teams.
    Account(AccountId),
    /// An organisation's roles changed (an admin was added or removed): every document of it.
    Organisation(OrganisationId),
    /// Notices may have been missed (the instance lost its link to the other instances for a
    /// while): every connection checks all it holds.
    Everything,
}

impl fmt::Display for AccessChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Document(id) => write!(f, "document:{id}"),
            Self::Account(id) => write!(f, "account:{id}"),
            Self::Organisation(id) => write!(f, "organisation:{id}"),
            Self::Everything => f.write_str("everything"),
        }
    }
}

impl FromStr for AccessChange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("not an access change: {text:?}");
        if text == "everything" {
            return Ok(Self::Everything);
        }
        let (kind, id) = text.split_once(':').ok_or_else(bad)?;
        match kind {
            "document" => Ok(Self::Document(id.parse().map_err(|_| bad())?)),
            "account" => Ok(Self::Account(AccountId(id.parse().map_err(|_| bad())?))),
            "organisation" => Ok(Self::Organisation(OrganisationId(
                id.parse().map_err(|_| bad())?,
            ))),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_back_as_written_and_nonsense_is_refused() {
        for change in [
            AccessChange::Document(DocumentId::random()),
            AccessChange::Account(AccountId(7)),
            AccessChange::Organisation(OrganisationId(-3)),
            AccessChange::Everything,
        ] {
            assert_eq!(change.to_string().parse::<AccessChange>(), Ok(change));
        }
        for nonsense in [
            "",
            "account",
            "account:x",
            "team:1",
            "document:nope",
            "everything:1",
        ] {
            assert!(nonsense.parse::<AccessChange>().is_err(), "{nonsense}");
        }
    }
}
