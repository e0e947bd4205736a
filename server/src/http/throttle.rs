//! Slows down guessing of passwords: sign-in attempts are limited per email address and per
//! client address, each on its own budget.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

pub struct LoginThrottle {
    by_email: DefaultKeyedRateLimiter<String>,
    by_address: DefaultKeyedRateLimiter<String>,
}

impl LoginThrottle {
    /// `per_minute` attempts per email and per address, refilled evenly over the minute.
    pub fn new(per_minute: NonZeroU32) -> Self {
        let quota = Quota::per_minute(per_minute);
        Self {
            by_email: DefaultKeyedRateLimiter::keyed(quota),
            by_address: DefaultKeyedRateLimiter::keyed(quota),
        }
    }

    /// Counts one attempt; `Err` says how long to wait when either budget is spent.
    pub fn attempt(&self, email: &str, address: &str) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        let email = email.trim().to_lowercase();
        for (limiter, key) in [
            (&self.by_email, email),
            (&self.by_address, address.to_owned()),
        ] {
            if let Err(not_until) = limiter.check_key(&key) {
                return Err(not_until.wait_time_from(clock.now()));
            }
        }
        // Keys of the past are forgotten now and then, so the maps do not grow without bound.
        if self.by_email.len() > 10_000 {
            self.by_email.retain_recent();
            self.by_address.retain_recent();
        }
        Ok(())
    }
}
