//! What operators rely on: Prometheus metrics, `/healthz` and `/readyz` (also while PostgreSQL
//! is away), JSON logs, and the limits that protect the service.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use agora_client::Client;
use agora_schema::{DocumentId, Message};
use agora_tests::postgres::TempPostgres;
use agora_tests::server::{agora_binary, free_port, provision_tester_in};
use agora_tests::{RawPeer, ServerProcess, TestServer};

const SETTLE: Duration = Duration::from_secs(30);

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("GET");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The value of an unlabelled sample, e.g. `agora_connections`.
fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {name} in the metrics:\n{metrics}"))
        .trim()
        .parse()
        .expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_connections_documents_appends_messages_and_searches() {
    let data = tempfile::tempdir().unwrap();
    let metrics_port = free_port();
    let metrics_address = format!("127.0.0.1:{metrics_port}");
    let server = ServerProcess::start(
        free_port(),
        data.path(),
        &["--metrics-listen", &metrics_address],
    )
    .await;
    let metrics_url = format!("http://{metrics_address}/metrics");

    let (status, before) = get(&metrics_url).await;
    assert_eq!(status, 200);
    assert_eq!(sample(&before, "agora_connections"), 0.0);

    let client = Client::connect(&server.sync_url()).await.unwrap();
    let handle = client.create().await.unwrap();
    handle.append_text("Qualitätsbericht 2026").unwrap();
    handle.wait_synced(SETTLE).await.unwrap();
    let search = format!("http://{}/api/search?q=Qualit%C3%A4tsbericht", server.addr);
    let searched = reqwest::Client::new()
        .get(&search)
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(searched.status().as_u16(), 200);

    let (_, during) = get(&metrics_url).await;
    assert_eq!(sample(&during, "agora_connections"), 1.0);
    assert_eq!(sample(&during, "agora_open_documents"), 1.0);
    assert!(sample(&during, "agora_log_appends_total") >= 1.0);
    assert!(sample(&during, "agora_log_append_seconds_count") >= 1.0);
    assert!(sample(&during, "agora_sync_batch_seconds_count") >= 1.0);
    assert!(sample(&during, "agora_search_seconds_count") >= 1.0);
    assert!(during.contains("agora_sync_messages_total{direction=\"in\"}"));
    assert!(during.contains("agora_sync_messages_total{direction=\"out\"}"));

    client.close().await;
    agora_tests::eventually("the connection leaves the gauge", SETTLE, || async {
        sample(&get(&metrics_url).await.1, "agora_connections") == 0.0
    })
    .await;
    server.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_follow_the_database() {
    let postgres = TempPostgres::start().expect("start PostgreSQL");
    let url = postgres.app_url();
    let token = provision_tester_in(&url).await;
    let data = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with_token(
        free_port(),
        data.path(),
        &["--database-url", &url],
        &token,
    )
    .await;
    let base = format!("http://{}", server.addr);
    assert_eq!(get(&format!("{base}/healthz")).await.0, 200);
    assert_eq!(
        get(&format!("{base}/readyz")).await,
        (200, "ready\n".into())
    );

    postgres.stop().expect("stop PostgreSQL");
    assert_eq!(get(&format!("{base}/healthz")).await.0, 503);
    assert_eq!(get(&format!("{base}/readyz")).await.0, 503);

    postgres.start_server().expect("start PostgreSQL again");
    agora_tests::eventually("ready again once the database is back", SETTLE, || async {
        get(&format!("{base}/readyz")).await.0 == 200
    })
    .await;
    server.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line() {
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(agora_binary())
        .args(["serve", "--log-format", "json", "--listen", "127.0.0.1:0"])
        .arg("--data")
        .arg(data.path())
        .env("AGORA_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start agora");
    let stderr = child.stderr.take().expect("stderr");
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().take(20) {
            let line = line.expect("a log line");
            let listening = line.contains("Agora is listening");
            lines.push(line);
            if listening {
                break;
            }
        }
        lines
    });
    let lines = tokio::time::timeout(SETTLE, lines)
        .await
        .expect("the server logs that it listens")
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(!lines.is_empty());
    for line in &lines {
        let object: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(object["level"].is_string() && object["timestamp"].is_string());
    }
    let listening: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(listening["fields"]["message"], "Agora is listening");
    assert!(listening["fields"]["address"]
        .as_str()
        .is_some_and(|a| a.starts_with("127.0.0.1:")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_gets_its_limit_of_connections_and_one_more_is_refused_clearly() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(data.path(), &["--max-connections-per-account", "2"]).await;
    let first = RawPeer::joined(&server.sync_url()).await;
    let _second = RawPeer::joined(&server.sync_url()).await;
    match tokio_tungstenite::connect_async(server.sync_url()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 429);
            let body =
                String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).to_string();
            assert!(body.contains("Too many open connections"), "{body}");
        }
        other => panic!("a third connection must be refused, got {other:?}"),
    }
    drop(first);
    agora_tests::eventually("a closed connection frees its place", SETTLE, || {
        let url = server.sync_url();
        async move { tokio_tungstenite::connect_async(url).await.is_ok() }
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_floods_is_told_and_closed() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(data.path(), &["--max-messages-per-second", "1"]).await;
    let mut peer = RawPeer::joined(&server.sync_url()).await;
    // A burst of 1000 passes; the flood beyond it does not.
    for _ in 0..1100 {
        let message = Message::DocUnavailable {
            sender_id: peer.peer_id.clone(),
            target_id: peer.server_peer.clone().expect("joined"),
            document_id: DocumentId::random(),
        };
        peer.send(&message).await;
    }
    let error = peer.expect_error_and_close().await;
    assert!(error.contains("messages per second"), "{error}");
    // Others are not affected.
    let other = Client::connect(&server.sync_url()).await.unwrap();
    let handle = other.create().await.unwrap();
    handle.append_text("weiter").unwrap();
    handle.wait_synced(SETTLE).await.unwrap();
    other.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_says_goodbye_to_peers_and_keeps_the_last_edit_findable() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ServerProcess::start(port, data.path(), &[]).await;
    let mut watcher = RawPeer::joined(&server.sync_url()).await;
    let client = Client::connect(&server.sync_url()).await.unwrap();
    let handle = client.create().await.unwrap();
    handle.append_text("Abschiedswort der Teamleitung").unwrap();
    handle.wait_synced(SETTLE).await.unwrap();

    let status = server.terminate().await;
    assert!(
        status.success(),
        "agora exits cleanly after SIGTERM: {status:?}"
    );
    match watcher.recv().await {
        agora_tests::raw_peer::Received::Closed(code) => assert_eq!(code, Some(1001)),
        other => panic!("expected a going-away close, got {other:?}"),
    }
    client.close().await;

    let server = ServerProcess::start(port, data.path(), &[]).await;
    let found = reqwest::Client::new()
        .get(format!("http://{}/api/search?q=Abschiedswort", server.addr))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(found.contains(&handle.id().to_string()), "{found}");
    server.terminate().await;
}
