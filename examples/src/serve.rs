//! Serving a router over HTTP/1.1 with deadlines, so that a client cannot hold a connection
//! by sending slowly.
//!
//! `axum::serve` sets no timer on its connections, so hyper's header read timeout never runs:
//! a client that sends part of a request head, or opens a connection and sends nothing, holds
//! it (and a task and a file descriptor) for as long as it likes. Here every connection gets
//! Tokio's timer and a header read timeout, and every request body a deadline, counted from the
//! request head: a body not received by then is answered `408 Request Timeout` ([`Deadlines`]).
//! Only the body has a deadline, not the handler: a handler that was slow to answer has
//! changed state (spent a code, rotated a refresh token) that a `408` would hide.
//!
//! Not handled here: how many connections are open at once (a client may still open many and
//! hold each for the two deadlines), and a client that sends requests but never reads the
//! answers; a proxy in front of a deployment limits both.

use core::convert::Infallible;
use core::future::Future as _;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll};
use core::time::Duration;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hyper::body::{Body, Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use oid4vci_types::OAuthError;
use tokio::net::TcpListener;
use tokio::time::Sleep;

use crate::error::ApiError;

/// The longest deadline [`Deadlines::new`] keeps: a day (hyper adds the header deadline to
/// the current instant, which must not overflow).
const LONGEST: Duration = Duration::from_secs(86_400);

/// The deadlines of a connection and of its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Deadlines {
    /// How long a client may take to send a request head (also how long a connection stays
    /// open without one: a new connection, or an idle keep-alive one). Default 30 s.
    pub header_read: Duration,
    /// How long a client may take to send a request body, from the head. Default 30 s.
    pub body: Duration,
}

impl Deadlines {
    /// Deadlines of `header_read` for request heads and `body` for request bodies, each at
    /// most a day.
    #[must_use]
    pub fn new(header_read: Duration, body: Duration) -> Self {
        Self {
            header_read: header_read.min(LONGEST),
            body: body.min(LONGEST),
        }
    }
}

impl Default for Deadlines {
    fn default() -> Self {
        Self::new(Duration::from_secs(30), Duration::from_secs(30))
    }
}

/// Accepts connections on `listener` and serves `router` on each, with the peer's address as
/// [`ConnectInfo`] (the admin API's loopback check reads it) and `deadlines`. Runs until the
/// task is dropped.
pub async fn serve(listener: TcpListener, router: Router, deadlines: Deadlines) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // A connection that ended before it was accepted: the next one (as axum does).
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of file descriptors, most likely: wait rather than spin (as axum does).
                tracing::error!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let app = router.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<_>| {
                let (mut parts, inner) = request.into_parts();
                parts.extensions.insert(ConnectInfo(peer));
                let expired = Arc::new(AtomicBool::new(false));
                let body = BodyInTime {
                    inner,
                    deadline: Box::pin(tokio::time::sleep(deadlines.body)),
                    expired: Arc::clone(&expired),
                };
                let request = Request::from_parts(parts, axum::body::Body::new(body));
                let mut app = app.clone();
                async move {
                    let response = tower_service::Service::call(&mut app, request).await?;
                    Ok::<_, Infallible>(if expired.load(Ordering::Relaxed) {
                        timed_out(deadlines.body)
                    } else {
                        response
                    })
                }
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

/// Errors of one connection, not of the listener (axum's list).
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// The answer to a request whose body did not arrive within `deadline`: `408` with an OAuth
/// error body (`invalid_request`), as every error of the demo.
fn timed_out(deadline: Duration) -> Response {
    ApiError(OAuthError::new(
        StatusCode::REQUEST_TIMEOUT.as_u16(),
        "invalid_request",
        &format!("the request body did not arrive within {deadline:?}"),
    ))
    .into_response()
}

/// A request body that fails once `deadline` passes before its last frame, and says so in
/// `expired`. The extractor reading it then fails before the handler runs, so the `408` that
/// replaces its answer hides nothing the handler did.
struct BodyInTime<B> {
    inner: B,
    deadline: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl<B> Body for BodyInTime<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err("the request body deadline passed".into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
