//! The authorization code flow's messages (RFC 6749 §4.1, RFC 7636 PKCE, RFC 9126 PAR,
//! RFC 9207 `iss`, OpenID4VCI 1.0 §5): the pushed authorization request and its response, the
//! authorization request by `request_uri`, and the authorization response (success or error)
//! as a redirect.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde_json::{Map, Value};

use crate::authorization_details::AuthorizationDetail;
use crate::error::Error;
use crate::options::ParseOptions;
use crate::pct;

/// The only PKCE method accepted: `S256` (HAIP; RFC 9700 §2.1.1 keeps `plain` out).
pub const PKCE_S256: &str = "S256";

/// The prefix of every `request_uri` a PAR endpoint hands out (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Whether `value` is 43 to 128 RFC 3986 unreserved characters: the grammar of a PKCE
/// `code_verifier` and `code_challenge` (RFC 7636 §4.1, §4.2).
fn pkce_grammar(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `code_verifier` answers the S256 `code_challenge`:
/// `BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge` (RFC 7636 §4.6), compared in
/// constant time. A verifier outside RFC 7636's grammar never matches.
///
/// ```
/// // RFC 7636 Appendix B.
/// let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// assert!(oid4vci_types::pkce_s256_matches(verifier, challenge));
/// assert!(!oid4vci_types::pkce_s256_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
/// ```
#[must_use]
pub fn pkce_s256_matches(code_verifier: &str, code_challenge: &str) -> bool {
    if !pkce_grammar(code_verifier) {
        return false;
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, code_verifier.as_bytes());
    let computed = jose_core::base64url::encode(digest.as_ref());
    let (a, b) = (computed.as_bytes(), code_challenge.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The values of a `scope` parameter (RFC 6749 §3.3: space-delimited), in order; none for
/// `None`.
///
/// ```
/// let values: Vec<&str> = oid4vci_types::scope_values(Some("openid  pid")).collect();
/// assert_eq!(values, ["openid", "pid"]);
/// ```
pub fn scope_values(scope: Option<&str>) -> impl Iterator<Item = &str> {
    scope
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
}

/// A Pushed Authorization Request (RFC 9126 §2.1), parsed from its form body: the parameters
/// of an authorization request with `response_type=code`, PKCE S256 required.
///
/// Client authentication parameters (`client_assertion`, …) and unknown parameters are kept in
/// [`Self::extra`]; the attestation headers are the server's to check.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PushedAuthorizationRequest {
    /// `client_id`, REQUIRED.
    pub client_id: String,
    /// `redirect_uri`, REQUIRED here (wallets are public clients without registered URIs).
    pub redirect_uri: String,
    /// `state`, RECOMMENDED; returned unchanged.
    pub state: Option<String>,
    /// `code_challenge` (S256), REQUIRED.
    pub code_challenge: String,
    /// `authorization_details` of type `openid_credential` (OpenID4VCI 1.0 §5.1.1).
    pub authorization_details: Option<Vec<AuthorizationDetail>>,
    /// `scope`: space-separated credential configuration scopes (§5.1.2).
    pub scope: Option<String>,
    /// `issuer_state` from an offer's `authorization_code` grant (§5.1.3).
    pub issuer_state: Option<String>,
    /// `wallet_issuer` (§5.1.3).
    pub wallet_issuer: Option<String>,
    /// `user_hint` (§5.1.3).
    pub user_hint: Option<String>,
    /// Every other non-empty parameter, by name.
    pub extra: BTreeMap<String, String>,
}

/// RFC 6749 §3.1.2: the redirection endpoint is an absolute URI (a scheme, then `:` and
/// more: `https://…`, or a private-use scheme such as `com.example.app:/cb`, RFC 8252 §7.1)
/// without a fragment. Only printable ASCII is allowed (a URI has no spaces or control
/// characters; one with a CR or LF could not be sent in a `Location` header).
fn check_redirect_uri(uri: &str) -> Result<(), Error> {
    let invalid = |reason| Error::InvalidUrl {
        member: "redirect_uri",
        reason,
    };
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "a redirect_uri is printable ASCII, without spaces or control characters",
        ));
    }
    if uri.contains('#') {
        return Err(invalid("a redirect_uri must not have a fragment"));
    }
    let scheme = uri
        .split_once(':')
        .map(|(scheme, rest)| (scheme, rest.is_empty()));
    let absolute = matches!(scheme, Some((scheme, false)) if scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')));
    if absolute {
        Ok(())
    } else {
        Err(invalid(
            "a redirect_uri must be an absolute URI (scheme:...)",
        ))
    }
}

impl PushedAuthorizationRequest {
    /// Parses a PAR form body with strict options.
    ///
    /// Parameters with an empty value are treated as omitted (RFC 6749 §3.1); a repeated
    /// parameter is refused. A request must ask for something: `authorization_details`,
    /// `scope`, or both.
    ///
    /// # Errors
    /// [`Error::InputTooLarge`], [`Error::TooManyParameters`], [`Error::DuplicateParameter`],
    /// [`Error::InvalidPercentEncoding`], [`Error::MissingParameter`] (`response_type`,
    /// `client_id`, `redirect_uri`, `code_challenge`, or `authorization_details` when there is
    /// no `scope` either), [`Error::UnsupportedResponseType`],
    /// [`Error::UnsupportedResponseMode`] (anything but `query`),
    /// [`Error::ParameterNotAllowed`] (`request_uri`), [`Error::InvalidUrl`] (a
    /// `redirect_uri` that is not an absolute URI of printable ASCII without a fragment),
    /// [`Error::UnsupportedCodeChallengeMethod`] (`plain`, explicit or by default),
    /// [`Error::InvalidCodeChallenge`], and the errors of [`AuthorizationDetail::parse_list`].
    pub fn parse_form(body: &[u8]) -> Result<Self, Error> {
        Self::parse_form_with(body, &ParseOptions::default())
    }

    /// Like [`Self::parse_form`] with explicit options.
    ///
    /// # Errors
    /// As [`Self::parse_form`].
    pub fn parse_form_with(body: &[u8], options: &ParseOptions) -> Result<Self, Error> {
        let mut params = pct::form_params(body, &options.limits)?;
        let mut take = |name: &'static str| params.remove(name);
        let response_type = take("response_type").ok_or(Error::MissingParameter {
            name: "response_type",
        })?;
        if response_type != "code" {
            return Err(Error::UnsupportedResponseType {
                response_type: jose_core::short_text(&response_type),
            });
        }
        if let Some(mode) = take("response_mode")
            && mode != "query"
        {
            return Err(Error::UnsupportedResponseMode {
                response_mode: jose_core::short_text(&mode),
            });
        }
        if take("request_uri").is_some() {
            return Err(Error::ParameterNotAllowed {
                name: "request_uri",
            });
        }
        let client_id = take("client_id").ok_or(Error::MissingParameter { name: "client_id" })?;
        let redirect_uri = take("redirect_uri").ok_or(Error::MissingParameter {
            name: "redirect_uri",
        })?;
        check_redirect_uri(&redirect_uri)?;
        let code_challenge = take("code_challenge").ok_or(Error::MissingParameter {
            name: "code_challenge",
        })?;
        let method = take("code_challenge_method").unwrap_or_else(|| "plain".into());
        if method != PKCE_S256 {
            return Err(Error::UnsupportedCodeChallengeMethod {
                method: jose_core::short_text(&method),
            });
        }
        if !pkce_grammar(&code_challenge) {
            return Err(Error::InvalidCodeChallenge);
        }
        let authorization_details = match take("authorization_details") {
            Some(text) => Some(AuthorizationDetail::parse_list(text.as_bytes(), options)?),
            None => None,
        };
        let scope = take("scope");
        if authorization_details.is_none() && scope.is_none() {
            return Err(Error::MissingParameter {
                name: "authorization_details",
            });
        }
        let state = take("state");
        let issuer_state = take("issuer_state");
        let wallet_issuer = take("wallet_issuer");
        let user_hint = take("user_hint");
        Ok(Self {
            client_id,
            redirect_uri,
            state,
            code_challenge,
            authorization_details,
            scope,
            issuer_state,
            wallet_issuer,
            user_hint,
            extra: params,
        })
    }

    /// The scope values, in order.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        scope_values(self.scope.as_deref())
    }

    /// The form body (the wallet side), `code_challenge_method=S256` included.
    #[must_use]
    pub fn to_form(&self) -> String {
        let details = self
            .authorization_details
            .as_ref()
            .and_then(|d| serde_json::to_string(d).ok());
        let mut pairs: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", PKCE_S256),
        ];
        let optional = [
            ("state", self.state.as_deref()),
            ("authorization_details", details.as_deref()),
            ("scope", self.scope.as_deref()),
            ("issuer_state", self.issuer_state.as_deref()),
            ("wallet_issuer", self.wallet_issuer.as_deref()),
            ("user_hint", self.user_hint.as_deref()),
        ];
        pairs.extend(optional.into_iter().filter_map(|(n, v)| Some((n, v?))));
        pairs.extend(self.extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        pct::build_form(pairs)
    }
}

/// The PAR endpoint's answer (RFC 9126 §2.2): `201` with `request_uri` and `expires_in`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushedAuthorizationResponse {
    /// `request_uri`, starting with [`REQUEST_URI_PREFIX`].
    pub request_uri: String,
    /// `expires_in`, seconds.
    pub expires_in: u64,
}

impl PushedAuthorizationResponse {
    /// A response for `request_uri`.
    #[must_use]
    pub fn new(request_uri: &str, expires_in: u64) -> Self {
        Self {
            request_uri: request_uri.into(),
            expires_in,
        }
    }

    /// The JSON body.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert(
            "request_uri".into(),
            Value::String(self.request_uri.clone()),
        );
        map.insert("expires_in".into(), Value::from(self.expires_in));
        Value::Object(map)
    }
}

/// An authorization request by reference (RFC 9126 §4): `client_id` and `request_uri`, and
/// nothing else, since every other parameter must have been pushed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// `client_id`.
    pub client_id: String,
    /// `request_uri` from the PAR response.
    pub request_uri: String,
    /// The names of the other parameters, ignored (RFC 9101 §6.3 via RFC 9126 §4: only the
    /// pushed parameters count; RFC 6749 §3.1: unrecognised ones are ignored). A wallet
    /// library that repeats `response_type` or `scope` here is served; what it repeats has no
    /// effect. For logging.
    pub ignored: Vec<String>,
}

impl AuthorizationRequest {
    /// Parses the query string of `GET /authorize` (without the `?`).
    ///
    /// # Errors
    /// [`Error::MissingParameter`] (`client_id`, `request_uri`), and the form errors of
    /// [`PushedAuthorizationRequest::parse_form`] (a repeated parameter, a bad escape, too
    /// many parameters). Other parameters are ignored ([`Self::ignored`]).
    pub fn parse_query(query: &[u8]) -> Result<Self, Error> {
        let limits = ParseOptions::default().limits;
        if query.len() > limits.max_message_len {
            return Err(Error::InputTooLarge {
                len: query.len(),
                max: limits.max_message_len,
            });
        }
        let mut client_id = None;
        let mut request_uri = None;
        let mut ignored = Vec::new();
        for (name, value) in pct::parse_form(query, limits.max_form_params)? {
            match name.as_str() {
                "client_id" => client_id = Some(value),
                "request_uri" => request_uri = Some(value),
                other => ignored.push(jose_core::short_text(other)),
            }
        }
        Ok(Self {
            client_id: client_id
                .filter(|v| !v.is_empty())
                .ok_or(Error::MissingParameter { name: "client_id" })?,
            request_uri: request_uri
                .filter(|v| !v.is_empty())
                .ok_or(Error::MissingParameter {
                    name: "request_uri",
                })?,
            ignored,
        })
    }

    /// The query string (the wallet side).
    #[must_use]
    pub fn to_query(&self) -> String {
        pct::build_form([
            ("client_id", self.client_id.as_str()),
            ("request_uri", self.request_uri.as_str()),
        ])
    }
}

/// `redirect_uri` (fragment-free: [`PushedAuthorizationRequest::parse_form`] refuses one) with
/// `params` added to its query (RFC 6749 §4.1.2: keep its own query).
fn redirect(redirect_uri: &str, params: &[(&str, Option<&str>)]) -> String {
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .filter_map(|(name, value)| Some((*name, (*value)?)))
        .collect();
    let query = pct::build_form(pairs);
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let mut out = String::with_capacity(
        redirect_uri
            .len()
            .saturating_add(query.len())
            .saturating_add(1),
    );
    out.push_str(redirect_uri);
    out.push(separator);
    out.push_str(&query);
    out
}

/// A successful authorization response (RFC 6749 §4.1.2 with RFC 9207's `iss`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationResponse {
    /// `code`.
    pub code: String,
    /// `state`, as the request sent it.
    pub state: Option<String>,
    /// `iss`: the authorization server's issuer identifier (RFC 9207).
    pub iss: String,
}

impl AuthorizationResponse {
    /// A response.
    #[must_use]
    pub fn new(code: &str, state: Option<&str>, iss: &str) -> Self {
        Self {
            code: code.into(),
            state: state.map(Into::into),
            iss: iss.into(),
        }
    }

    /// The URL to redirect the user agent to.
    #[must_use]
    pub fn redirect_url(&self, redirect_uri: &str) -> String {
        redirect(
            redirect_uri,
            &[
                ("code", Some(&self.code)),
                ("state", self.state.as_deref()),
                ("iss", Some(&self.iss)),
            ],
        )
    }
}

/// An error authorization response (RFC 6749 §4.1.2.1 with RFC 9207's `iss`), e.g.
/// `access_denied` when the user declines.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationErrorResponse {
    /// `error`.
    pub error: String,
    /// `error_description` (RFC 6749 §5.2 character set: built through
    /// [`crate::OAuthError`]'s rules).
    pub error_description: Option<String>,
    /// `state`, as the request sent it.
    pub state: Option<String>,
    /// `iss` (RFC 9207).
    pub iss: String,
}

impl AuthorizationErrorResponse {
    /// A response with `error` and a description (made safe as [`crate::OAuthError`] does).
    #[must_use]
    pub fn new(error: &str, description: &str, state: Option<&str>, iss: &str) -> Self {
        let safe = crate::OAuthError::new(400, String::from(error), description);
        Self {
            error: error.into(),
            error_description: Some(safe.description().into()),
            state: state.map(Into::into),
            iss: iss.into(),
        }
    }

    /// The URL to redirect the user agent to.
    #[must_use]
    pub fn redirect_url(&self, redirect_uri: &str) -> String {
        redirect(
            redirect_uri,
            &[
                ("error", Some(&self.error)),
                ("error_description", self.error_description.as_deref()),
                ("state", self.state.as_deref()),
                ("iss", Some(&self.iss)),
            ],
        )
    }
}

#[cfg(test)]
mod tests;
