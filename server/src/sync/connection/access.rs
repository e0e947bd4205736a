//! The access side of a connection: the account's role on each document it asks for, the
//! documents it creates by offering them, and access changes applied while it is open.

use agora_schema::DocumentId;
use tokio::sync::broadcast;

use super::{refused, Ending, PeerConnection};
use crate::auth::credential_is_live;
use crate::directory::{AccessChange, DirectoryError, DocRole, NewDocument};
use crate::sync::actor::DocumentCommand;
use crate::sync::close_code;

impl PeerConnection {
    /// The account's role on a document, from the cache or the directory. A `sync` that offers
    /// content (`creating`: its data) for an id nobody has registered creates the document,
    /// owned by the account, in its home organisation.
    pub(super) async fn role(
        &mut self,
        id: DocumentId,
        creating: Option<&[u8]>,
    ) -> Result<Option<DocRole>, Ending> {
        if let Some(role) = self.roles.get(&id) {
            return Ok(*role);
        }
        let directory = &self.hub.directory;
        let account = &self.principal.account;
        let mut role = directory
            .document_role(account.account_id, id)
            .await
            .map_err(access_unavailable)?;
        if role.is_none() {
            if let Some(data) = creating {
                role = self.create_document(id, data).await?;
            }
        }
        // Denials are cached too, but never without bound: a peer may ask for any id.
        if self.roles.len() >= 2 * self.hub.limits.max_documents_per_connection {
            self.roles.retain(|_, role| role.is_some());
            self.denied_requests.clear();
        }
        self.roles.insert(id, role);
        if let Some(role) = role {
            self.record_use(id, role).await;
        }
        Ok(role)
    }

    async fn create_document(
        &self,
        id: DocumentId,
        data: &[u8],
    ) -> Result<Option<DocRole>, Ending> {
        // A peer offers a new document by syncing its heads (the changes follow once we ask).
        let offers_content =
            automerge::sync::Message::decode(data).is_ok_and(|m| !m.heads.is_empty());
        if !offers_content {
            return Ok(None);
        }
        let directory = &self.hub.directory;
        let account = &self.principal.account;
        // A stored document without an owner is never claimed by whoever names it first.
        let taken = directory
            .document_info(id)
            .await
            .map_err(access_unavailable)?
            .is_some()
            || self.hub.store.contains(id).await.unwrap_or(true);
        if taken {
            return Ok(None);
        }
        let Some(organisation) = directory
            .home_organisation(account.account_id)
            .await
            .map_err(access_unavailable)?
        else {
            return Ok(None);
        };
        let new = NewDocument {
            id,
            organisation,
            title: "",
            language: None,
        };
        match directory.create_document(new, account).await {
            Ok(_) => Ok(Some(DocRole::Owner)),
            // Created a moment ago by another connection: whatever role we got there counts.
            Err(DirectoryError::Conflict) => directory
                .document_role(account.account_id, id)
                .await
                .map_err(access_unavailable),
            Err(error) => Err(access_unavailable(error)),
        }
    }

    /// Records the first use of a document on this connection, with the role it was used in.
    async fn record_use(&self, id: DocumentId, role: DocRole) {
        let via = self.principal.credential.describe();
        let recorded = self
            .hub
            .directory
            .record_opened(&self.principal.account, id, role, &via)
            .await;
        if let Err(error) = recorded {
            tracing::warn!(%error, "cannot record a document's use in the audit log");
        }
    }

    /// Whether an access change may concern this connection: a document it holds a role on,
    /// its own account, or anything wider. [`Self::access_changed`] ignores the rest.
    pub(super) fn concerned_by(&self, change: &AccessChange) -> bool {
        match change {
            AccessChange::Document(id) => self.roles.contains_key(id),
            AccessChange::Account(account) => *account == self.principal.account.account_id,
            AccessChange::Organisation(_) | AccessChange::Everything => true,
        }
    }

    /// Applies an access change to this connection: a revoked document is closed with
    /// `doc-unavailable`, a changed role applies to the next message, an ended sign-in closes
    /// the connection.
    pub(super) async fn access_changed(
        &mut self,
        change: Result<AccessChange, broadcast::error::RecvError>,
    ) -> Result<(), Ending> {
        match change {
            Ok(change) if !self.concerned_by(&change) => {}
            Ok(AccessChange::Document(id)) => self.recheck(id).await?,
            Ok(AccessChange::Account(_))
            | Ok(AccessChange::Organisation(_))
            | Ok(AccessChange::Everything)
            | Err(broadcast::error::RecvError::Lagged(_)) => {
                let live = credential_is_live(&self.hub.directory, &self.principal.credential)
                    .await
                    .map_err(access_unavailable)?;
                if !live {
                    return Err(refused(
                        "your sign-in has ended; sign in again",
                        close_code::POLICY_VIOLATION,
                    ));
                }
                let ids: Vec<DocumentId> = self.roles.keys().copied().collect();
                for id in ids {
                    self.recheck(id).await?;
                }
            }
            Err(broadcast::error::RecvError::Closed) => return Err(Ending::Quiet),
        }
        Ok(())
    }

    async fn recheck(&mut self, id: DocumentId) -> Result<(), Ending> {
        let role = self
            .hub
            .directory
            .document_role(self.principal.account.account_id, id)
            .await
            .map_err(access_unavailable)?;
        self.roles.insert(id, role);
        if role.is_some() {
            if let Some(request) = self.denied_requests.remove(&id) {
                return Box::pin(self.route_to_document(id, true, request)).await;
            }
        }
        if role.is_none() && self.documents.remove(&id) {
            let connection = self.connection;
            self.hub
                .documents
                .dispatch(id, DocumentCommand::Leave { connection })
                .await;
            self.send_unavailable(id);
        }
        Ok(())
    }

    /// Applies the access changes that are waiting, without blocking.
    pub(super) async fn apply_pending_access_changes(&mut self) -> Result<(), Ending> {
        loop {
            let change = match self.changes.try_recv() {
                Ok(change) => Ok(change),
                Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                    Err(broadcast::error::RecvError::Lagged(missed))
                }
                Err(_) => return Ok(()),
            };
            self.access_changed(change).await?;
        }
    }
}

fn access_unavailable(error: DirectoryError) -> Ending {
    tracing::error!(%error, "cannot check access");
    refused(
        "the server cannot check access right now; reconnect later",
        close_code::TRY_AGAIN_LATER,
    )
}
