//! What one account and one connection may use: open connections per account (on this
//! instance), and messages per second per connection. Reaching a limit is a clear refusal, never
//! a silent slowdown.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::{DefaultDirectRateLimiter, Quota};

use crate::directory::AccountId;

/// Open connections per account.
#[derive(Default)]
pub struct AccountConnections {
    open: Mutex<HashMap<AccountId, usize>>,
}

/// One admitted connection; it leaves the count when dropped.
pub struct Admitted {
    account: AccountId,
    counts: Arc<AccountConnections>,
}

impl AccountConnections {
    /// Counts one more connection for `account`, unless it has `limit` open already.
    pub fn admit(self: &Arc<Self>, account: AccountId, limit: usize) -> Option<Admitted> {
        let mut open = self.open.lock().expect("connection counts lock");
        let count = open.entry(account).or_default();
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(Admitted {
            account,
            counts: self.clone(),
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().expect("connection counts lock");
        if let Some(count) = open.get_mut(&self.account) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.account);
            }
        }
    }
}

/// Messages one connection may send: `per_second` on average, with bursts of four seconds'
/// worth, and at least 1000 at once (a client opening that many documents asks for each).
pub struct MessageRate(DefaultDirectRateLimiter);

const MIN_BURST: u32 = 1000;

impl MessageRate {
    pub fn new(per_second: NonZeroU32) -> Self {
        let burst = per_second.saturating_mul(NonZeroU32::new(4).expect("four"));
        let burst = burst.max(NonZeroU32::new(MIN_BURST).expect("a positive burst"));
        Self(DefaultDirectRateLimiter::direct(
            Quota::per_second(per_second).allow_burst(burst),
        ))
    }

    /// Counts one message; false when the connection sends faster than it may.
    pub fn allow(&self) -> bool {
        self.0.check().is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_gets_its_limit_of_connections_and_a_closed_one_frees_its_place() {
        let counts = Arc::new(AccountConnections::default());
        let (ada, bo) = (AccountId(1), AccountId(2));
        let first = counts.admit(ada, 2).unwrap();
        let _second = counts.admit(ada, 2).unwrap();
        assert!(counts.admit(ada, 2).is_none());
        assert!(counts.admit(bo, 2).is_some(), "others have their own count");
        drop(first);
        let _third = counts.admit(ada, 2).expect("the freed place");
        assert!(counts.admit(ada, 2).is_none());
    }

    #[test]
    fn a_burst_passes_and_a_flood_does_not() {
        let rate = MessageRate::new(NonZeroU32::new(10).unwrap());
        assert!((0..MIN_BURST).all(|_| rate.allow()));
        assert!(!rate.allow());
    }
}
