//! `agora backup` and `agora restore`, the real binary against real servers. A backup taken
//! while clients type restores to documents whose every change the live server has, with no
//! change missing its dependencies; one taken at rest restores to the very same documents and
//! accounts, from SQLite and from PostgreSQL, into either. Bad input is refused and changes
//! nothing.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use agora_client::{Client, ClientOptions, DocHandle, DocumentId};
use agora_server::backup::TABLES;
use agora_server::database::{Database, Location, Synchronous};
use agora_server::directory::Directory;
use agora_server::store::{SqlStore, Store};
use agora_tests::editing::{change_hashes, random_edit, rng};
use agora_tests::postgres::{TempPostgres, APP_ROLE};
use agora_tests::server::{agora_binary, free_port, provision_tester, TESTER_EMAIL};
use agora_tests::ServerProcess;
use automerge::{Automerge, ChangeHash, ReadDoc};
use tokio_util::sync::CancellationToken;

const SETTLE: Duration = Duration::from_secs(30);
/// A backup or restore of these few rows takes well under a second.
const COMMAND_PATIENCE: Duration = Duration::from_secs(60);
/// Clients that type at once, and the documents each of them types into.
const TYPISTS: usize = 3;
const DOCUMENTS: usize = 2;

/// Runs `agora ARGS` to its end.
async fn agora(args: &[&str]) -> Output {
    let run = tokio::process::Command::new(agora_binary())
        .args(args)
        .env("AGORA_LOG", "warn")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(COMMAND_PATIENCE, run)
        .await
        .unwrap_or_else(|_| panic!("agora {args:?} did not end within {COMMAND_PATIENCE:?}"))
        .expect("run agora")
}

/// Runs `agora ARGS`, which must succeed; returns what it printed.
async fn agora_ok(args: &[&str]) -> String {
    let output = agora(args).await;
    assert!(
        output.status.success(),
        "agora {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Runs `agora ARGS`, which must fail; returns its error message.
async fn agora_refuses(args: &[&str]) -> String {
    let output = agora(args).await;
    assert!(!output.status.success(), "agora {args:?} succeeded");
    String::from_utf8(output.stderr).expect("utf-8 output")
}

fn path(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `agora backup --to FILE` with the storage options; prints its report for the test's log.
async fn backup(to: &Path, storage: &[&str]) {
    let mut args = vec!["backup", "--to", path(to)];
    args.extend_from_slice(storage);
    eprintln!("{}", agora_ok(&args).await);
}

async fn restore(from: &Path, storage: &[&str]) {
    let mut args = vec!["restore", "--from", path(from)];
    args.extend_from_slice(storage);
    eprintln!("{}", agora_ok(&args).await);
}

fn options() -> ClientOptions {
    ClientOptions {
        reconnect_min_delay: Duration::from_millis(20),
        reconnect_max_delay: Duration::from_millis(200),
        ..ClientOptions::default()
    }
}

/// `TYPISTS` clients of `url`, each with a handle on each of `DOCUMENTS` new documents:
/// `handles[document][client]`.
async fn editing_clients(url: &str) -> (Vec<Client>, Vec<Vec<DocHandle>>) {
    let mut clients = Vec::new();
    for _ in 0..TYPISTS {
        clients.push(Client::connect_with(url, options()).await.unwrap());
    }
    let mut handles = Vec::new();
    for n in 0..DOCUMENTS {
        let created = clients[n % TYPISTS].create().await.unwrap();
        created.append_text(&format!("Protokoll {n}: ")).unwrap();
        created.wait_synced(SETTLE).await.unwrap();
        let mut on_document = Vec::new();
        for client in &clients {
            on_document.push(client.find(created.id()).await.unwrap());
        }
        handles.push(on_document);
    }
    (clients, handles)
}

/// Random typing on every handle until `stop`.
fn type_until(
    handles: &[Vec<DocHandle>],
    stop: &CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    handles
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, handle)| {
            let (handle, stop) = (handle.clone(), stop.clone());
            tokio::spawn(async move {
                let mut rng = rng(40 + i as u64);
                while !stop.is_cancelled() {
                    random_edit(&handle, &mut rng);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        })
        .collect()
}

/// Every handle of each document has the server's heads, and all agree.
async fn converge(handles: &[Vec<DocHandle>]) {
    for on_document in handles {
        for handle in on_document {
            handle.wait_synced(SETTLE).await.unwrap();
        }
        agora_tests::eventually("the clients agree", SETTLE, || {
            let heads: Vec<_> = on_document.iter().map(DocHandle::heads).collect();
            async move { heads.iter().all(|h| *h == heads[0]) }
        })
        .await;
    }
}

/// The documents of a restored SQLite data folder, read from its store as the server loads them.
async fn stored_documents(data: &Path) -> HashMap<DocumentId, Automerge> {
    let location = Location::new(data, None, Synchronous::Full);
    let store = SqlStore::new(Database::open(&location).await.unwrap());
    let mut documents = HashMap::new();
    for id in store.document_ids().await.unwrap() {
        let stored = store.load(id).await.unwrap().expect("a listed document");
        documents.insert(id, stored.decode().expect("a restored document loads"));
    }
    store.close().await;
    documents
}

/// A fresh client of `url` fetches document `id` until it has `heads`; returns its text.
async fn fetch(url: &str, id: DocumentId, heads: &[ChangeHash]) -> String {
    let reader = Client::connect_with(
        url,
        ClientOptions {
            reconnect: false,
            ..options()
        },
    )
    .await
    .expect("the tester's token opens the restored server");
    let fetched = reader.find(id).await.expect("the restored document");
    agora_tests::eventually("the restored document arrives whole", SETTLE, || {
        let same = fetched.heads() == heads;
        async move { same }
    })
    .await;
    let text = fetched.text();
    reader.close().await;
    text
}

/// A server on a restored database serves every live document as it is, and the tester's
/// account with its token: the accounts came along.
async fn assert_serves_the_same(restored: &ServerProcess, handles: &[Vec<DocHandle>]) {
    for on_document in handles {
        let live = &on_document[0];
        let text = fetch(&restored.sync_url(), live.id(), &live.heads()).await;
        assert_eq!(text, live.text(), "the restored text differs");
    }
    let me = |token: &str| {
        reqwest::Client::new()
            .get(format!("http://{}/api/me", restored.addr))
            .bearer_auth(token)
            .send()
    };
    let answer = me(&restored.token).await.unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    assert!(answer.text().await.unwrap().contains(TESTER_EMAIL));
    let stranger = me("agora_not-a-token").await.unwrap();
    assert_eq!(stranger.status(), reqwest::StatusCode::UNAUTHORIZED);
}

async fn close_all(clients: Vec<Client>) {
    for client in clients {
        client.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_while_clients_type_holds_what_the_server_had_and_one_at_rest_all_of_it() {
    let scratch = tempfile::tempdir().unwrap();
    let live_data = scratch.path().join("live");
    let live = ServerProcess::start(free_port(), &live_data, &[]).await;
    let (clients, handles) = editing_clients(&live.sync_url()).await;
    let stop = CancellationToken::new();
    let typists = type_until(&handles, &stop);
    tokio::time::sleep(Duration::from_millis(800)).await;

    let during = scratch.path().join("during.agora-backup");
    backup(&during, &["--data", path(&live_data)]).await;
    let restored_data = scratch.path().join("restored-during");
    restore(&during, &["--data", path(&restored_data)]).await;

    // Read straight from the restored store: whatever moment the backup caught, each document
    // loads, every change's dependencies are there, and every change is one the clients made.
    let stored = stored_documents(&restored_data).await;
    assert_eq!(stored.len(), DOCUMENTS);
    for on_document in &handles {
        let doc = stored
            .get(&on_document[0].id())
            .expect("the document is in the backup");
        assert!(
            doc.get_missing_deps(&[]).is_empty(),
            "a restored change lacks its dependencies"
        );
        let live_changes: HashSet<ChangeHash> = on_document
            .iter()
            .flat_map(|h| h.with_doc(change_hashes))
            .collect();
        assert!(
            change_hashes(doc).is_subset(&live_changes),
            "the backup holds changes that nobody made"
        );
    }
    // A server on it serves the documents as stored.
    let restored =
        ServerProcess::start_with_token(free_port(), &restored_data, &[], &live.token).await;
    for (id, doc) in &stored {
        fetch(&restored.sync_url(), *id, &doc.get_heads()).await;
    }
    restored.terminate().await;

    stop.cancel();
    for typist in typists {
        typist.await.unwrap();
    }
    converge(&handles).await;
    let at_rest = scratch.path().join("at-rest.agora-backup");
    backup(&at_rest, &["--data", path(&live_data)]).await;
    let restored_data = scratch.path().join("restored-at-rest");
    restore(&at_rest, &["--data", path(&restored_data)]).await;
    let restored =
        ServerProcess::start_with_token(free_port(), &restored_data, &[], &live.token).await;
    assert_serves_the_same(&restored, &handles).await;

    close_all(clients).await;
    restored.terminate().await;
    live.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_backup_restores_into_postgres_and_into_sqlite() {
    let postgres = TempPostgres::start().expect("start PostgreSQL");
    let url = postgres.app_url();
    let scratch = tempfile::tempdir().unwrap();
    let folder = |name: &str| scratch.path().join(name);
    let database = Database::open(&Location::new(
        &folder("provision"),
        Some(&url),
        Synchronous::Full,
    ))
    .await
    .expect("open PostgreSQL");
    let token = provision_tester(&Directory::new(&database)).await;
    let mut tables: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.tables \
         where table_schema = current_schema() and table_name <> '_sqlx_migrations'",
    )
    .fetch_all(database.pool())
    .await
    .unwrap();
    tables.sort();
    let mut listed = TABLES.to_vec();
    listed.sort();
    assert_eq!(
        tables, listed,
        "PostgreSQL's tables differ from backup::TABLES"
    );
    database.close().await;

    let on_postgres = ["--database-url", url.as_str()];
    let live =
        ServerProcess::start_with_token(free_port(), &folder("live"), &on_postgres, &token).await;
    let (clients, handles) = editing_clients(&live.sync_url()).await;
    let stop = CancellationToken::new();
    let typists = type_until(&handles, &stop);
    tokio::time::sleep(Duration::from_millis(800)).await;
    stop.cancel();
    for typist in typists {
        typist.await.unwrap();
    }
    converge(&handles).await;

    let file = folder("postgres.agora-backup");
    backup(
        &file,
        &[&on_postgres[..], &["--data", path(&folder("backup"))]].concat(),
    )
    .await;

    postgres
        .sql(&format!("create database agora2 owner {APP_ROLE}"))
        .unwrap();
    let url2 = format!("postgres://{APP_ROLE}@127.0.0.1:{}/agora2", postgres.port());
    let into_postgres = ["--database-url", url2.as_str()];
    restore(
        &file,
        &[&into_postgres[..], &["--data", path(&folder("pg2"))]].concat(),
    )
    .await;
    restore(&file, &["--data", path(&folder("sqlite"))]).await;

    let restored =
        ServerProcess::start_with_token(free_port(), &folder("sqlite"), &[], &token).await;
    assert_serves_the_same(&restored, &handles).await;
    restored.terminate().await;

    let restored =
        ServerProcess::start_with_token(free_port(), &folder("pg2"), &into_postgres, &token).await;
    assert_serves_the_same(&restored, &handles).await;
    // New rows get ids past the restored ones: an account, an organisation, a token and a
    // document with its grant would collide with restored rows otherwise.
    let password = folder("password");
    std::fs::write(&password, "another horse battery staple").unwrap();
    let pg2 = folder("pg2");
    let restored_storage = [&into_postgres[..], &["--data", path(&pg2)]].concat();
    let new_email = "neu@agora.test";
    for command in [
        &[
            "create-user",
            "--email",
            new_email,
            "--password-file",
            path(&password),
        ][..],
        &[
            "create-organisation",
            "--name",
            "Neue Einrichtung",
            "--admin-email",
            new_email,
        ],
    ] {
        agora_ok(&[&["admin"], command, &restored_storage].concat()).await;
    }
    let new_token = agora_ok(
        &[
            &["admin", "create-token", "--email", new_email][..],
            &restored_storage,
        ]
        .concat(),
    )
    .await;
    let newcomer = Client::connect_with(
        &agora_tests::server::sync_url_with_token(restored.addr, new_token.trim()),
        options(),
    )
    .await
    .unwrap();
    let created = newcomer.create().await.unwrap();
    created.append_text("Nach der Wiederherstellung").unwrap();
    created.wait_synced(SETTLE).await.unwrap();
    let heads = created.heads();
    let restored_url = agora_tests::server::sync_url_with_token(restored.addr, new_token.trim());
    assert_eq!(
        fetch(&restored_url, created.id(), &heads).await,
        "Nach der Wiederherstellung"
    );
    newcomer.close().await;

    close_all(clients).await;
    restored.terminate().await;
    live.terminate().await;
}

/// How many rows each table holds, read through a new connection.
async fn row_counts(data: &Path) -> Vec<i64> {
    let database = Database::open(&Location::new(data, None, Synchronous::Full))
        .await
        .unwrap();
    let mut counts = Vec::new();
    for table in TABLES {
        let count: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(database.pool())
            .await
            .unwrap();
        counts.push(count);
    }
    database.close().await;
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_refuse_bad_input_and_change_nothing() {
    let scratch = tempfile::tempdir().unwrap();
    let folder = |name: &str| scratch.path().join(name);
    let installation = folder("installation");
    let database = Database::open(&Location::new(&installation, None, Synchronous::Full))
        .await
        .unwrap();
    provision_tester(&Directory::new(&database)).await;
    database.close().await;
    let file = folder("installation.agora-backup");
    backup(&file, &["--data", path(&installation)]).await;

    // A backup never overwrites a file.
    let before = std::fs::read(&file).unwrap();
    let refused =
        agora_refuses(&["backup", "--to", path(&file), "--data", path(&installation)]).await;
    assert!(refused.contains("exists already"), "{refused}");
    assert_eq!(std::fs::read(&file).unwrap(), before);

    // Nor does it back up a data folder that holds no database (and create one there).
    let nothing = folder("nothing");
    let refused = agora_refuses(&[
        "backup",
        "--to",
        path(&folder("x")),
        "--data",
        path(&nothing),
    ])
    .await;
    assert!(refused.contains("holds no Agora database"), "{refused}");
    assert!(!nothing.exists() && !folder("x").exists());

    // A restore into a database that holds accounts and documents would mix two installations.
    let counts = row_counts(&installation).await;
    let refused = agora_refuses(&[
        "restore",
        "--from",
        path(&file),
        "--data",
        path(&installation),
    ])
    .await;
    assert!(
        refused.contains("not empty") && refused.contains("account"),
        "{refused}"
    );
    assert_eq!(row_counts(&installation).await, counts);

    // Files that are no backup: random bytes, an empty file (an empty SQLite database), a SQLite
    // database of something else; the target is not even created.
    let random = folder("random.bin");
    std::fs::write(
        &random,
        (0..65536).map(|_| rand::random::<u8>()).collect::<Vec<_>>(),
    )
    .unwrap();
    let empty = folder("empty.sqlite3");
    std::fs::write(&empty, b"").unwrap();
    let other = folder("other.sqlite3");
    let pool = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&other)
            .create_if_missing(true),
    )
    .await
    .unwrap();
    sqlx::query("create table notes (body text)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    for (bad, says) in [
        (&random, "not a SQLite database"),
        (&empty, "none of Agora's tables"),
        (&other, "none of Agora's tables"),
        (&folder("missing.agora-backup"), "cannot read"),
    ] {
        let target = folder("target");
        let refused =
            agora_refuses(&["restore", "--from", path(bad), "--data", path(&target)]).await;
        assert!(refused.contains(says), "{}: {refused}", bad.display());
        assert!(!target.exists(), "a refused restore created its target");
    }
}
