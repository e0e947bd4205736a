//! End-to-end tests against real `agora` processes, real clients and a real browser, linked
//! into one test binary so that the suite builds and links once.
//!
//! - `protocol_faults`, `peer_faults`, `fuzz_connection`: bad input and misbehaving peers on
//!   `/sync`, the last as property tests over arbitrary frames
//! - `resting_connections`: quiet connections rest without a task and wake for what concerns
//!   them
//! - `websocket_faults`: the WebSocket layer by hand: bad upgrades, forbidden frames, fragments
//! - `convergence`, `trace_replay`, `find_again`, `crash`: editing together and surviving restarts
//! - `soak`: a short soak run: many clients, disconnects, slow readers and kill -9 together
//! - `npm_interop`: the official npm client against the server
//! - `permission_matrix`, `sync_permissions`, `access_changes`, `organisations_apart`,
//!   `hostile_input`, `accounts`: identity and access
//! - `browser_editing`: co-writing in headless chromium
//! - `search`: search through pages, API and command line
//! - `store_backends`, `cluster`: SQLite and PostgreSQL alike; several instances on PostgreSQL
//! - `operations`: metrics, health and readiness, JSON logs, limits
//! - `backup`: `agora backup` and `agora restore` while clients type, across both databases

mod access_changes;
mod accounts;
mod backup;
mod browser_editing;
mod cluster;
mod convergence;
mod crash;
mod find_again;
mod fuzz_connection;
mod hostile_input;
mod npm_interop;
mod operations;
mod organisations_apart;
mod peer_faults;
mod permission_matrix;
mod protocol_faults;
mod resting_connections;
mod search;
mod soak;
mod store_backends;
mod sync_permissions;
mod trace_replay;
mod websocket_faults;
