//! The complaints a soak run expects, on either side, each with the reason it is expected. A
//! WARN or ERROR line of any other kind fails the run.

/// A kind of log line: its level and the start of its message.
pub struct Explained {
    pub level: &'static str,
    pub message: &'static str,
    pub why: &'static str,
}

impl Explained {
    pub fn matches(&self, level: &str, message: &str) -> bool {
        self.level.eq_ignore_ascii_case(level) && message.starts_with(self.message)
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
    },
    Explained {
        level: "WARN",
        message: "segment_ids: ",
        why: "tantivy's first line about the same discarded merge: the segments it merged and \
              those that remain",
    },
];

/// The client library's WARN and ERROR lines the run explains.
pub const CLIENT: &[Explained] = &[Explained {
    level: "WARN",
    message: "connection lost",
    why: "the proxy reset the connection, or the server was killed or stopped; the client \
          reconnects and sends what the server lacks",
}];

/// Whether a line of `level` is a complaint that needs explaining.
pub fn is_complaint(level: &str) -> bool {
    level.eq_ignore_ascii_case("WARN") || level.eq_ignore_ascii_case("ERROR")
}

pub fn explain<'a>(list: &'a [Explained], level: &str, message: &str) -> Option<&'a Explained> {
    list.iter()
        .find(|explained| explained.matches(level, message))
}
