//! Search through the server: word forms in German and Danish find their texts and nothing
//! else; every role finds exactly what it may read; an edit is found within a second; a
//! deleted index comes back whole after a restart.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use agora_schema::DocumentId;
use agora_server::statements;
use agora_tests::browser::Browser;
use agora_tests::people::{Cast, Role, ROLES};
use agora_tests::TestServer;
use serde_json::Value;

/// Creates a statement owned by `role`'s first organisation and writes `text` into it through
/// a Rust client, as people write.
async fn statement(
    server: &TestServer,
    cast: &Cast,
    role: Role,
    title: &str,
    language: &str,
    text: &str,
) -> DocumentId {
    let person = cast.person(role);
    let organisation = server
        .state
        .directory
        .home_organisation(person.account.account_id)
        .await
        .unwrap()
        .expect("a home organisation");
    let info = statements::create(
        &server.state,
        &person.account,
        organisation,
        title,
        language,
    )
    .await
    .expect("create a statement");
    let client = cast.client(server, role).await;
    let handle = client.find(info.document_id).await.expect("find it");
    handle.append_text(text).unwrap();
    handle.wait_synced(Duration::from_secs(10)).await.unwrap();
    client.close().await;
    info.document_id
}

/// The documents `role` finds for `query`.
async fn found(server: &TestServer, cast: &Cast, role: Role, query: &str) -> BTreeSet<String> {
    documents_of(&search(server, cast, role, query).await)
}

async fn search(server: &TestServer, cast: &Cast, role: Role, query: &str) -> Value {
    search_with(server, cast, role, &[("q", query)]).await
}

/// A search with more parameters than the words (filters, sort).
async fn search_with(
    server: &TestServer,
    cast: &Cast,
    role: Role,
    parameters: &[(&str, &str)],
) -> Value {
    let query = parameters
        .iter()
        .find(|(name, _)| *name == "q")
        .map_or("", |(_, value)| *value);
    let response = reqwest::Client::new()
        .get(format!("{}/api/search", server.base_url()))
        .query(parameters)
        .query(&[("limit", "100")])
        .bearer_auth(&cast.person(role).token)
        .send()
        .await
        .expect("search");
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.expect("JSON results")
}

/// The documents among the results' hits.
fn documents_of(results: &Value) -> BTreeSet<String> {
    results["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|hit| hit["document"].as_str().unwrap().to_owned())
        .collect()
}

/// `value → count` of one facet in the results.
fn facet_counts(results: &Value, facet: &str) -> BTreeMap<String, u64> {
    results["facets"]
        .as_array()
        .expect("facets")
        .iter()
        .filter(|count| count["facet"] == facet)
        .map(|count| {
            (
                count["value"].as_str().unwrap().to_owned(),
                count["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Waits (bounded) until `role` finds exactly `expected` for `query`.
async fn finds(
    server: &TestServer,
    cast: &Cast,
    role: Role,
    query: &str,
    expected: &[DocumentId],
) -> Duration {
    let expected: BTreeSet<String> = expected.iter().map(ToString::to_string).collect();
    let started = Instant::now();
    loop {
        let got = found(server, cast, role, query).await;
        if got == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{role:?} searching {query:?} found {got:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn word_forms_find_their_texts_and_nothing_else() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let owner = Role::Owner;
    let customers = statement(
        &server,
        &cast,
        owner,
        "Leitbild",
        "de",
        "Unsere Kund*innenorientierung: Wir hören den Kund*innen zu und nehmen ihre Wünsche ernst.",
    )
    .await;
    let assessment = statement(
        &server,
        &cast,
        owner,
        "Prüfung",
        "de",
        "Die Begutachtung durch den Medizinischen Dienst erfolgt einmal im Jahr.",
    )
    .await;
    let nights = statement(
        &server,
        &cast,
        owner,
        "Dienstplan",
        "de",
        "Nachtschichten werden immer von zwei Fachkräften besetzt.",
    )
    .await;
    let street = statement(
        &server,
        &cast,
        owner,
        "Anfahrt",
        "de",
        "Die Straße vor dem Haus ist verkehrsberuhigt.",
    )
    .await;
    let families = statement(
        &server,
        &cast,
        owner,
        "Tilbud",
        "da",
        "Plejefamilierne får supervision hver måned af en erfaren konsulent.",
    )
    .await;
    let citizen = statement(
        &server,
        &cast,
        owner,
        "Handleplan",
        "da",
        "Borgeren inddrages altid i arbejdet med sin handleplan.",
    )
    .await;
    let unrelated = statement(
        &server,
        &cast,
        owner,
        "Küche",
        "de",
        "Der Speiseplan wird wöchentlich mit dem Heimbeirat abgestimmt.",
    )
    .await;
    let staff = statement(
        &server,
        &cast,
        owner,
        "Team",
        "de",
        "Unsere Mitarbeiter:innen begleiten die Bewohner_innen und führen Angehörigengespräche.",
    )
    .await;
    let participation = statement(
        &server,
        &cast,
        owner,
        "Teilhabe",
        "de",
        "Die Teilhabe am Leben in der Gemeinschaft ist Ziel unseres Leitbildes.",
    )
    .await;
    let supervision = statement(
        &server,
        &cast,
        owner,
        "Tilsyn",
        "da",
        "Socialtilsynet besøger botilbuddet, og medarbejderne taler med beboernes pårørende.",
    )
    .await;

    for (query, expected) in [
        ("Kundenorientierung", vec![customers]),
        ("Kunden", vec![customers]),
        ("KundInnen", vec![customers]),
        ("Gutachten", vec![assessment]),
        ("Nachtschicht", vec![nights]),
        ("Fachkraft", vec![nights]),
        ("Strasse", vec![street]),
        ("STRASSE", vec![street]),
        ("plejefamilie", vec![families]),
        ("plejefamilier", vec![families]),
        ("borgere", vec![citizen]),
        ("handleplanen", vec![citizen]),
        ("\"zwei Fachkräften\"", vec![nights]),
        ("Speise*", vec![unrelated]),
        ("Heimbeirat -Speiseplan", vec![]),
        ("Mitarbeiterinnen", vec![staff]),
        ("Mitarbeiter", vec![staff]),
        ("Bewohnerin", vec![staff]),
        ("Bewohner*innen", vec![staff]),
        ("Angehörigengespräch", vec![staff]),
        ("Gespräche", vec![staff]),
        ("Leitbild", vec![customers, participation]),
        ("Gemeinschaft Teilhabe", vec![participation]),
        ("socialtilsyn", vec![supervision]),
        ("botilbud", vec![supervision]),
        ("medarbejder", vec![supervision]),
        ("beboerne", vec![supervision]),
        ("Parorende", vec![supervision]),
        ("Plejefamilie supervision", vec![families]),
        ("Elefant", vec![]),
        ("Gemeinschaft Elefant", vec![]),
    ] {
        finds(&server, &cast, owner, query, &expected).await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_finds_exactly_what_it_may_read() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let word = "Zauberwort";
    // The cast's statement of A (every role but the outsider has a role on it), the outsider's
    // statement of B, and an internal statement of A that nobody was given.
    for id in [cast.statement, cast.statement_b] {
        let client = cast
            .client(
                &server,
                if id == cast.statement {
                    Role::Owner
                } else {
                    Role::OtherOrganisation
                },
            )
            .await;
        let handle = client.find(id).await.unwrap();
        handle
            .append_text(&format!(" Das {word} steht hier."))
            .unwrap();
        handle.wait_synced(Duration::from_secs(10)).await.unwrap();
        client.close().await;
    }
    let internal = statement(
        &server,
        &cast,
        Role::Admin,
        "Intern",
        "de",
        &format!("Nur für die Leitung: {word}."),
    )
    .await;

    for role in ROLES.into_iter().filter(|role| *role != Role::Anonymous) {
        let readable: BTreeSet<DocumentId> = server
            .state
            .directory
            .documents_for(cast.person(role).account.account_id)
            .await
            .unwrap()
            .into_iter()
            .map(|listed| listed.info.document_id)
            .collect();
        let expected: Vec<DocumentId> = [cast.statement, cast.statement_b, internal]
            .into_iter()
            .filter(|id| readable.contains(id))
            .collect();
        finds(&server, &cast, role, word, &expected).await;
        // Counts and facets know only the readable hits too.
        let results = search(&server, &cast, role, word).await;
        assert_eq!(results["total"], expected.len(), "{role:?}");
        let kind_count: u64 = facet_counts(&results, "kind").values().sum();
        assert_eq!(kind_count as usize, expected.len(), "{role:?}: {results}");
        // Neither a phrase nor a prefix nor a filter reaches further.
        for query in ["\"Das Zauberwort\"", "Zauber*", "Zauberwort -Leitung"] {
            let got = found(&server, &cast, role, query).await;
            assert!(
                got.iter()
                    .all(|id| readable.iter().any(|r| r.to_string() == *id)),
                "{role:?} {query}: {got:?}"
            );
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facets_narrow_by_team_author_and_year_and_hits_point_at_their_section() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let admin = Role::Admin;
    // The cast's statement is Olga's and shared with the team "Wohngruppe Ost"; Ada writes
    // another, whose second section holds the word.
    let client = cast.client(&server, Role::Owner).await;
    let handle = client.find(cast.statement).await.unwrap();
    handle.append_text(" Übergaben sind verbindlich.").unwrap();
    handle.wait_synced(Duration::from_secs(10)).await.unwrap();
    client.close().await;
    let adas = statement(&server, &cast, admin, "Dienstzeiten", "de", "Vorwort").await;
    let client = cast.client(&server, admin).await;
    let handle = client.find(adas).await.unwrap();
    handle
        .try_change(|tx| {
            let text = agora_client::text_object(tx).expect("a text");
            agora_tests::editing::append_block(tx, &text, "heading", "Übergabe am Morgen")?;
            agora_tests::editing::append_block(
                tx,
                &text,
                "paragraph",
                "Übergaben dauern zehn Minuten.",
            )
        })
        .unwrap();
    handle.wait_synced(Duration::from_secs(10)).await.unwrap();
    client.close().await;
    finds(&server, &cast, admin, "Übergabe", &[cast.statement, adas]).await;

    let everything = search(&server, &cast, admin, "Übergabe").await;
    let year = time::OffsetDateTime::now_utc().year().to_string();
    assert_eq!(
        facet_counts(&everything, "team"),
        BTreeMap::from([("Wohngruppe Ost".to_owned(), 1)])
    );
    assert_eq!(
        facet_counts(&everything, "author"),
        BTreeMap::from([("Ada Admin".to_owned(), 1), ("Olga Owner".to_owned(), 1)])
    );
    assert_eq!(
        facet_counts(&everything, "year"),
        BTreeMap::from([(year.clone(), 2)])
    );
    let only = |id: DocumentId| BTreeSet::from([id.to_string()]);
    for (filter, expected) in [
        (("team", "Wohngruppe Ost"), only(cast.statement)),
        (("author", "Ada Admin"), only(adas)),
        (("year", year.as_str()), documents_of(&everything)),
        (("year", "1999"), BTreeSet::new()),
        (("kind", "statement"), documents_of(&everything)),
        (("area", "Partizipation"), BTreeSet::new()),
    ] {
        let results = search_with(&server, &cast, admin, &[("q", "Übergabe"), filter]).await;
        assert_eq!(documents_of(&results), expected, "{filter:?}");
    }
    // Ada's hit is the section under her heading, and its link opens it there.
    let hit = everything["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|hit| hit["document"] == adas.to_string())
        .expect("Ada's statement");
    assert_eq!(hit["section"], 1, "{hit}");
    assert_eq!(hit["heading"], "Übergabe am Morgen", "{hit}");
    let mut browser = Browser::signed_in(&server.base_url(), &cast.person(admin).session);
    let page = browser.get("/search?q=%C3%9Cbergabe").await;
    assert!(
        page.body.contains(&format!("/d/{adas}#section-1")),
        "{}",
        page.body
    );

    // Sharing Ada's statement with the team puts it under the team too.
    let team = server
        .state
        .directory
        .teams(cast.organisation_a.organisation_id)
        .await
        .unwrap()
        .into_iter()
        .find(|team| team.name == "Wohngruppe Ost")
        .unwrap();
    browser
        .post(
            &format!("/d/{adas}/share"),
            &[("team", &team.team_id.to_string()), ("role", "reader")],
        )
        .await;
    let started = Instant::now();
    loop {
        let results = search_with(
            &server,
            &cast,
            admin,
            &[("q", "Übergabe"), ("team", "Wohngruppe Ost")],
        )
        .await;
        if documents_of(&results) == documents_of(&everything) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "sharing with the team did not reach the index: {results}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_is_found_within_a_second() {
    let (_data, server, cast) = Cast::on_new_server().await;
    finds(&server, &cast, Role::Editor, "Bereitschaftsdienst", &[]).await;
    let client = cast.client(&server, Role::Editor).await;
    let handle = client.find(cast.statement).await.unwrap();
    handle
        .append_text(" Der Bereitschaftsdienst ist nachts erreichbar.")
        .unwrap();
    let written = Instant::now();
    handle.wait_synced(Duration::from_secs(10)).await.unwrap();
    finds(
        &server,
        &cast,
        Role::Editor,
        "Bereitschaftsdienst",
        &[cast.statement],
    )
    .await;
    let took = written.elapsed();
    println!(
        "an edit was found {} ms after it was typed",
        took.as_millis()
    );
    assert!(took < Duration::from_secs(1), "found after {took:?}");
    client.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_index_is_rebuilt_whole_at_start() {
    let (data, server, cast) = Cast::on_new_server().await;
    let mut written = vec![cast.statement];
    for (title, text) in [
        ("Eins", "Ankerwort im ersten Text."),
        ("Zwei", "Ankerwort im zweiten Text."),
    ] {
        written.push(statement(&server, &cast, Role::Owner, title, "de", text).await);
    }
    let client = cast.client(&server, Role::Owner).await;
    let handle = client.find(cast.statement).await.unwrap();
    handle.append_text(" Ankerwort auch hier.").unwrap();
    handle.wait_synced(Duration::from_secs(10)).await.unwrap();
    client.close().await;
    finds(&server, &cast, Role::Owner, "Ankerwort", &written).await;

    std::fs::remove_dir_all(data.path().join(agora_server::SEARCH_FOLDER)).unwrap();
    let server = server.restart().await;
    finds(&server, &cast, Role::Owner, "Ankerwort", &written).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_client_searches_as_its_token() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let client = cast.client(&server, Role::Editor).await;
    let handle = client.find(cast.statement).await.unwrap();
    handle
        .append_text(" Die Rufbereitschaft ist geregelt.")
        .unwrap();
    handle.wait_synced(Duration::from_secs(10)).await.unwrap();
    client.close().await;
    finds(
        &server,
        &cast,
        Role::Editor,
        "Rufbereitschaft",
        &[cast.statement],
    )
    .await;

    let run = |role: Role| {
        let output = std::process::Command::new(agora_tests::server::built_binary("agora-client"))
            .args([
                "search",
                "Rufbereitschaft",
                "--server",
                &format!("ws://{}/sync", server.addr),
            ])
            .env("AGORA_TOKEN", &cast.person(role).token)
            .output()
            .expect("run agora-client");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let editor = run(Role::Editor);
    assert!(
        editor.contains("«Rufbereitschaft»") && editor.contains(&format!("/d/{}", cast.statement)),
        "{editor}"
    );
    assert!(editor.trim_end().ends_with("1 found"), "{editor}");
    let outsider = run(Role::OtherOrganisation);
    assert_eq!(outsider.trim(), "0 found");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agora_reindex_rebuilds_the_index_and_refuses_while_the_server_runs() {
    let (data, server, cast) = Cast::on_new_server().await;
    let written = statement(
        &server,
        &cast,
        Role::Owner,
        "Neu",
        "de",
        "Ein Wegweiser für neue Kolleg*innen.",
    )
    .await;
    finds(&server, &cast, Role::Owner, "Kollegen", &[written]).await;
    let reindex = || {
        std::process::Command::new(agora_tests::server::agora_binary())
            .args(["reindex", "--data", data.path().to_str().unwrap()])
            .output()
            .expect("run agora reindex")
    };
    let refused = reindex();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("stop the server first"));

    let addr = server.addr;
    server.stop().await;
    let rebuilt = reindex();
    assert!(
        rebuilt.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    let said = String::from_utf8_lossy(&rebuilt.stdout);
    assert!(said.contains("of 3 documents"), "{said}");
    let server = TestServer::start_on(&addr.to_string(), data.path(), &[]).await;
    finds(&server, &cast, Role::Owner, "Kollegen", &[written]).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_queries_get_an_answer_and_nothing_else() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let huge = "Kunde ".repeat(1_000);
    for query in [
        "\"",
        "(((",
        "*",
        "-",
        "-Individuum",
        ":",
        "text:Individuum",
        "document:*",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "\u{0}\u{fffc}",
        huge.as_str(),
    ] {
        let started = Instant::now();
        let results = search(&server, &cast, Role::OtherOrganisation, query).await;
        let found: Vec<&str> = results["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|hit| hit["document"].as_str().unwrap())
            .collect();
        // The outsider can only ever find the statement of its own organisation.
        let own = cast.statement_b.to_string();
        assert!(found.iter().all(|id| *id == own), "{query:.40}: {found:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{query:.40} took {:?}",
            started.elapsed()
        );
    }
    server.stop().await;
}

/// The search benchmark (run on demand, in full) still runs: a slice of the corpus through all
/// five engines, PostgreSQL started in a temporary folder, every query answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_benchmark_runs_on_a_slice_of_the_corpus() {
    use agora_tests::bench::search::{run, EngineKind, SearchOptions};
    run(&SearchOptions {
        corpus: None,
        paragraphs: Some(2_000),
        queries: 20,
        relevance: 5,
        engines: vec![
            EngineKind::Agora,
            EngineKind::AgoraAlways,
            EngineKind::AgoraWords,
            EngineKind::SqliteFts,
            EngineKind::PostgresFts,
        ],
    })
    .await
    .expect("the benchmark runs");
}
