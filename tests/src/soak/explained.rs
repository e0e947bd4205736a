//! The complaints a soak run expects, on either side, each with the reason it is expected. A
//! WARN or ERROR line of any other kind fails the run.

/// A kind of log line: its level and the start of its message.
pub struct Explained {
    pub level: &'static str,
    pub message: &'static str,
    pub why: &'static str,
    /// A numeric field that must stay within a bound for the explanation to hold.
    pub within: Option<Bound>,
}

pub struct Bound {
    pub field: &'static str,
    pub at_most: f64,
}

impl Explained {
    /// Whether a line of `level` and `message` is of this kind.
    pub fn is_kind_of(&self, level: &str, message: &str) -> bool {
        self.level.eq_ignore_ascii_case(level) && message.starts_with(self.message)
    }

    /// Whether such a line, with the JSON `fields` (if any), is within the bound.
    pub fn matches(&self, level: &str, message: &str, fields: Option<&serde_json::Value>) -> bool {
        let within = self.within.as_ref().is_none_or(|bound| {
            fields
                .and_then(|fields| fields[bound.field].as_f64())
                .is_some_and(|value| value <= bound.at_most)
        });
        self.is_kind_of(level, message) && within
    }
}

/// The server's WARN and ERROR lines that a run with kills, cuts and slow readers explains.
pub const SERVER: &[Explained] = &[
    Explained {
        level: "WARN",
        message: "couldn't find segment in SegmentManager",
        why: "tantivy (the search index): a background merge ended after a commit had dropped \
              one of its segments, every section in it having been replaced meanwhile; tantivy \
              discards that merge. The index is derived data and loses nothing",
        within: None,
    },
    Explained {
        level: "WARN",
        message: "segment_ids: ",
        why: "tantivy's first line about the same discarded merge: the segments it merged and \
              those that remain",
        within: None,
    },
    Explained {
        level: "WARN",
        message: "slow statement: execution time exceeded alert threshold",
        why: "sqlx names a statement that took over a second. Every append waits for its fsync \
              (`--sqlite-synchronous full`) and SQLite takes one writer at a time, so when the \
              disk is busy (a checkpoint, other programs) an append waits behind others; \
              explained up to 5 s, beyond that it fails the run",
        within: Some(Bound {
            field: "elapsed_secs",
            at_most: 5.0,
        }),
    },
];

/// The client library's WARN and ERROR lines the run explains.
pub const CLIENT: &[Explained] = &[Explained {
    level: "WARN",
    message: "connection lost",
    why: "the proxy reset the connection, or the server was killed or stopped; the client \
          reconnects and sends what the server lacks",
    within: None,
}];

/// The kind a line of `level` and `message` belongs to, whatever its fields.
pub fn kind_of<'a>(list: &'a [Explained], level: &str, message: &str) -> Option<&'a Explained> {
    list.iter()
        .find(|explained| explained.is_kind_of(level, message))
}

/// Whether a line of `level` is a complaint that needs explaining.
pub fn is_complaint(level: &str) -> bool {
    level.eq_ignore_ascii_case("WARN") || level.eq_ignore_ascii_case("ERROR")
}

pub fn explain<'a>(
    list: &'a [Explained],
    level: &str,
    message: &str,
    fields: Option<&serde_json::Value>,
) -> Option<&'a Explained> {
    list.iter()
        .find(|explained| explained.matches(level, message, fields))
}
