//! `agora admin …`: the first accounts, organisations and tokens, from the command line, on the
//! database directly (the server may be running: the database takes turns).

use std::path::Path;

use anyhow::{bail, Context};

use crate::config::{AdminCommand, Storage, WebConfig};
use crate::database::Database;
use crate::directory::{Directory, NewAccount, NewDocument, OrganisationId};
use crate::store::{SqlStore, Store};

pub async fn run(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateUser {
            storage,
            email,
            name,
            password_file,
            instance_admin,
        } => {
            let directory = open(&storage).await?;
            let password = read_password(&password_file)?;
            let first = directory.account_count().await? == 0;
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_owned());
            let account = directory
                .create_account(NewAccount {
                    email: &email,
                    display_name: &name,
                    password: &password,
                    is_instance_admin: instance_admin || first,
                })
                .await
                .with_context(|| format!("cannot create the account {email}"))?;
            println!(
                "created account {} ({}){}",
                account.email,
                account.account_id,
                if account.is_instance_admin.0 {
                    ", instance administrator"
                } else {
                    ""
                }
            );
        }
        AdminCommand::CreateToken {
            storage,
            email,
            name,
        } => {
            let directory = open(&storage).await?;
            let Some(account) = directory.account_by_email(&email).await? else {
                bail!("no account has the email {email}");
            };
            let (_, token) = directory.create_token(account.account_id, &name).await?;
            println!("{token}");
        }
        AdminCommand::CreateOrganisation {
            storage,
            name,
            admin_email,
        } => {
            let directory = open(&storage).await?;
            let Some(admin) = directory.account_by_email(&admin_email).await? else {
                bail!("no account has the email {admin_email}; create it first");
            };
            let organisation = directory
                .create_organisation(&name, Some(admin.account_id), None)
                .await?;
            println!(
                "created organisation {} ({}) with administrator {}",
                organisation.name, organisation.organisation_id, admin.email
            );
        }
        AdminCommand::AdoptDocuments {
            storage,
            organisation,
            owner_email,
        } => {
            let (store, directory) = open_store(&storage).await?;
            let Some(owner) = directory.account_by_email(&owner_email).await? else {
                bail!("no account has the email {owner_email}");
            };
            let organisation = OrganisationId(organisation);
            directory
                .organisation(organisation)
                .await
                .with_context(|| format!("no organisation has the number {organisation}"))?;
            if directory
                .org_role(owner.account_id, organisation)
                .await?
                .is_none()
            {
                bail!("{owner_email} is not a member of organisation {organisation}");
            }
            let mut adopted = 0;
            for id in store.document_ids().await? {
                if directory.document_info(id).await?.is_some() {
                    continue;
                }
                let new = NewDocument {
                    id,
                    organisation,
                    title: "",
                    language: None,
                };
                directory
                    .create_document(new, &owner)
                    .await
                    .with_context(|| format!("cannot adopt {id}"))?;
                adopted += 1;
            }
            println!(
                "{adopted} unowned document(s) now belong to organisation {organisation}, owned by {owner_email}"
            );
        }
    }
    Ok(())
}

async fn open_store(storage: &Storage) -> anyhow::Result<(SqlStore, Directory)> {
    let database = Database::open(&storage.database())
        .await
        .with_context(|| format!("cannot open the database of {}", storage.data.display()))?;
    let directory = Directory::new(&database);
    Ok((SqlStore::new(database), directory))
}

async fn open(storage: &Storage) -> anyhow::Result<Directory> {
    Ok(open_store(storage).await?.1)
}

/// The first line of a password file, without its line ending.
fn read_password(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the password file {}", path.display()))?;
    Ok(text.lines().next().unwrap_or("").to_owned())
}

/// Creates the administrator named by `--admin-email` and `--admin-password-file` when the
/// installation has no account yet (the container way to start).
pub async fn create_first_admin(directory: &Directory, web: &WebConfig) -> anyhow::Result<()> {
    let (Some(email), Some(file)) = (&web.admin_email, &web.admin_password_file) else {
        return Ok(());
    };
    if directory.account_count().await? > 0 {
        return Ok(());
    }
    let password = read_password(file)?;
    let name = email.split('@').next().unwrap_or("admin").to_owned();
    directory
        .create_account(NewAccount {
            email,
            display_name: &name,
            password: &password,
            is_instance_admin: true,
        })
        .await
        .with_context(|| format!("cannot create the first administrator {email}"))?;
    tracing::info!(%email, "created the first administrator");
    Ok(())
}
