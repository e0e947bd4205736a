//! What open connections hear when access changes, so a revoked reader stops reading at once.

use agora_schema::DocumentId;

use super::{AccountId, OrganisationId};

#[derive(Debug, Clone, PartialEq)]
pub enum AccessChange {
    /// Grants on one document changed.
    Document(DocumentId),
    /// Something about one account changed: its sessions or tokens, memberships or teams.
    Account(AccountId),
    /// An organisation's roles changed (an admin was added or removed): every document of it.
    Organisation(OrganisationId),
}
