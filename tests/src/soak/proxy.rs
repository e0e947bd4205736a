//! A TCP relay between the clients and the server that cuts connections the way a network does:
//! both sockets reset at once, mid-stream, with no WebSocket close on either side. The client
//! library has no way to sever its own socket, and a reset is what a dropped Wi-Fi, a NAT
//! timeout or a load balancer's restart look like to both ends.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rand::Rng;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::tally::lock;

pub struct CuttingProxy {
    addr: SocketAddr,
    /// The open relays, each with the token that cuts it; a relay removes itself when it ends.
    live: Arc<Mutex<HashMap<u64, CancellationToken>>>,
    /// Ends the accept loop and every relay when the proxy is dropped.
    stop: CancellationToken,
}

impl CuttingProxy {
    /// Listens on a free loopback port and relays each connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let live = Arc::new(Mutex::new(HashMap::new()));
        let stop = CancellationToken::new();
        tokio::spawn(accept(listener, upstream, live.clone(), stop.clone()));
        Ok(Self { addr, live, stop })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Resets one open connection chosen at random; false when none is open.
    pub fn cut_one(&self, rng: &mut impl Rng) -> bool {
        let live = lock(&self.live);
        if live.is_empty() {
            return false;
        }
        let chosen = rng.random_range(0..live.len());
        live.values().nth(chosen).map(CancellationToken::cancel);
        true
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn accept(
    listener: TcpListener,
    upstream: SocketAddr,
    live: Arc<Mutex<HashMap<u64, CancellationToken>>>,
    stop: CancellationToken,
) {
    let next = AtomicU64::new(0);
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((client, _)) = accepted else { continue };
        let id = next.fetch_add(1, Ordering::Relaxed);
        let cut = stop.child_token();
        lock(&live).insert(id, cut.clone());
        let live = live.clone();
        tokio::spawn(async move {
            relay(client, upstream, cut).await;
            lock(&live).remove(&id);
        });
    }
}

/// Copies both ways until either side closes, or resets both sockets when cut.
async fn relay(mut client: TcpStream, upstream: SocketAddr, cut: CancellationToken) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        // The server is away (killed, restarting): the client sees its connection reset.
        let _ = client.set_zero_linger();
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = cut.cancelled() => {
            // Closing with a zero linger time sends RST instead of FIN: an abrupt end.
            let _ = client.set_zero_linger();
            let _ = server.set_zero_linger();
        }
    }
}
