//! Three `agora` processes on one real PostgreSQL, with clients spread over them: they edit the
//! same documents and converge; an instance killed with SIGKILL and a PostgreSQL restart lose
//! nothing; a cut notification link is caught up by sequence. Access changes and search reach
//! across instances.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use agora_client::{Client, ClientOptions, DocHandle};
use agora_tests::editing::{change_hashes, random_edit, rng};
use agora_tests::people::{Cast, Role};
use agora_tests::postgres::{TempPostgres, APP_ROLE};
use agora_tests::raw_peer::Received;
use agora_tests::server::{free_port, provision_tester_in, sync_url_with_token};
use agora_tests::{RawPeer, ServerProcess, TestServer};
use automerge::ChangeHash;
use tokio_util::sync::CancellationToken;

const SETTLE: Duration = Duration::from_secs(30);

struct Cluster {
    postgres: TempPostgres,
    instances: Vec<Option<ServerProcess>>,
    urls: Vec<String>,
    _data: Vec<tempfile::TempDir>,
}

impl Cluster {
    /// A PostgreSQL and `count` instances on it, each with a data folder of its own.
    async fn start(count: usize) -> Self {
        let postgres = TempPostgres::start().expect("start PostgreSQL");
        let database_url = postgres.app_url();
        let token = provision_tester_in(&database_url).await;
        let mut instances = Vec::new();
        let mut urls = Vec::new();
        let mut data = Vec::new();
        for _ in 0..count {
            let folder = tempfile::tempdir().unwrap();
            let instance = ServerProcess::start_with_token(
                free_port(),
                folder.path(),
                &["--database-url", &database_url],
                &token,
            )
            .await;
            urls.push(sync_url_with_token(instance.addr, &token));
            instances.push(Some(instance));
            data.push(folder);
        }
        Self {
            postgres,
            instances,
            urls,
            _data: data,
        }
    }

    /// A client of instance `home` that moves on to the others when its instance goes away.
    async fn client(&self, home: usize) -> Client {
        let others = (1..self.urls.len())
            .map(|step| self.urls[(home + step) % self.urls.len()].clone())
            .collect();
        Client::connect_with(
            &self.urls[home],
            ClientOptions {
                reconnect_min_delay: Duration::from_millis(20),
                reconnect_max_delay: Duration::from_millis(300),
                other_urls: others,
                ..ClientOptions::default()
            },
        )
        .await
        .expect("connect")
    }

    async fn stop(mut self) {
        for instance in self.instances.iter_mut().filter_map(Option::take) {
            instance.terminate().await;
        }
    }
}

fn all_changes(handle: &DocHandle) -> HashSet<ChangeHash> {
    handle.with_doc(change_hashes)
}

/// Every client holds the same heads and text.
async fn converge(handles: &[DocHandle]) {
    for handle in handles {
        handle.wait_synced(SETTLE).await.unwrap();
    }
    agora_tests::eventually("every client has the same heads", SETTLE, || {
        let heads: Vec<_> = handles.iter().map(DocHandle::heads).collect();
        async move { heads.iter().all(|h| *h == heads[0]) }
    })
    .await;
    let text = handles[0].text();
    for handle in handles {
        assert_eq!(handle.text(), text);
    }
}

/// Random typing on every handle until `stop`.
fn type_until(
    handles: &[DocHandle],
    stop: &CancellationToken,
    seed: u64,
) -> Vec<tokio::task::JoinHandle<()>> {
    handles
        .iter()
        .enumerate()
        .map(|(i, handle)| {
            let (handle, stop) = (handle.clone(), stop.clone());
            tokio::spawn(async move {
                let mut rng = rng(seed * 100 + i as u64);
                while !stop.is_cancelled() {
                    random_edit(&handle, &mut rng);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        })
        .collect()
}

/// Six clients, two on each of three instances, type into two documents at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_three_instances_edit_the_same_documents_and_converge() {
    let cluster = Cluster::start(3).await;
    let mut clients = Vec::new();
    for i in 0..6 {
        clients.push(cluster.client(i % 3).await);
    }
    let mut documents = Vec::new();
    for (n, title) in ["Leitbild", "Selbstbewertung"].iter().enumerate() {
        let created = clients[n].create().await.unwrap();
        created.append_text(&format!("{title}: ")).unwrap();
        created.wait_synced(SETTLE).await.unwrap();
        documents.push(created.id());
    }
    let mut handles: Vec<Vec<DocHandle>> = vec![Vec::new(), Vec::new()];
    for (n, &id) in documents.iter().enumerate() {
        for client in &clients {
            handles[n].push(client.find(id).await.unwrap());
        }
    }

    // An edit typed on one instance shows on a client of another.
    let mut delays = Vec::new();
    // One writer, and readers on the two other instances: a writer that also received edits
    // would hold its next one back while its reply is unanswered (the client's throttle).
    for round in 0..20 {
        let (writer, reader) = (&handles[0][0], &handles[0][1 + round % 2]);
        let marker = format!(" [{round}]");
        let started = Instant::now();
        writer.append_text(&marker).unwrap();
        agora_tests::eventually("the edit reaches the other instance", SETTLE, || {
            let found = reader.text().contains(&marker);
            async move { found }
        })
        .await;
        delays.push(started.elapsed());
    }
    delays.sort();
    eprintln!(
        "edit on one instance -> client of another: median {:?}, slowest {:?}",
        delays[delays.len() / 2],
        delays[delays.len() - 1]
    );

    let stop = CancellationToken::new();
    let typists: Vec<_> = handles
        .iter()
        .enumerate()
        .flat_map(|(n, handles)| type_until(handles, &stop, n as u64))
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.cancel();
    for typist in typists {
        typist.await.unwrap();
    }
    for handles in &handles {
        converge(handles).await;
    }
    for client in clients {
        client.close().await;
    }
    cluster.stop().await;
}

/// SIGKILL of one instance, then a PostgreSQL restart, while everyone types: the killed
/// instance's clients carry on with another, and at the end every edit any client holds is
/// stored and everyone has the same text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_and_a_postgres_restart_lose_nothing() {
    let mut cluster = Cluster::start(3).await;
    let mut clients = Vec::new();
    for i in 0..3 {
        clients.push(cluster.client(i).await);
    }
    let created = clients[0].create().await.unwrap();
    created.append_text("Protokoll: ").unwrap();
    created.wait_synced(SETTLE).await.unwrap();
    let id = created.id();
    let mut handles = vec![created];
    for client in &clients[1..] {
        handles.push(client.find(id).await.unwrap());
    }

    let stop = CancellationToken::new();
    let typists = type_until(&handles, &stop, 7);
    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster.instances[0]
        .take()
        .expect("instance 0 runs")
        .kill9()
        .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster.postgres.restart().expect("restart PostgreSQL");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.cancel();
    for typist in typists {
        typist.await.unwrap();
    }

    converge(&handles).await;
    let everything: HashSet<ChangeHash> = handles.iter().flat_map(all_changes).collect();
    // A client that was never part of it reads the document from the last instance.
    let reader = cluster.client(2).await;
    let fetched = reader.find(id).await.unwrap();
    let expected = handles[0].heads();
    agora_tests::eventually("a new client gets everything", SETTLE, || {
        let heads = fetched.heads();
        let expected = expected.clone();
        async move { heads == expected }
    })
    .await;
    assert!(
        everything.is_subset(&all_changes(&fetched)),
        "edits that clients made are not stored"
    );
    reader.close().await;
    for client in clients {
        client.close().await;
    }
    cluster.stop().await;
}

/// The instances' notification link is cut and kept from coming back for a while; an edit made
/// meanwhile reaches the other instance's client once the link is back, read from the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_notification_link_is_caught_up_by_sequence() {
    let cluster = Cluster::start(2).await;
    let writer_client = cluster.client(0).await;
    let reader_client = cluster.client(1).await;
    let writer = writer_client.create().await.unwrap();
    writer.append_text("Vor der Unterbrechung. ").unwrap();
    writer.wait_synced(SETTLE).await.unwrap();
    let reader = reader_client.find(writer.id()).await.unwrap();
    agora_tests::eventually("the reader has the document", SETTLE, || {
        let text = reader.text();
        async move { text.contains("Vor der Unterbrechung") }
    })
    .await;

    // New connections of the application's role are refused, and the listeners are cut; the
    // pools keep the connections they hold, so editing goes on.
    cluster
        .postgres
        .sql(&format!("alter role {APP_ROLE} connection limit 0"))
        .unwrap();
    cluster
        .postgres
        .sql(&format!(
            "select pg_terminate_backend(pid) from pg_stat_activity \
             where application_name = '{}'",
            agora_server::cluster::LISTENER_NAME
        ))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    writer.append_text("Während die Leitung weg war.").unwrap();
    writer.wait_synced(SETTLE).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !reader.text().contains("Während"),
        "the edit arrived although no notice could: the test proves nothing"
    );

    cluster
        .postgres
        .sql(&format!("alter role {APP_ROLE} connection limit -1"))
        .unwrap();
    agora_tests::eventually("the edit arrives after the link is back", SETTLE, || {
        let text = reader.text();
        async move { text.contains("Während die Leitung weg war.") }
    })
    .await;
    converge(&[writer.clone(), reader.clone()]).await;
    writer_client.close().await;
    reader_client.close().await;
    cluster.stop().await;
}

/// Two instances in this process on one PostgreSQL, with the test cast on them.
async fn pair_with_cast() -> (
    TempPostgres,
    Vec<tempfile::TempDir>,
    TestServer,
    TestServer,
    Cast,
) {
    let postgres = TempPostgres::start().expect("start PostgreSQL");
    let url = postgres.app_url();
    let folders = vec![tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let one = TestServer::start_with(folders[0].path(), &["--database-url", &url]).await;
    let other = TestServer::start_with(folders[1].path(), &["--database-url", &url]).await;
    let cast = Cast::assemble(&one).await;
    (postgres, folders, one, other, cast)
}

/// A grant revoked through one instance closes the document for a reader on another at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_one_instance_reaches_a_reader_on_another() {
    let (_postgres, _folders, one, other, cast) = pair_with_cast().await;
    let mut reader = RawPeer::joined(&cast.sync_url(&other, Role::Reader)).await;
    let mut doc = automerge::Automerge::new();
    reader
        .sync_doc(cast.statement, &mut doc, &mut automerge::sync::State::new())
        .await;
    assert_eq!(agora_tests::editing::text_of(&doc), cast.statement_text);

    let info = one
        .state
        .directory
        .document_info(cast.statement)
        .await
        .unwrap()
        .unwrap();
    one.state
        .directory
        .revoke_grant(&info, cast.reader_grant, &cast.person(Role::Owner).account)
        .await
        .unwrap();
    match super::access_changes::next_non_sync(&mut reader).await {
        Received::Message(agora_schema::Message::DocUnavailable { document_id, .. }) => {
            assert_eq!(document_id, cast.statement)
        }
        other => panic!("expected doc-unavailable on the other instance, got {other:?}"),
    }
    one.stop().await;
    other.stop().await;
}

/// Each instance keeps its own search index, fed from the shared log: what is written through
/// one instance is found through the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_through_one_instance_is_found_through_another() {
    let (_postgres, _folders, one, other, cast) = pair_with_cast().await;
    let owner = cast.client(&one, Role::Owner).await;
    let handle = owner.find(cast.statement).await.unwrap();
    handle
        .append_text("\nDie Nachtwache dokumentiert jede Übergabe.")
        .unwrap();
    handle.wait_synced(SETTLE).await.unwrap();

    let search = format!("http://{}/api/search?q=Nachtwache", other.addr);
    let token = cast.person(Role::Reader).token.clone();
    agora_tests::eventually("the other instance finds the edit", SETTLE, || {
        let (search, token) = (search.clone(), token.clone());
        async move {
            let found = reqwest::Client::new()
                .get(&search)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            found.contains(&cast.statement.to_string())
        }
    })
    .await;
    owner.close().await;
    one.stop().await;
    other.stop().await;
}
