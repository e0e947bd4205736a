//! Co-writing in a real browser: Debian's chromium, headless, driven by playwright-core
//! (`tests/npm/browser/`), against an Agora server with the built-in browser client. People
//! sign in through the pages like anyone else; each test ends by comparing the browsers'
//! documents with the server's, read by a Rust client.

use std::time::Duration;

use agora_client::DocHandle;
use agora_tests::chromium::{artefacts, BrowserScript};
use agora_tests::people::{Cast, Role};
use agora_tests::TestServer;
use automerge::{Automerge, ReadDoc};
use serde_json::json;

fn text_of(doc: &Automerge) -> String {
    agora_client::text_object(doc)
        .and_then(|text| doc.text(&text).ok())
        .unwrap_or_default()
}

async fn server_with_cast() -> (tempfile::TempDir, TestServer, Cast) {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let cast = Cast::assemble(&server).await;
    (data, server, cast)
}

/// The statement as the server holds it, through a Rust client that waits until it has
/// `expected` (the browsers' agreed text) or times out.
async fn server_text(server: &TestServer, cast: &Cast, expected: &str) -> String {
    let client = cast.client(server, Role::Owner).await;
    let handle: DocHandle = client
        .find(cast.statement)
        .await
        .expect("find the statement");
    let _ = handle
        .wait_for(Duration::from_secs(10), |doc| text_of(doc) == expected)
        .await;
    let text = handle.text();
    client.close().await;
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_write_at_once_and_see_each_other_within_a_second() {
    let (_data, server, cast) = server_with_cast().await;
    let mut script = BrowserScript::start("two-editors.mjs", &server, &cast, &[]);
    let result = script.next().await;
    script.finish().await;
    println!(
        "text seen after {} ms, caret after {} ms",
        result["textMs"], result["caretMs"]
    );
    let text = result["text"].as_str().expect("the agreed text");
    assert!(text.contains("Wir hören einander zu.") && !text.contains("Entscheidungen"));
    assert_eq!(server_text(&server, &cast, text).await, text);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formatting_reaches_the_other_person_as_structure() {
    let (_data, server, cast) = server_with_cast().await;
    let mut script = BrowserScript::start("formatting.mjs", &server, &cast, &[]);
    let result = script.next().await;
    script.finish().await;
    let text = result["text"].as_str().expect("the agreed text");
    assert_eq!(server_text(&server, &cast, text).await, text);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_browser_keeps_its_edits_and_both_converge() {
    let (_data, server, cast) = server_with_cast().await;
    let mut script = BrowserScript::start("offline.mjs", &server, &cast, &[]);
    let result = script.next().await;
    script.finish().await;
    println!("converged {} ms after reconnecting", result["reconnectMs"]);
    let text = result["text"].as_str().expect("the agreed text");
    assert!(text.contains("im Keller ohne Netz.") && text.contains("Online geschrieben."));
    assert_eq!(server_text(&server, &cast, text).await, text);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readers_browser_shows_the_text_live_but_cannot_change_it() {
    let (_data, server, cast) = server_with_cast().await;
    let mut script = BrowserScript::start("reader.mjs", &server, &cast, &[]);
    let result = script.next().await;
    script.finish().await;
    let text = result["text"].as_str().expect("the editor's text");
    let stored = server_text(&server, &cast, text).await;
    assert_eq!(stored, text);
    assert!(!stored.contains("LESER") && !stored.contains("EINGEFUEGT"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meeting_view_is_captured_for_people_to_look_at() {
    let (_data, server, cast) = server_with_cast().await;
    let screenshot = artefacts().join("meeting-view.png");
    let _ = std::fs::remove_file(&screenshot);
    let extra = [("AGORA_SCREENSHOT", screenshot.display().to_string())];
    let mut script = BrowserScript::start("meeting.mjs", &server, &cast, &extra);
    let result = script.next().await;
    script.finish().await;
    let png = std::fs::read(&screenshot).expect("the screenshot was written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    println!(
        "meeting view at {} px type, screenshot in {}",
        result["fontPx"],
        screenshot.display()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_client_and_the_browser_edit_one_document_together() {
    let (_data, server, cast) = server_with_cast().await;
    let mut browser = BrowserScript::start("with-rust-client.mjs", &server, &cast, &[]);
    assert_eq!(browser.next().await["step"], "ready");

    let client = cast.client(&server, Role::Owner).await;
    let handle = client
        .find(cast.statement)
        .await
        .expect("find the statement");
    handle.append_text("Vom Rust-Client geschrieben.").unwrap();
    handle.wait_synced(Duration::from_secs(10)).await.unwrap();
    browser
        .send(json!({ "waitFor": "Vom Rust-Client geschrieben." }))
        .await;
    let seen = browser.next().await;
    println!(
        "the browser showed the Rust client's text after {} ms",
        seen["ms"]
    );

    browser
        .send(json!({ "type": " Im Browser ergänzt." }))
        .await;
    assert_eq!(browser.next().await["step"], "typed");
    handle
        .wait_for(Duration::from_secs(10), |doc| {
            text_of(doc).contains("Im Browser ergänzt.")
        })
        .await
        .expect("the Rust client sees the browser's words");

    browser.send(json!({ "finish": true })).await;
    let finished = browser.next().await;
    browser.finish().await;
    let text = finished["text"].as_str().expect("the browser's text");
    handle
        .wait_for(Duration::from_secs(10), |doc| text_of(doc) == text)
        .await
        .expect("the Rust client ends with the browser's text");
    client.close().await;
    assert_eq!(server_text(&server, &cast, text).await, text);
    server.stop().await;
}
