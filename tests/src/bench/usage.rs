//! What a stretch of a workload cost: the server's CPU and this bench process's (the clients,
//! on the same cores), and the protocol messages the server received and sent, as counted by
//! the clients (the Node server reports none of its own).

use std::time::Duration;

use agora_client::Client;
use tokio::time::Instant;

use super::process::CpuTime;
use super::BenchServer;

/// The counters at one instant.
pub struct Mark {
    at: Instant,
    server: Option<CpuTime>,
    bench: CpuTime,
    /// Messages the clients sent (the server received) and received (the server sent).
    to_server: u64,
    from_server: u64,
}

/// The difference between two marks.
pub struct Usage {
    pub wall: Duration,
    /// `None` when the server's CPU is not known (several processes serve).
    pub server_cores: Option<f64>,
    pub bench_cores: f64,
    pub to_server_per_second: f64,
    pub from_server_per_second: f64,
}

impl Mark {
    /// Reads the counters of `server` and of `clients` (all the connections of the workload).
    pub fn now<'a>(
        server: Option<&BenchServer>,
        clients: impl IntoIterator<Item = &'a Client>,
    ) -> anyhow::Result<Mark> {
        let (mut to_server, mut from_server) = (0, 0);
        for client in clients {
            to_server += client.messages_sent();
            from_server += client.messages_received();
        }
        Ok(Mark {
            at: Instant::now(),
            server: server.map(BenchServer::cpu_time).transpose()?,
            bench: CpuTime::of_self()?,
            to_server,
            from_server,
        })
    }

    /// What was used from `earlier` to this mark.
    pub fn since(&self, earlier: &Mark) -> Usage {
        let wall = self.at.saturating_duration_since(earlier.at);
        let rate = |now: u64, then: u64| {
            now.saturating_sub(then) as f64 / wall.as_secs_f64().max(f64::EPSILON)
        };
        Usage {
            wall,
            server_cores: match (self.server, earlier.server) {
                (Some(now), Some(then)) => Some(now.cores_since(then, wall)),
                _ => None,
            },
            bench_cores: self.bench.cores_since(earlier.bench, wall),
            to_server_per_second: rate(self.to_server, earlier.to_server),
            from_server_per_second: rate(self.from_server, earlier.from_server),
        }
    }
}

impl Usage {
    pub fn server_cores(&self) -> String {
        self.server_cores
            .map_or_else(|| "—".to_owned(), |cores| format!("{cores:.2}"))
    }

    pub fn bench_cores(&self) -> String {
        format!("{:.2}", self.bench_cores)
    }

    pub fn to_server_per_second(&self) -> String {
        format!("{:.0}", self.to_server_per_second)
    }

    pub fn from_server_per_second(&self) -> String {
        format!("{:.0}", self.from_server_per_second)
    }
}
