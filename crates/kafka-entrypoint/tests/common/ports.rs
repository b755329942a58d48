//! Free TCP ports for the brokers the tests start, shared by the real-Kafka and the fixture
//! harnesses.

use std::net::TcpListener;

/// A free TCP port on 127.0.0.1 (see [`free_ports`]).
pub(crate) fn free_port() -> u16 {
    free_ports(1)[0]
}

/// `count` distinct free TCP ports on 127.0.0.1, all held until every one is picked so none
/// repeats (two calls of [`free_port`] may give the same port twice); free again when this
/// returns (another process could take one, as with any test).
pub(crate) fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1"))
        .collect();
    listeners
        .iter()
        .map(|listener| listener.local_addr().expect("a bound address").port())
        .collect()
}
