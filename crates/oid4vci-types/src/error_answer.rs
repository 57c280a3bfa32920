//! The one OAuth 2.0 / OpenID4VCI error answer a server sends: status, `error` code,
//! `error_description` in the RFC 6749 §5.2 character set, and the headers that go with it.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde_json::{Map, Value};

use crate::oauth_error::ErrorCode;
use crate::text::Description;

/// The longest `error_description` sent, in characters (longer text is cut).
pub const MAX_DESCRIPTION_CHARS: usize = 300;

/// The headers that keep every OAuth answer (tokens, nonces, credentials, errors) out of
/// caches: `Cache-Control: no-store` and, for HTTP/1.0 caches, `Pragma: no-cache` (RFC 6749
/// §5.1, §5.2). Lower-case names.
pub const NO_CACHE_HEADERS: [(&str, &str); 2] =
    [("cache-control", "no-store"), ("pragma", "no-cache")];

/// The `WWW-Authenticate` scheme of a 401 or 403 that names none: `Bearer` (RFC 6750 §3
/// wants a challenge on every such answer of a protected resource).
pub const DEFAULT_CHALLENGE_SCHEME: &str = "Bearer";

/// An error answer of an authorization server or credential issuer endpoint.
///
/// The description is made safe once, here: cut to [`MAX_DESCRIPTION_CHARS`], `"` mapped to
/// `'`, `\` to `/`, and anything else outside RFC 6749 §5.2's set (`%x20-21 / %x23-5B /
/// %x5D-7E`) to [`crate::REPLACEMENT_CHAR`], because parts of it (a grant type, a claim name)
/// may come from the request. Every 401 and 403 carries a `WWW-Authenticate` challenge
/// (RFC 6750 §3, RFC 9449 §7.1): the scheme given with [`Self::with_challenge`], else
/// [`DEFAULT_CHALLENGE_SCHEME`].
///
/// ```
/// use oid4vci_types::{CredentialErrorCode, OAuthError};
///
/// let e = OAuthError::from_code(CredentialErrorCode::InsufficientScope, "not \"mDL\"")
///     .with_challenge("DPoP");
/// assert_eq!(e.status(), 403);
/// assert_eq!(e.description(), "not 'mDL'");
/// let challenge = e.headers().find(|(name, _)| *name == "www-authenticate").map(|(_, v)| v);
/// assert_eq!(
///     challenge.as_deref(),
///     Some("DPoP error=\"insufficient_scope\", error_description=\"not 'mDL'\"")
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    status: u16,
    error: Cow<'static, str>,
    description: Description,
    /// What the `WWW-Authenticate` challenge says beyond the default (boxed: most answers
    /// have none, and an error travels in every `Result` of the endpoints).
    challenge: Option<Box<Challenge>>,
    headers: Vec<(&'static str, String)>,
    internal_detail: Option<String>,
}

/// The parts of a `WWW-Authenticate` challenge an answer sets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Challenge {
    /// The scheme (else [`DEFAULT_CHALLENGE_SCHEME`] on a 401 or 403).
    scheme: Option<&'static str>,
    /// Auth-params after the error (`, algs="ES256"`), already formatted.
    params: String,
    /// A whole header value that replaces the generated challenge.
    whole: Option<String>,
}

impl OAuthError {
    /// An answer with `status`, `error` code and `description`.
    #[must_use]
    pub fn new(status: u16, error: impl Into<Cow<'static, str>>, description: &str) -> Self {
        Self {
            status,
            error: error.into(),
            description: safe_description(description),
            challenge: None,
            headers: Vec::new(),
            internal_detail: None,
        }
    }

    /// An answer for an endpoint's error `code`, with the code's HTTP status.
    #[must_use]
    pub fn from_code<C: ErrorCode>(code: C, description: &str) -> Self {
        let status = code.http_status();
        Self::new(status, String::from(code.as_str()), description)
    }

    /// 400 with `error`.
    #[must_use]
    pub fn bad_request(error: &'static str, description: &str) -> Self {
        Self::new(400, error, description)
    }

    /// 500 `server_error` with a fixed description: the detail belongs in the server's log,
    /// never in the answer.
    #[must_use]
    pub fn server_error() -> Self {
        Self::new(
            500,
            "server_error",
            "the server could not complete the request",
        )
    }

    /// Sends the `WWW-Authenticate` challenge with `scheme` (`Bearer`, `DPoP`, or the client
    /// authentication scheme of a token endpoint), whatever the status.
    #[must_use]
    pub fn with_challenge(mut self, scheme: &'static str) -> Self {
        self.challenge_mut().scheme = Some(scheme);
        self
    }

    fn challenge_mut(&mut self) -> &mut Challenge {
        self.challenge.get_or_insert_with(Box::default)
    }

    /// Adds the auth-param `name="value"` to the challenge, e.g. `algs` of a DPoP challenge
    /// (RFC 9449 §7.1). `value` is sent as a quoted string; a `"` or `\\` in it is dropped.
    #[must_use]
    pub fn with_challenge_param(mut self, name: &'static str, value: &str) -> Self {
        let value: String = value.chars().filter(|c| !matches!(c, '"' | '\\')).collect();
        self.challenge_mut()
            .params
            .push_str(&alloc::format!(", {name}=\"{value}\""));
        self
    }

    /// Sends `value` as the whole `WWW-Authenticate` header instead of the generated
    /// challenge: for an answer to a request without credentials, which names the schemes
    /// and no error (RFC 6750 §3.1: `Bearer, DPoP algs="ES256"`). `value` is the caller's
    /// text, never the client's.
    #[must_use]
    pub fn with_challenge_value(mut self, value: String) -> Self {
        self.challenge_mut().whole = Some(value);
        self
    }

    /// Adds a response header (lower-case `name`), e.g. `oauth-client-attestation-challenge`.
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Attaches what went wrong inside the server, for its log: never sent to the client.
    #[must_use]
    pub fn with_internal_detail(mut self, detail: String) -> Self {
        self.internal_detail = Some(detail);
        self
    }

    /// The server-side detail attached with [`Self::with_internal_detail`], for the log.
    #[must_use]
    pub fn internal_detail(&self) -> Option<&str> {
        self.internal_detail.as_deref()
    }

    /// The value of a header added with [`Self::with_header`] (`name` in lower case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The HTTP status.
    #[must_use]
    pub const fn status(&self) -> u16 {
        self.status
    }

    /// The `error` code.
    #[must_use]
    pub fn error(&self) -> &str {
        &self.error
    }

    /// The `error_description`, already in the RFC 6749 §5.2 character set.
    #[must_use]
    pub fn description(&self) -> &str {
        self.description.as_str()
    }

    /// Every header to send, lower-case names: [`NO_CACHE_HEADERS`], the `www-authenticate`
    /// challenge where one is due, and the added ones.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, Cow<'_, str>)> + '_ {
        let given = self.challenge.as_deref();
        let scheme = given
            .and_then(|c| c.scheme)
            .or(matches!(self.status, 401 | 403).then_some(DEFAULT_CHALLENGE_SCHEME));
        let challenge = match given.and_then(|c| c.whole.as_deref()) {
            Some(value) => Some(("www-authenticate", Cow::Borrowed(value))),
            None => scheme.map(|scheme| {
                (
                    "www-authenticate",
                    Cow::Owned(format!(
                        "{scheme} error=\"{}\", error_description=\"{}\"{}",
                        self.error,
                        self.description.as_str(),
                        given.map_or("", |c| c.params.as_str())
                    )),
                )
            }),
        };
        NO_CACHE_HEADERS
            .into_iter()
            .map(|(name, value)| (name, Cow::Borrowed(value)))
            .chain(challenge)
            .chain(
                self.headers
                    .iter()
                    .map(|(name, value)| (*name, Cow::Borrowed(value.as_str()))),
            )
    }

    /// The JSON body: `{"error": …, "error_description": …}`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert(
            "error".into(),
            Value::String(self.error.clone().into_owned()),
        );
        body.insert(
            "error_description".into(),
            Value::String(self.description.as_str().into()),
        );
        Value::Object(body)
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status,
            self.error,
            self.description.as_str()
        )
    }
}

impl core::error::Error for OAuthError {}

/// `text` cut to [`MAX_DESCRIPTION_CHARS`] and mapped into the RFC 6749 §5.2 character set.
fn safe_description(text: &str) -> Description {
    let readable: String = text
        .chars()
        .take(MAX_DESCRIPTION_CHARS)
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            other => other,
        })
        .collect();
    Description::sanitized(&readable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokenErrorCode;

    #[test]
    fn descriptions_stay_in_the_rfc6749_character_set() {
        let e = OAuthError::bad_request("invalid_request", "grant_type \"fo\\o\" \u{e9}\n\u{7}");
        assert_eq!(e.description(), "grant_type 'fo/o' ???");
        let long = OAuthError::bad_request("invalid_request", &"x".repeat(1000));
        assert_eq!(long.description().len(), MAX_DESCRIPTION_CHARS);
    }

    #[test]
    fn every_401_and_403_carries_a_challenge_and_a_400_does_not() {
        let challenge = |e: &OAuthError| {
            e.headers()
                .find(|(n, _)| *n == "www-authenticate")
                .map(|(_, v)| v.into_owned())
        };
        let client = OAuthError::from_code(TokenErrorCode::InvalidClient, "no attestation");
        assert_eq!(client.status(), 401);
        assert_eq!(
            challenge(&client).as_deref(),
            Some("Bearer error=\"invalid_client\", error_description=\"no attestation\"")
        );
        let dpop = OAuthError::from_code(TokenErrorCode::InvalidDpopProof, "bad")
            .with_challenge("DPoP")
            .with_challenge_param("algs", "ES256 \"EdDSA\\");
        assert_eq!(
            challenge(&dpop).as_deref(),
            Some(
                "DPoP error=\"invalid_dpop_proof\", error_description=\"bad\", algs=\"ES256 EdDSA\""
            ),
            "a quote or backslash cannot leave the quoted string"
        );
        let bare = OAuthError::from_code(TokenErrorCode::InvalidClient, "no credentials")
            .with_challenge_value("Bearer, DPoP algs=\"ES256\"".into());
        assert_eq!(
            challenge(&bare).as_deref(),
            Some("Bearer, DPoP algs=\"ES256\"")
        );
        let grant = OAuthError::from_code(TokenErrorCode::InvalidGrant, "used");
        assert_eq!(challenge(&grant), None);
        assert_eq!(
            grant.headers().next().map(|(n, v)| (n, v.into_owned())),
            Some(("cache-control", "no-store".into()))
        );
    }
}
