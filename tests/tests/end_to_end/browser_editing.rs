//! Co-writing in a real browser: Debian's chromium, headless, driven by playwright-core
//! (`tests/npm/browser/`), against an Agora server with the built-in browser client. People
//! sign in through the pages like anyone else; each test ends by comparing the browsers'
//! documents with the server's, read by a Rust client.

use std::time::Duration;

use agora_client::DocHandle;
use agora_tests::chromium::{artefacts, BrowserScript};
use agora_tests::editing::append_block;
use agora_tests::people::{Cast, Role};
use agora_tests::TestServer;
use automerge::{Automerge, ReadDoc};
use serde_json::{json, Value};

fn text_of(doc: &Automerge) -> String {
    agora_client::text_object(doc)
        .and_then(|text| doc.text(&text).ok())
        .unwrap_or_default()
}

/// Runs a script that prints one result and ends, on a fresh server with the cast.
async fn run_script(
    script: &str,
    extra: &[(&str, String)],
) -> (tempfile::TempDir, TestServer, Cast, Value) {
    let (data, server, cast) = Cast::on_new_server().await;
    let mut browser = BrowserScript::start(script, &server, &cast, extra);
    let result = browser.next().await;
    browser.finish().await;
    (data, server, cast, result)
}

/// The document a browser script reported: its text and its sorted heads.
fn reported(result: &Value) -> (String, Vec<String>) {
    let text = result["text"].as_str().expect("the text").to_owned();
    let heads = result["heads"]
        .as_array()
        .expect("the heads")
        .iter()
        .map(|head| head.as_str().expect("a head").to_owned())
        .collect();
    (text, heads)
}

/// The statement as the server holds it, read by a Rust client that waits (up to a bound) until
/// it has `expected` heads: the same heads mean the same document.
async fn server_document(
    server: &TestServer,
    cast: &Cast,
    expected: &[String],
) -> (String, Vec<String>) {
    let client = cast.client(server, Role::Owner).await;
    let handle: DocHandle = client
        .find(cast.statement)
        .await
        .expect("find the statement");
    let _ = handle
        .wait_for(Duration::from_secs(10), |doc| sorted_heads(doc) == expected)
        .await;
    let document = handle.with_doc(|doc| (text_of(doc), sorted_heads(doc)));
    client.close().await;
    document
}

fn sorted_heads(doc: &Automerge) -> Vec<String> {
    let mut heads: Vec<String> = doc.get_heads().iter().map(ToString::to_string).collect();
    heads.sort();
    heads
}

/// Checks that the server holds exactly the document the browsers agreed on.
async fn assert_server_holds(server: &TestServer, cast: &Cast, result: &Value) -> String {
    let (text, heads) = reported(result);
    assert!(!heads.is_empty(), "the browsers reported no heads");
    assert_eq!(
        server_document(server, cast, &heads).await,
        (text.clone(), heads)
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_write_at_once_and_see_each_other_within_a_second() {
    let (_data, server, cast, result) = run_script("two-editors.mjs", &[]).await;
    println!(
        "text seen after {} ms, caret after {} ms",
        result["textMs"], result["caretMs"]
    );
    let text = assert_server_holds(&server, &cast, &result).await;
    assert!(text.contains("Wir hören einander zu.") && !text.contains("Entscheidungen"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formatting_reaches_the_other_person_as_structure() {
    let (_data, server, cast, result) = run_script("formatting.mjs", &[]).await;
    assert_server_holds(&server, &cast, &result).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_browser_keeps_its_edits_and_both_converge() {
    let (_data, server, cast, result) = run_script("offline.mjs", &[]).await;
    println!("converged {} ms after reconnecting", result["reconnectMs"]);
    let text = assert_server_holds(&server, &cast, &result).await;
    assert!(text.contains("im Keller ohne Netz.") && text.contains("Online geschrieben."));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readers_browser_shows_the_text_live_but_cannot_change_it() {
    let (_data, server, cast, result) = run_script("reader.mjs", &[]).await;
    let text = assert_server_holds(&server, &cast, &result).await;
    assert!(!text.contains("LESER") && !text.contains("EINGEFUEGT"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_whose_access_ends_is_told_so_on_the_open_page() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let mut script = BrowserScript::start("access-ends.mjs", &server, &cast, &[]);
    assert_eq!(script.next().await["step"], "ready");
    let directory = &server.state.directory;
    let info = directory
        .document_info(cast.statement)
        .await
        .unwrap()
        .expect("the statement");
    directory
        .revoke_grant(&info, cast.reader_grant, &cast.person(Role::Owner).account)
        .await
        .expect("revoke the reader");
    script.send(json!({ "revoked": true })).await;
    let told = script.next().await;
    script.finish().await;
    println!("told after {} ms: {}", told["ms"], told["message"]);
    assert!(told["message"]
        .as_str()
        .is_some_and(|message| message.contains("nicht verfügbar")));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meeting_view_is_captured_for_people_to_look_at() {
    let screenshot = artefacts().join("meeting-view.png");
    let _ = std::fs::remove_file(&screenshot);
    let extra = [("AGORA_SCREENSHOT", screenshot.display().to_string())];
    let (_data, server, _, result) = run_script("meeting.mjs", &extra).await;
    let png = std::fs::read(&screenshot).expect("the screenshot was written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    println!(
        "meeting view at {} px type, screenshot in {}; a leaver gone after {} ms",
        result["fontPx"],
        screenshot.display(),
        result["goneMs"]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_client_and_the_browser_edit_one_document_together() {
    let (_data, server, cast) = Cast::on_new_server().await;
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
    let (text, heads) = reported(&finished);
    handle
        .wait_for(Duration::from_secs(10), |doc| sorted_heads(doc) == heads)
        .await
        .expect("the Rust client ends with the browser's document");
    assert_eq!(handle.text(), text);
    client.close().await;
    assert_server_holds(&server, &cast, &finished).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_hit_opens_the_document_at_its_section() {
    let (_data, server, cast) = Cast::on_new_server().await;
    // A long statement: twelve sections of a long paragraph each; one word only in the ninth.
    let client = cast.client(&server, Role::Owner).await;
    let handle = client.find(cast.statement).await.expect("the statement");
    let filler = "Wir sprechen miteinander und hören einander zu. ".repeat(12);
    handle
        .try_change(|tx| {
            let text = agora_client::text_object(tx).expect("a text");
            for number in 1..=12 {
                let extra = if number == 9 { "Leuchtturm. " } else { "" };
                append_block(tx, &text, "heading", &format!("Abschnitt {number}"))?;
                append_block(tx, &text, "paragraph", &format!("{extra}{filler}"))?;
            }
            Ok::<_, automerge::AutomergeError>(())
        })
        .unwrap();
    handle.wait_synced(Duration::from_secs(10)).await.unwrap();
    client.close().await;

    let owner = cast.person(Role::Owner);
    let mut link = None;
    for _ in 0..200 {
        let results: Value = reqwest::Client::new()
            .get(format!("{}/api/search", server.base_url()))
            .query(&[("q", "Leuchtturm")])
            .bearer_auth(&owner.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(hit) = results["hits"].get(0) {
            assert_eq!(hit["heading"], "Abschnitt 9", "{hit}");
            link = Some(format!(
                "/d/{}#section-{}",
                hit["document"].as_str().unwrap(),
                hit["section"]
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let link = link.expect("search finds the ninth section");
    let extra = [
        ("AGORA_LINK", link),
        ("AGORA_HEADING", "Abschnitt 9".to_owned()),
    ];
    let mut browser = BrowserScript::start("section-link.mjs", &server, &cast, &extra);
    let seen = browser.next().await;
    browser.finish().await;
    println!(
        "the link opened the page scrolled to {} px, the heading at {} px",
        seen["scrolled"], seen["top"]
    );
    server.stop().await;
}
