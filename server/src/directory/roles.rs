//! Roles, matched exhaustively wherever a permission is decided.

use std::fmt;
use std::str::FromStr;

/// A member's role in an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgRole {
    /// Manages members, teams and invitations, and owns every document of the organisation.
    Admin,
    /// Creates documents and sees what is shared with them or their teams.
    Member,
}

/// A role on one document, from least to most; `Ord` follows that order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DocRole {
    Reader,
    /// Reads, and writes comments (which live in their own documents), never the text.
    Commenter,
    Editor,
    /// Edits and decides who else has access.
    Owner,
}

impl DocRole {
    pub const ALL: [DocRole; 4] = [Self::Reader, Self::Commenter, Self::Editor, Self::Owner];

    /// May change the document's content.
    pub fn can_edit(self) -> bool {
        match self {
            Self::Reader | Self::Commenter => false,
            Self::Editor | Self::Owner => true,
        }
    }

    /// May grant, change and revoke access.
    pub fn can_share(self) -> bool {
        match self {
            Self::Reader | Self::Commenter | Self::Editor => false,
            Self::Owner => true,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Commenter => "commenter",
            Self::Editor => "editor",
            Self::Owner => "owner",
        }
    }
}

impl OrgRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(String);

impl FromStr for DocRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "reader" => Ok(Self::Reader),
            "commenter" => Ok(Self::Commenter),
            "editor" => Ok(Self::Editor),
            "owner" => Ok(Self::Owner),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

impl FromStr for OrgRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

impl fmt::Display for DocRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
