//! Deadlines for slow clients: a connection without a complete request head is closed, a
//! request whose body does not arrive is answered `408`, and an idle keep-alive connection is
//! closed (before, each was held open for as long as the client liked).

use core::time::Duration;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

use examples::serve::Deadlines;

use crate::common::TestEnv;

/// What the server sends on `stream` before it closes it or `wait` passes (then `None`).
fn answer_before_close(stream: &mut TcpStream, wait: Duration) -> Option<(Vec<u8>, Duration)> {
    stream.set_read_timeout(Some(wait)).unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return Some((received, started.elapsed())),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some((received, started.elapsed()));
            }
            Err(_) => return None,
        }
    }
}

#[test]
fn slow_clients_do_not_hold_connections() {
    let t = TestEnv::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let deadlines = Deadlines::new(Duration::from_millis(500), Duration::from_millis(500));
    let server = runtime
        .block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let router = examples::issuer::router(Arc::clone(&t.env.issuer));
            examples::issuer::spawn_with(listener, router, deadlines)
        })
        .unwrap();
    let connect = || TcpStream::connect(server.addr).unwrap();
    let generous = Duration::from_secs(10);

    // Nothing sent, and half a request head: closed without an answer.
    for head in [&b""[..], b"POST /token HTTP/1.1\r\nHost: x\r\n"] {
        let mut stream = connect();
        stream.write_all(head).unwrap();
        let (answer, after) = answer_before_close(&mut stream, generous)
            .unwrap_or_else(|| panic!("{head:?}: still open after {generous:?}"));
        assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
        assert!(after >= Duration::from_millis(400), "{after:?}");
    }

    // A body that never arrives: 408.
    let mut stream = connect();
    stream
        .write_all(
            b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nabc",
        )
        .unwrap();
    let (answer, _) = answer_before_close(&mut stream, generous).expect("still open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(
        answer.ends_with(
            r#"{"error":"invalid_request","error_description":"the request was not complete and answered within 0 s"}"#
        ),
        "{answer}"
    );

    // An answered request, then silence: the keep-alive connection is closed.
    let mut stream = connect();
    stream
        .write_all(b"GET /.well-known/openid-credential-issuer HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (answer, _) = answer_before_close(&mut stream, generous).expect("still open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
}
