//! Errors: the JSON error responses the servers send, and the demo's own failures.

use std::borrow::Cow;

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

    /// 503 `temporarily_unavailable` with `description`: the client may try again.
    #[must_use]
    pub fn temporarily_unavailable(description: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            description,
        )
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

/// The OAuth `error` code of a refused answer, kept in the response's extensions (never sent)
/// for the issuer's metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorCode(pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        if let Some(detail) = e.internal_detail() {
            tracing::error!(error = e.error(), detail = %detail, "request failed inside the server");
        }
        let mut response = http_response(e.status(), Some(e.to_json()), e.headers());
        response
            .extensions_mut()
            .insert(ErrorCode(e.error().to_owned()));
        response
    }
}

/// The HTTP response of an engine or error answer: `status`, a JSON `body` and `headers`. A
/// status or header that is not valid HTTP (the engine and oid4vci-types produce none) is
/// logged and answered 500 `server_error`: never sent as some other status, never with the
/// header silently dropped.
pub(crate) fn http_response<'a>(
    status: u16,
    body: Option<serde_json::Value>,
    headers: impl IntoIterator<Item = (&'static str, Cow<'a, str>)>,
) -> Response {
    match assemble(status, body, headers) {
        Ok(response) => response,
        Err(detail) => {
            tracing::error!(%detail, "the server built an invalid HTTP answer");
            let body = OAuthError::server_error().to_json();
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
        }
    }
}

fn assemble<'a>(
    status: u16,
    body: Option<serde_json::Value>,
    headers: impl IntoIterator<Item = (&'static str, Cow<'a, str>)>,
) -> Result<Response, String> {
    let status = StatusCode::from_u16(status).map_err(|e| format!("status {status}: {e}"))?;
    let mut response = match body {
        Some(body) => (status, json_body(&body)?).into_response(),
        None => status.into_response(),
    };
    for (name, value) in headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| format!("header name {name}: {e}"))?;
        let value = HeaderValue::from_str(&value).map_err(|e| format!("header {name}: {e}"))?;
        response.headers_mut().insert(header, value);
    }
    Ok(response)
}

/// `body` as JSON text with `Content-Type: application/json`, the bytes axum's `Json` sends,
/// but written by [`jose_core::json::write_value`] (long strings copied whole rather than
/// looked up byte by byte) into a buffer sized for it up front (`Json` starts at 128 bytes and
/// doubles, so a credential response carrying a batch of SD-JWT VCs, some kilobytes each, was
/// copied about seven times on its way out).
fn json_body(body: &serde_json::Value) -> Result<impl IntoResponse, String> {
    let mut text = Vec::with_capacity(json_len_hint(body, 0));
    jose_core::json::write_value(&mut text, body).map_err(|e| format!("JSON body: {e}"))?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        text,
    ))
}

/// About how many bytes `value` takes as compact JSON (exact for text that needs no escaping
/// and for short numbers): a capacity, never a limit. Values nested deeper than the answers the
/// servers build count as nothing, and the buffer grows for them.
fn json_len_hint(value: &serde_json::Value, depth: usize) -> usize {
    use serde_json::Value;
    const DEEPEST: usize = 16;
    if depth > DEEPEST {
        return 0;
    }
    let quoted = |text: &str| text.len().saturating_add(2);
    let inner = |item| json_len_hint(item, depth.saturating_add(1));
    // Brackets, and a comma between each two entries.
    let punctuation = |entries: usize| entries.max(1).saturating_add(1);
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(text) => quoted(text),
        Value::Array(items) => items.iter().fold(punctuation(items.len()), |sum, item| {
            sum.saturating_add(inner(item))
        }),
        Value::Object(members) => {
            members
                .iter()
                .fold(punctuation(members.len()), |sum, (name, item)| {
                    // The name, its colon and the value.
                    sum.saturating_add(quoted(name))
                        .saturating_add(1)
                        .saturating_add(inner(item))
                })
        }
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
    /// The PKCS#11 token named by the `--pkcs11-*` options is unusable (module, token, PIN,
    /// key): see [`crate::hsm`].
    Pkcs11 {
        /// The option it concerns with its value, e.g. `--pkcs11-token issuer` (never a PIN).
        option: String,
        /// The token's error.
        error: pkcs11_signer::Pkcs11Error,
    },
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
            Self::Pkcs11 { option, error } => write!(f, "{option}: {error}"),
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

    /// The body as axum's `Json` would send it: the same bytes and `Content-Type`, with a
    /// buffer that did not have to grow for an answer of strings (a credential response).
    #[test]
    fn a_json_answer_is_sent_as_axum_json_sends_it() {
        let credential = "eyJ".repeat(1500);
        let bodies = [
            serde_json::json!({"credentials": [{"credential": credential}, {"credential": "b~"}],
                "notification_id": "n"}),
            serde_json::json!({"error": "invalid_proof", "quote": "a\"b\n", "n": [1, -2.5, null]}),
            serde_json::json!([]),
        ];
        for body in bodies {
            let ours = http_response(200, Some(body.clone()), []);
            let axums = axum::Json(body.clone()).into_response();
            assert_eq!(ours.status(), StatusCode::OK);
            assert_eq!(
                ours.headers().get("content-type"),
                axums.headers().get("content-type")
            );
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let read = |r: Response| {
                runtime
                    .block_on(axum::body::to_bytes(r.into_body(), usize::MAX))
                    .unwrap()
            };
            assert_eq!(read(ours), read(axums));
        }
        let strings = serde_json::json!({"credentials": [{"credential": credential}],
            "notification_id": "n"});
        assert_eq!(
            json_len_hint(&strings, 0),
            serde_json::to_vec(&strings).unwrap().len()
        );
    }

    #[test]
    fn an_invalid_status_or_header_is_a_500_not_a_silent_fallback() {
        let status = http_response(1000, None, []);
        assert_eq!(status.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let header = http_response(200, None, [("dpop-nonce", Cow::Borrowed("a\nb"))]);
        assert_eq!(header.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(header.headers().get("dpop-nonce").is_none());
        let name = http_response(200, None, [("Bad Name", Cow::Borrowed("v"))]);
        assert_eq!(name.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let fine = http_response(204, None, [("dpop-nonce", Cow::Borrowed("n"))]);
        assert_eq!(fine.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            fine.headers().get("dpop-nonce").map(|v| v.as_bytes()),
            Some(&b"n"[..])
        );
    }
}
