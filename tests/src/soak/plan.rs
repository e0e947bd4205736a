//! What a soak run does and for how long: the options (the bench's command line, or a test's),
//! the server's limits during the run, and the schedule of kills and memory measurements.

use std::time::Duration;

use clap::{Args, Parser};
use rand::Rng;

/// `agora serve` options for the run. Lag limit and pong timeout are shortened (30 s and 40 s
/// by default) so that a stalled reader's fate is decided within seconds and a short run sees it;
/// a document unloads 2 s after its last peer left (60 s by default), so the server is idle, and
/// its memory can be read, soon after the clients leave. Everything else is as shipped.
pub const SERVER_OPTIONS: [&str; 8] = [
    "--lag-limit",
    "3s",
    "--ping-every",
    "1s",
    "--pong-timeout",
    "5s",
    "--idle-unload",
    "2s",
];

/// The same limits as durations, for the slow readers' expectations.
pub const LAG_LIMIT: Duration = Duration::from_secs(3);
pub const PONG_TIMEOUT: Duration = Duration::from_secs(5);

/// Share of the editing time with kills; the last kill falls before `LAST_KILL_BY` of it. The
/// rest is rounds without kills on the process that survived.
const CHAOS_SHARE: f64 = 0.5;
const FIRST_KILL_FROM: f64 = 0.15;
const LAST_KILL_BY: f64 = 0.8;

#[derive(Debug, Clone, Args)]
pub struct SoakOptions {
    /// Editing time, e.g. `30m`, `90s` or `45` (seconds); set-up, the pause for the memory
    /// baseline and the final checks come on top.
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub duration: Duration,
    /// Documents edited, each created at the start.
    #[arg(long, default_value_t = 20)]
    pub documents: usize,
    /// Clients that type into a few documents each, at human speed.
    #[arg(long, default_value_t = 30)]
    pub editors: usize,
    /// Documents each editor works on.
    #[arg(long, default_value_t = 3)]
    pub documents_per_editor: usize,
    /// Clients that only follow a few documents.
    #[arg(long, default_value_t = 10)]
    pub readers: usize,
    /// Slow readers connected at any moment.
    #[arg(long, default_value_t = 2)]
    pub slow_readers: usize,
    /// `kill -9` of the server during the run; by default one per three minutes, at least two.
    #[arg(long)]
    pub kills: Option<usize>,
    /// How long a client stays, on average, before it leaves and another takes its place.
    #[arg(long, default_value = "90s", value_parser = parse_duration)]
    pub mean_stay: Duration,
    /// Mean time between two connections cut at the TCP level.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub mean_cut_every: Duration,
    /// Rounds after the kills, each ended by every client leaving and the idle server's memory
    /// read: the first sets the baseline, the last the end, those between show the trend.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(2..))]
    pub rounds: u32,
    /// Seed of every random choice; random when not given (the report shows it).
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Parser)]
struct OptionsOnly {
    #[command(flatten)]
    options: SoakOptions,
}

impl SoakOptions {
    /// Options as the bench's command line gives them, e.g. `["--duration", "30s"]`.
    pub fn from_args(args: &[&str]) -> Result<Self, clap::Error> {
        let args = std::iter::once("soak").chain(args.iter().copied());
        OptionsOnly::try_parse_from(args).map(|parsed| parsed.options)
    }

    pub fn kill_count(&self) -> usize {
        self.kills
            .unwrap_or_else(|| (self.duration.as_secs() / 180).max(2) as usize)
    }
}

/// When things happen, as offsets from the start of the editing.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Editing with kills, the first part of the run.
    pub chaos: Duration,
    /// The kills, as offsets into the chaos part, in order.
    pub kills: Vec<Duration>,
    /// The rounds after it, with every fault but kills.
    pub rounds: Vec<Duration>,
}

impl Schedule {
    /// Kills spread over the chaos part, one at a random moment in each of equal slots.
    pub fn new(options: &SoakOptions, rng: &mut impl Rng) -> Self {
        let chaos = options.duration.mul_f64(CHAOS_SHARE);
        let first = chaos.mul_f64(FIRST_KILL_FROM);
        let count = options.kill_count();
        let slot = chaos.mul_f64(LAST_KILL_BY - FIRST_KILL_FROM) / count.max(1) as u32;
        let kills = (0..count)
            .map(|i| first + slot * i as u32 + slot.mul_f64(rng.random_range(0.1..0.9)))
            .collect();
        let steady = options.duration.saturating_sub(chaos);
        Self {
            chaos,
            kills,
            rounds: vec![steady / options.rounds; options.rounds as usize],
        }
    }
}

/// `30m`, `90s`, `1.5h` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let unit_at = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(unit_at);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30m, 90s or 45"))?;
    let seconds = match unit.trim() {
        "" | "s" | "sec" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit `{other}` in `{text}`: use s, m or h")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_or_minutes() {
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3d").is_err());
    }

    #[test]
    fn kills_fall_in_the_chaos_part_in_order() {
        let options = SoakOptions::from_args(&["--duration", "30m"]).unwrap();
        assert_eq!(options.kill_count(), 10);
        let schedule = Schedule::new(&options, &mut crate::editing::rng(1));
        assert_eq!(schedule.kills.len(), 10);
        assert!(schedule.kills.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(*schedule.kills.last().unwrap() < schedule.chaos.mul_f64(LAST_KILL_BY));
        let rounds: Duration = schedule.rounds.iter().sum();
        assert_eq!(schedule.chaos + rounds, options.duration);
    }
}
