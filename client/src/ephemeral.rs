//! Dropping relayed ephemeral messages we have already seen, as the npm client does
//! (`NetworkSubsystem`): per (sender, session) only a higher `count` is new.

use std::collections::HashMap;

use agora_schema::PeerId;

/// Sessions remembered at most; past that the memory starts over, which at worst lets one
/// duplicate per session through.
const MAX_SESSIONS: usize = 4096;

#[derive(Default)]
pub(crate) struct EphemeralDedup {
    last_count: HashMap<(PeerId, String), u64>,
}

impl EphemeralDedup {
    /// Whether this message is new; remembers it if so.
    pub fn is_new(&mut self, sender: &PeerId, session_id: &str, count: u64) -> bool {
        let key = (sender.clone(), session_id.to_owned());
        match self.last_count.get(&key) {
            Some(&last) if count <= last => false,
            _ => {
                if self.last_count.len() >= MAX_SESSIONS {
                    self.last_count.clear();
                }
                self.last_count.insert(key, count);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_repeats_and_stale_counts_per_session() {
        let mut dedup = EphemeralDedup::default();
        let alice = PeerId::new("alice");
        let bob = PeerId::new("bob");
        assert!(dedup.is_new(&alice, "s1", 1));
        assert!(!dedup.is_new(&alice, "s1", 1));
        assert!(dedup.is_new(&alice, "s1", 3));
        assert!(!dedup.is_new(&alice, "s1", 2));
        assert!(dedup.is_new(&alice, "s2", 1));
        assert!(dedup.is_new(&bob, "s1", 1));
    }
}
