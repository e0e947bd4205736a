//! A cast of people around two organisations, for the access tests: one of each role on one
//! statement of organisation A, an external reviewer from organisation B, someone of B with no
//! access, and the anonymous visitor.

use std::collections::HashMap;
use std::path::Path;

use agora_schema::DocumentId;
use agora_server::directory::{
    Account, DocRole, GrantSubject, InvitationKind, NewAccount, NewInvitation, OrgRole,
    Organisation, Team, TokenId, INVITATION_LIFETIME,
};

use crate::server::TestServer;

/// Everyone the permission tests ask about, from least to most access on the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Anonymous,
    /// A member of organisation B, with no grant.
    OtherOrganisation,
    /// A member of organisation B, invited as commenter onto the statement.
    Reviewer,
    Reader,
    /// Commenter through a team of organisation A.
    Commenter,
    Editor,
    Owner,
    /// Administrator of organisation A (and of the installation).
    Admin,
}

pub const ROLES: [Role; 8] = [
    Role::Anonymous,
    Role::OtherOrganisation,
    Role::Reviewer,
    Role::Reader,
    Role::Commenter,
    Role::Editor,
    Role::Owner,
    Role::Admin,
];

/// Every cast member's password.
pub const PASSWORD: &str = "Gelungene Dienstleistung 2026";

pub struct Person {
    pub account: Account,
    /// A session cookie's value.
    pub session: String,
    pub token: String,
    pub token_id: TokenId,
}

pub struct Cast {
    pub people: HashMap<Role, Person>,
    pub organisation_a: Organisation,
    pub organisation_b: Organisation,
    pub team: Team,
    /// A statement of organisation A that every role but the outsider has a role on.
    pub statement: DocumentId,
    pub statement_text: String,
    /// A statement of organisation B, owned by the outsider.
    pub statement_b: DocumentId,
    /// The reader's grant on the statement.
    pub reader_grant: i64,
    /// An open invitation into organisation A, and its link's secret.
    pub invitation: i64,
    pub invitation_secret: String,
}

impl Cast {
    /// A server on a new data folder (dropped last), with everyone cast on it.
    pub async fn on_new_server() -> (tempfile::TempDir, TestServer, Cast) {
        let data = tempfile::tempdir().expect("a temporary data folder");
        let server = TestServer::start(data.path()).await;
        let cast = Self::assemble(&server).await;
        (data, server, cast)
    }

    /// Casts everyone on a running server.
    pub async fn assemble(server: &TestServer) -> Self {
        let state = &server.state;
        let directory = &state.directory;
        let mut accounts = HashMap::new();
        for (role, email, name, instance_admin) in [
            (
                Role::OtherOrganisation,
                "ole@plejecenter.test",
                "Ole Ørsted",
                false,
            ),
            (
                Role::Reviewer,
                "rikke@plejecenter.test",
                "Rikke Ravn",
                false,
            ),
            (Role::Reader, "lea@wohnverbund.test", "Lea Leser", false),
            (
                Role::Commenter,
                "kai@wohnverbund.test",
                "Kai Kommentar",
                false,
            ),
            (Role::Editor, "eva@wohnverbund.test", "Eva Editor", false),
            (Role::Owner, "olga@wohnverbund.test", "Olga Owner", false),
            (Role::Admin, "ada@wohnverbund.test", "Ada Admin", true),
        ] {
            let account = directory
                .create_account(NewAccount {
                    email,
                    display_name: name,
                    password: PASSWORD,
                    is_instance_admin: instance_admin,
                })
                .await
                .expect("create an account");
            accounts.insert(role, account);
        }
        let id = |role: Role| accounts[&role].account_id;
        let organisation_a = directory
            .create_organisation("Wohnverbund Nord", Some(id(Role::Admin)), None)
            .await
            .unwrap();
        let organisation_b = directory
            .create_organisation("Plejecenter Syd", Some(id(Role::OtherOrganisation)), None)
            .await
            .unwrap();
        let a = organisation_a.organisation_id;
        for role in [Role::Reader, Role::Commenter, Role::Editor, Role::Owner] {
            directory
                .set_member_role(a, id(role), OrgRole::Member, None)
                .await
                .unwrap();
        }
        directory
            .set_member_role(
                organisation_b.organisation_id,
                id(Role::Reviewer),
                OrgRole::Member,
                None,
            )
            .await
            .unwrap();
        let team = directory
            .create_team(a, "Wohngruppe Ost", None)
            .await
            .unwrap();
        directory
            .add_team_member(&team, id(Role::Commenter), None)
            .await
            .unwrap();

        let owner = &accounts[&Role::Owner];
        let info = agora_server::statements::create(state, owner, a, "Unsere Grundsätze", "de")
            .await
            .expect("create the statement");
        let statement = info.document_id;
        directory
            .grant(
                &info,
                GrantSubject::Account(id(Role::Editor)),
                DocRole::Editor,
                owner,
            )
            .await
            .unwrap();
        directory
            .grant(
                &info,
                GrantSubject::Account(id(Role::Reader)),
                DocRole::Reader,
                owner,
            )
            .await
            .unwrap();
        directory
            .grant(
                &info,
                GrantSubject::Team(team.team_id),
                DocRole::Commenter,
                owner,
            )
            .await
            .unwrap();
        let (_, reviewer_secret) = directory
            .create_invitation(
                NewInvitation {
                    organisation: a,
                    kind: InvitationKind::Document {
                        document: statement,
                        role: DocRole::Commenter,
                    },
                    note: "Peer review 2026",
                },
                INVITATION_LIFETIME,
                owner,
            )
            .await
            .unwrap();
        directory
            .accept_invitation(&reviewer_secret, &accounts[&Role::Reviewer])
            .await
            .unwrap();
        let reader_grant = directory
            .grants(statement)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.account_id == Some(id(Role::Reader)))
            .expect("the reader's grant")
            .grant_id;
        let (invitation, invitation_secret) = directory
            .create_invitation(
                NewInvitation {
                    organisation: a,
                    kind: InvitationKind::Member {
                        role: OrgRole::Member,
                        team: None,
                    },
                    note: "Neue Kollegin",
                },
                INVITATION_LIFETIME,
                &accounts[&Role::Admin],
            )
            .await
            .unwrap();
        let outsider = &accounts[&Role::OtherOrganisation];
        let info_b = agora_server::statements::create(
            state,
            outsider,
            organisation_b.organisation_id,
            "Vores værdigrundlag",
            "da",
        )
        .await
        .unwrap();

        let mut people = HashMap::new();
        for (role, account) in accounts {
            let session = directory.create_session(account.account_id).await.unwrap();
            let (token_id, token) = directory
                .create_token(account.account_id, "tests")
                .await
                .unwrap();
            people.insert(
                role,
                Person {
                    account,
                    session,
                    token,
                    token_id,
                },
            );
        }
        let cast = Self {
            people,
            organisation_a,
            organisation_b,
            team,
            statement,
            statement_text: "Am Individuum orientieren bedeutet zuzuhören.".to_owned(),
            statement_b: info_b.document_id,
            reader_grant,
            invitation: invitation.invitation_id,
            invitation_secret,
        };
        cast.write_statement(server).await;
        cast
    }

    /// The owner writes the statement's text with the Rust client.
    async fn write_statement(&self, server: &TestServer) {
        let client = self.client(server, Role::Owner).await;
        let handle = client
            .find(self.statement)
            .await
            .expect("the owner finds it");
        handle.append_text(&self.statement_text).unwrap();
        handle
            .wait_synced(std::time::Duration::from_secs(10))
            .await
            .unwrap();
        client.close().await;
    }

    pub fn person(&self, role: Role) -> &Person {
        self.people
            .get(&role)
            .unwrap_or_else(|| panic!("{role:?} has no account"))
    }

    /// The sync URL with the role's token; anonymous gets none.
    pub fn sync_url(&self, server: &TestServer, role: Role) -> String {
        match role {
            Role::Anonymous => format!("ws://{}/sync", server.addr),
            role => crate::server::sync_url_with_token(server.addr, &self.person(role).token),
        }
    }

    /// A Rust client signed in with the role's token.
    pub async fn client(&self, server: &TestServer, role: Role) -> agora_client::Client {
        let options = agora_client::ClientOptions {
            token: Some(self.person(role).token.clone()),
            ..Default::default()
        };
        agora_client::Client::connect_with(&format!("ws://{}/sync", server.addr), options)
            .await
            .expect("connect with a token")
    }
}

/// Copies a stopped server's data folder, so each test of a changing request starts from the
/// same cast.
pub fn copy_data_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
