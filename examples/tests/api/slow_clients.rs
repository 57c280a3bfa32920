//! Deadlines for slow clients: a connection without a complete request head is closed, a
//! request whose body does not arrive is answered `408`, an idle keep-alive connection is
//! closed (before, each was held open for as long as the client liked), and a handler that
//! is slow to answer is not cut off.

use core::net::SocketAddr;
use core::time::Duration;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::routing::{get, post};
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

/// The first `n` bytes `stream` receives within `wait`.
fn first_bytes(stream: &mut TcpStream, n: usize, wait: Duration) -> String {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buffer = vec![0u8; n];
    stream.read_exact(&mut buffer).unwrap();
    String::from_utf8_lossy(&buffer).into_owned()
}

const DEADLINE: Duration = Duration::from_millis(500);
const GENEROUS: Duration = Duration::from_secs(10);

/// Serves `router` with [`DEADLINE`]s on a runtime of its own (kept alive by the caller).
fn serve(router: Router) -> (tokio::runtime::Runtime, SocketAddr) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            examples::issuer::spawn_with(listener, router, Deadlines::new(DEADLINE, DEADLINE))
        })
        .unwrap();
    (runtime, server.addr)
}

#[test]
fn the_issuer_closes_connections_without_a_request_head() {
    let t = TestEnv::start();
    let (_runtime, addr) = serve(examples::issuer::router(Arc::clone(&t.env.issuer)));
    // Nothing sent, and half a request head: closed without an answer.
    for head in [&b""[..], b"POST /token HTTP/1.1\r\nHost: x\r\n"] {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(head).unwrap();
        let (answer, after) = answer_before_close(&mut stream, GENEROUS)
            .unwrap_or_else(|| panic!("{head:?}: still open after {GENEROUS:?}"));
        assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
        assert!(after >= Duration::from_millis(400), "{after:?}");
    }
    // A body that never arrives: 408, in the issuer's error format.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(
            b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nabc",
        )
        .unwrap();
    let (answer, _) = answer_before_close(&mut stream, GENEROUS).expect("still open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(
        answer.ends_with(
            r#"{"error":"invalid_request","error_description":"the request body did not arrive within 500ms"}"#
        ),
        "{answer}"
    );
    // An answered request, then silence: the keep-alive connection is closed.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /.well-known/openid-credential-issuer HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (answer, _) = answer_before_close(&mut stream, GENEROUS).expect("still open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
}

/// Only the body has a deadline: a handler slower than it still answers (a `408` after the
/// handler changed state would hide what it did), and a body that arrives in parts within the
/// deadline is read whole.
#[test]
fn a_slow_handler_is_not_cut_off_and_a_body_in_parts_is_read() {
    let router = Router::new()
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(DEADLINE * 3).await;
                "done"
            }),
        )
        .route("/echo", post(|body: String| async move { body }));
    let (_runtime, addr) = serve(router);
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(first_bytes(&mut slow, 15, GENEROUS), "HTTP/1.1 200 OK");

    let mut parts = TcpStream::connect(addr).unwrap();
    parts
        .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc")
        .unwrap();
    std::thread::sleep(DEADLINE / 2);
    parts.write_all(b"def").unwrap();
    let (answer, _) = answer_before_close(&mut parts, GENEROUS).expect("still open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(answer.ends_with("abcdef"), "{answer}");
}
