use automerge::ReadDoc;

use super::*;

fn trace(start: &str, txns: &[&[(usize, usize, &str)]], end: &str) -> Trace {
    Trace {
        start_content: start.to_owned(),
        end_content: end.to_owned(),
        txns: txns
            .iter()
            .map(|patches| TraceTxn {
                patches: patches
                    .iter()
                    .map(|(pos, del, ins)| TracePatch(*pos, *del, (*ins).to_owned()))
                    .collect(),
            })
            .collect(),
    }
}

fn local_text(trace: &Trace, batch: usize) -> String {
    let doc = replay_local(trace, batch).unwrap();
    let text = text_object(&doc).unwrap();
    doc.text(&text).unwrap()
}

#[test]
fn ascii_positions_stay_as_they_are() {
    let t = trace(
        "",
        &[&[(0, 0, "hello")], &[(5, 0, "!")], &[(0, 1, "H")]],
        "Hello!",
    );
    let txns = t.utf16_txns().unwrap();
    assert_eq!(
        txns[2],
        vec![Splice {
            pos: 0,
            del: 1,
            insert: "H".to_owned()
        }]
    );
    assert_eq!(local_text(&t, 1), "Hello!");
}

#[test]
fn positions_after_emoji_count_two_units_and_umlauts_one() {
    // "ä😀b": ä is one UTF-16 unit (U+00E4), 😀 two (U+1F600).
    let t = trace(
        "ä😀b",
        &[
            &[(3, 0, "ü")],
            &[(2, 1, "")],
            &[(1, 1, "🎉x")],
            &[(0, 0, "Ö")],
        ],
        "Öä🎉xü",
    );
    let txns = t.utf16_txns().unwrap();
    assert_eq!((txns[0][0].pos, txns[0][0].del), (4, 0), "after ä😀b");
    assert_eq!((txns[1][0].pos, txns[1][0].del), (3, 1), "delete b");
    assert_eq!((txns[2][0].pos, txns[2][0].del), (1, 2), "replace 😀");
    assert_eq!((txns[3][0].pos, txns[3][0].del), (0, 0));
    assert_eq!(local_text(&t, 1), "Öä🎉xü");
    assert_eq!(local_text(&t, 3), "Öä🎉xü");
}

#[test]
fn patches_in_one_transaction_apply_in_order() {
    let t = trace("", &[&[(0, 0, "ab😀"), (3, 0, "c"), (1, 1, "")]], "a😀c");
    assert_eq!(t.utf16_txns().unwrap()[0][1].pos, 4);
    assert_eq!(local_text(&t, 1), "a😀c");
}

#[test]
fn a_patch_past_the_end_is_an_error() {
    let t = trace("ab", &[&[(1, 5, "")]], "");
    assert!(matches!(t.utf16_txns(), Err(ClientError::Trace(_))));
}

#[test]
fn parses_the_published_format() {
    let json = br#"{"startContent":"","endContent":"hi","txns":[{"time":"2021-04-19T06:06:58.219Z","patches":[[0,0,"hi"]]}]}"#;
    let t = Trace::from_json(json).unwrap();
    assert_eq!(t.patch_count(), 1);
    assert_eq!(local_text(&t, 1), "hi");
}
