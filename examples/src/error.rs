//! Errors: the JSON error responses the servers send, and the demo's own failures.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An OAuth 2.0 / OpenID4VCI error response: `{"error": ..., "error_description": ...}` with
/// its HTTP status and any extra headers (`WWW-Authenticate`, the attestation challenge).
///
/// Descriptions say what failed in words; they never carry a token, a key or a stack trace.
/// Every description is cut to [`MAX_DESCRIPTION_CHARS`] and restricted to the RFC 6749 §5.2
/// character set (`"` becomes `'`, `\\` becomes `/`, anything else outside the set `?`), because
/// parts of it (a grant type, a claim name) may come from the request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The registered error code.
    pub error: String,
    /// A human-readable description (safe to show).
    pub description: String,
    /// Extra response headers.
    pub headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    /// An error with `status`, `error` code and `description`.
    #[must_use]
    pub fn new(status: StatusCode, error: &str, description: impl Into<String>) -> Self {
        Self {
            status,
            error: error.to_owned(),
            description: safe_description(&description.into()),
            headers: Vec::new(),
        }
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

    /// 400 `invalid_grant`.
    #[must_use]
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::bad_request("invalid_grant", description)
    }

    /// 401 `invalid_client`.
    #[must_use]
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// An error of a protected resource (or of client authentication) with a
    /// `WWW-Authenticate` challenge for `scheme` carrying the error code and description
    /// (RFC 6750 §3, RFC 9449 §7.1).
    #[must_use]
    pub fn challenge(
        status: StatusCode,
        scheme: &str,
        error: &str,
        description: impl Into<String>,
    ) -> Self {
        let mut api = Self::new(status, error, description);
        // The description is already in the RFC 6749 §5.2 set, which has no '"' or '\\'.
        let challenge = format!(
            "{scheme} error=\"{error}\", error_description=\"{}\"",
            api.description
        );
        api.headers.push((header::WWW_AUTHENTICATE, challenge));
        api
    }

    /// 401 `invalid_token` with a `WWW-Authenticate` challenge for `scheme` (RFC 6750 §3).
    #[must_use]
    pub fn invalid_token(scheme: &str, description: impl Into<String>) -> Self {
        Self::challenge(
            StatusCode::UNAUTHORIZED,
            scheme,
            "invalid_token",
            description,
        )
    }

    /// 403 `insufficient_scope` with a `WWW-Authenticate` challenge for `scheme` (RFC 6750 §3).
    #[must_use]
    pub fn insufficient_scope(scheme: &str, description: impl Into<String>) -> Self {
        Self::challenge(
            StatusCode::FORBIDDEN,
            scheme,
            "insufficient_scope",
            description,
        )
    }

    /// 401 `invalid_dpop_proof` at a protected resource, with a `DPoP` challenge
    /// (RFC 9449 §7.1).
    #[must_use]
    pub fn invalid_dpop_proof_at_resource(description: impl Into<String>) -> Self {
        Self::challenge(
            StatusCode::UNAUTHORIZED,
            "DPoP",
            "invalid_dpop_proof",
            description,
        )
    }

    /// 500 `server_error` (the details go to the log, not to the client).
    #[must_use]
    pub fn server_error(log_detail: &dyn core::fmt::Display) -> Self {
        tracing::error!(detail = %log_detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the server could not complete the request",
        )
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The JSON body.
    #[must_use]
    pub fn body(&self) -> serde_json::Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

impl core::fmt::Display for ApiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.error,
            self.description
        )
    }
}

impl core::error::Error for ApiError {}

/// The longest `error_description` sent, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 300;

/// `text` cut to [`MAX_DESCRIPTION_CHARS`] and mapped into the RFC 6749 §5.2 character set.
fn safe_description(text: &str) -> String {
    let readable: String = text
        .chars()
        .take(MAX_DESCRIPTION_CHARS)
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            other => other,
        })
        .collect();
    oid4vci_types::Description::sanitized(&readable)
        .as_str()
        .to_owned()
}

impl From<oid4vci_issuer::StoreError> for ApiError {
    fn from(e: oid4vci_issuer::StoreError) -> Self {
        Self::server_error(&e)
    }
}

/// The challenge scheme of a 401 or 403 that no constructor gave one: `Bearer` (RFC 6750 §3
/// wants a `WWW-Authenticate` on every such answer of a protected resource).
const FALLBACK_CHALLENGE_SCHEME: &str = "Bearer";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let needs_challenge = matches!(
            self.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) && !self
            .headers
            .iter()
            .any(|(name, _)| name == header::WWW_AUTHENTICATE);
        let fallback = needs_challenge.then(|| {
            format!(
                "{FALLBACK_CHALLENGE_SCHEME} error=\"{}\", error_description=\"{}\"",
                self.error, self.description
            )
        });
        let mut response = (self.status, axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for (name, value) in self.headers.into_iter().chain(
            fallback
                .into_iter()
                .map(|value| (header::WWW_AUTHENTICATE, value)),
        ) {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
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
    fn descriptions_stay_in_the_rfc6749_character_set() {
        let e = ApiError::invalid_request("grant_type \"fo\\o\" \u{e9}\n");
        assert_eq!(e.description, "grant_type 'fo/o' ??");
        let long = ApiError::invalid_request("x".repeat(1000));
        assert_eq!(long.description.len(), MAX_DESCRIPTION_CHARS);
    }
}
