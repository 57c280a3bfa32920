//! Serving a router over HTTP/1.1 with deadlines, so that a client cannot hold a connection
//! by sending slowly.
//!
//! `axum::serve` sets no timer on its connections, so hyper's header read timeout never runs:
//! a client that sends part of a request head, or opens a connection and sends nothing, holds
//! it (and a task and a file descriptor) for as long as it likes. Here every connection gets
//! Tokio's timer and a header read timeout, and every request a deadline from its head to its
//! answer, body included: past it the answer is `408 Request Timeout` ([`Deadlines`]).

use core::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use oid4vci_types::OAuthError;
use tokio::net::TcpListener;

use crate::error::ApiError;

/// The deadlines of a connection and of its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Deadlines {
    /// How long a client may take to send a request head (also how long a connection stays
    /// open without one: a new connection, or an idle keep-alive one). Default 30 s.
    pub header_read: Duration,
    /// How long a request may take from its head to its answer: its body and the handler.
    /// Default 30 s.
    pub request: Duration,
}

impl Deadlines {
    /// Deadlines of `header_read` for request heads and `request` from head to answer.
    #[must_use]
    pub const fn new(header_read: Duration, request: Duration) -> Self {
        Self {
            header_read,
            request,
        }
    }
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(30),
            request: Duration::from_secs(30),
        }
    }
}

/// Accepts connections on `listener` and serves `router` on each, with the peer's address as
/// [`ConnectInfo`] (the admin API's loopback check reads it) and `deadlines`. Runs until the
/// task is dropped.
pub async fn serve(listener: TcpListener, router: Router, deadlines: Deadlines) {
    let request_deadline = deadlines.request;
    let router = router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| answer_in_time(request_deadline, request, next),
    ));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, most likely: wait rather than spin.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let app = router.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |mut request: Request<_>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                let mut app = app.clone();
                tower_service::Service::call(&mut app, request.map(axum::body::Body::new))
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(deadlines.header_read)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, peer = %peer, "connection ended with an error");
            }
        });
    }
}

/// Answers `408` (`invalid_request`, as every error of the demo: an OAuth error body) when
/// `request` is not answered within `deadline`.
async fn answer_in_time(deadline: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError(OAuthError::new(
            StatusCode::REQUEST_TIMEOUT.as_u16(),
            "invalid_request",
            &format!(
                "the request was not complete and answered within {} s",
                deadline.as_secs()
            ),
        ))
        .into_response(),
    }
}
