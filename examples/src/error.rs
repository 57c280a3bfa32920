//! Errors: the JSON error responses the servers send, and the demo's own failures.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use oid4vci_types::OAuthError;

/// An OAuth 2.0 / OpenID4VCI error response as axum sends it: a thin wrapper over the one
/// error answer of the workspace, [`oid4vci_types::OAuthError`] (status, code, a description in
/// the RFC 6749 §5.2 character set, `WWW-Authenticate` on every 401 and 403).
#[derive(Debug, Clone)]
#[expect(
    clippy::exhaustive_structs,
    reason = "a transparent wrapper: complete by definition"
)]
pub struct ApiError(pub OAuthError);

impl ApiError {
    /// An error with `status`, `error` code and `description`.
    #[must_use]
    pub fn new(status: StatusCode, error: &str, description: impl Into<String>) -> Self {
        Self(OAuthError::new(
            status.as_u16(),
            error.to_owned(),
            &description.into(),
        ))
    }

    /// 400 with `error`.
    #[must_use]
    pub fn bad_request(error: &str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }

    /// 400 `invalid_request`.
    #[must_use]
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::bad_request("invalid_request", description)
    }

    /// 500 `server_error` (the details go to the log, not to the client).
    #[must_use]
    pub fn server_error(log_detail: &dyn core::fmt::Display) -> Self {
        Self(OAuthError::server_error().with_internal_detail(log_detail.to_string()))
    }
}

impl From<OAuthError> for ApiError {
    fn from(e: OAuthError) -> Self {
        Self(e)
    }
}

impl core::fmt::Display for ApiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

impl core::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        if let Some(detail) = e.internal_detail() {
            tracing::error!(error = e.error(), detail = %detail, "request failed inside the server");
        }
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(e.to_json())).into_response();
        let headers = response.headers_mut();
        for (name, value) in e.headers() {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

/// Why a demo component (configuration, keystore, wallet flow) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum DemoError {
    /// The configuration file is unusable.
    Config(String),
    /// The keystore file is unusable.
    Keystore(String),
    /// An I/O failure (file, socket).
    Io(std::io::Error),
    /// A server answered with an error.
    Server {
        /// Which step.
        step: &'static str,
        /// HTTP status.
        status: u16,
        /// The response body.
        body: String,
    },
    /// The wallet could not reach a server or read its answer.
    Transport {
        /// Which step.
        step: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// A protocol check failed (bad credential, unexpected answer).
    Protocol(String),
}

impl core::fmt::Display for DemoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Config(r) => write!(f, "configuration: {r}"),
            Self::Keystore(r) => write!(f, "keystore: {r}"),
            Self::Io(e) => write!(f, "I/O: {e}"),
            Self::Server { step, status, body } => {
                write!(f, "{step}: server answered {status}: {body}")
            }
            Self::Transport { step, reason } => write!(f, "{step}: {reason}"),
            Self::Protocol(r) => write!(f, "protocol: {r}"),
        }
    }
}

impl core::error::Error for DemoError {}

impl From<std::io::Error> for DemoError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<jose_core::Error> for DemoError {
    fn from(e: jose_core::Error) -> Self {
        Self::Protocol(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_answer_carries_its_headers_and_a_safe_body() {
        let response =
            ApiError::new(StatusCode::FORBIDDEN, "insufficient_scope", "not \"x\"").into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let headers = response.headers();
        assert_eq!(
            headers.get("cache-control").map(|v| v.as_bytes()),
            Some(&b"no-store"[..])
        );
        assert_eq!(
            headers.get("www-authenticate").map(|v| v.as_bytes()),
            Some(&b"Bearer error=\"insufficient_scope\", error_description=\"not 'x'\""[..])
        );
    }
}
