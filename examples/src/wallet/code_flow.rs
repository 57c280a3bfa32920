//! The authorization code flow from the wallet's side (HAIP 1.0): a pushed authorization
//! request with the client attestation, PKCE S256 and a DPoP key; the user's sign-in and
//! consent at the issuer's pages (here driven over HTTP as a browser would, form by form);
//! the redirect checked for `state` and `iss` (RFC 9207); the code redeemed with the PKCE
//! verifier.

use jose_core::RandomSource;
use oid4vci_types::{CredentialOfferRequest, REQUEST_URI_PREFIX};
use serde_json::{Value, json};

use super::{IssuerInfo, Tokens, Wallet};
use crate::error::DemoError;
use crate::narrate::abbreviate;

/// The redirect URI the demo wallet registers in its pushed requests (a wallet app's
/// claimed URL; nothing listens there, the wallet reads the redirect itself).
pub const DEMO_REDIRECT_URI: &str = "https://wallet.example/callback";

/// What a wallet asks for in a pushed authorization request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CodeRequest {
    /// The configuration, asked for by `authorization_details` (or by its `scope`).
    pub configuration_id: String,
    /// Further configurations asked for in the same authorization, each in its own
    /// `authorization_details` entry (or by its `scope` value).
    pub additional_configuration_ids: Vec<String>,
    /// Ask by the configuration's `scope` instead of `authorization_details`.
    pub by_scope: bool,
    /// `issuer_state` from an offer.
    pub issuer_state: Option<String>,
    /// Where the answer goes.
    pub redirect_uri: String,
}

impl CodeRequest {
    /// A request for `configuration_id` by `authorization_details`, to
    /// [`DEMO_REDIRECT_URI`].
    #[must_use]
    pub fn new(configuration_id: &str) -> Self {
        Self {
            configuration_id: configuration_id.to_owned(),
            additional_configuration_ids: Vec::new(),
            by_scope: false,
            issuer_state: None,
            redirect_uri: DEMO_REDIRECT_URI.to_owned(),
        }
    }
}

/// A pushed request: the URL to send the user to, and what the wallet keeps to check and
/// redeem the answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StartedAuthorization {
    /// `{authorization_endpoint}?client_id=…&request_uri=…`.
    pub authorization_url: String,
    /// The `request_uri` from the PAR response.
    pub request_uri: String,
    /// The `client_id` (the attestation's `sub`).
    pub client_id: String,
    /// `state`, which the redirect must return.
    pub state: String,
    /// The PKCE verifier.
    pub code_verifier: String,
    /// The redirect URI sent.
    pub redirect_uri: String,
}

/// Percent-encodes `text` for a query or form value.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value of query parameter `name` of `url`, percent-decoded.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|pair| {
        let (n, v) = pair.split_once('=')?;
        (n == name).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i.saturating_add(1)..i.saturating_add(3))
            .and_then(|h| core::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i = i.saturating_add(3);
            }
            (b'+', _) => {
                out.push(b' ');
                i = i.saturating_add(1);
            }
            _ => {
                out.push(b);
                i = i.saturating_add(1);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Wallet {
    /// The `client_id` of this wallet: its attestation's `sub`.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] without an attestation, or with one whose payload has no
    /// `sub`.
    pub fn client_id(&self) -> Result<String, DemoError> {
        let attestation = self.attestation().ok_or_else(|| {
            DemoError::Protocol("the code flow needs a client attestation".into())
        })?;
        attestation
            .split('.')
            .nth(1)
            .and_then(jose_core::base64url::decode)
            .and_then(|payload| serde_json::from_slice::<Value>(&payload).ok())
            .and_then(|claims| claims.get("sub")?.as_str().map(str::to_owned))
            .ok_or_else(|| DemoError::Protocol("the attestation has no sub".into()))
    }

    fn random(&self) -> Result<String, DemoError> {
        let mut bytes = [0u8; 32];
        self.rng.fill(&mut bytes)?;
        Ok(jose_core::base64url::encode(&bytes))
    }

    /// `POST /par` (RFC 9126) with the client attestation, a DPoP proof (if DPoP is on), PKCE
    /// S256 and `authorization_details` (or `scope`) for `request.configuration_id` and its
    /// additional configurations.
    ///
    /// # Errors
    /// [`DemoError::Server`] with the PAR endpoint's error; [`DemoError::Protocol`] when the
    /// metadata has no PAR or authorization endpoint, or (`by_scope`) no `scope` for a
    /// requested configuration.
    pub fn push_authorization(
        &self,
        info: &IssuerInfo,
        request: &CodeRequest,
    ) -> Result<StartedAuthorization, DemoError> {
        let par_url = info
            .as_endpoint("pushed_authorization_request_endpoint")
            .ok_or_else(|| DemoError::Protocol("the AS has no PAR endpoint".into()))?;
        let authorization_endpoint = info
            .as_endpoint("authorization_endpoint")
            .ok_or_else(|| DemoError::Protocol("the AS has no authorization endpoint".into()))?;
        let client_id = self.client_id()?;
        let state = self.random()?;
        let code_verifier = self.random()?;
        let digest = ring::digest::digest(&ring::digest::SHA256, code_verifier.as_bytes());
        let code_challenge = jose_core::base64url::encode(digest.as_ref());
        let ids = core::iter::once(&request.configuration_id)
            .chain(&request.additional_configuration_ids);
        // What is asked for: every configuration by its `scope` value, or each in its own
        // `authorization_details` entry.
        let (asked_by, asked) = if request.by_scope {
            let scopes = ids
                .map(|id| {
                    info.metadata
                        .pointer(&format!("/credential_configurations_supported/{id}/scope"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            DemoError::Protocol(format!("the metadata gives {id} no scope"))
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            ("scope", scopes.join(" "))
        } else {
            let details = ids
                .map(|id| {
                    json!({
                        "type": oid4vci_types::OPENID_CREDENTIAL,
                        "credential_configuration_id": id,
                    })
                })
                .collect();
            ("authorization_details", Value::Array(details).to_string())
        };
        let mut form = vec![
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", request.redirect_uri.as_str()),
            ("state", state.as_str()),
            ("code_challenge", code_challenge.as_str()),
            ("code_challenge_method", "S256"),
            (asked_by, asked.as_str()),
        ];
        if let Some(issuer_state) = &request.issuer_state {
            form.push(("issuer_state", issuer_state.as_str()));
        }
        let mut headers = self.client_auth_headers(info)?;
        if let Some(dpop) = self.dpop_proof("POST", par_url, None)? {
            headers.push(("DPoP".to_owned(), dpop));
        }
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let reply = self
            .http
            .post_form("PAR", par_url, &form, &headers)?
            .expect("PAR", 201)?;
        let request_uri = reply
            .str("request_uri")
            .filter(|uri| uri.starts_with(REQUEST_URI_PREFIX))
            .ok_or_else(|| DemoError::Protocol("PAR response without a request_uri".into()))?
            .to_owned();
        let authorization_url = format!(
            "{authorization_endpoint}?client_id={}&request_uri={}",
            encode(&client_id),
            encode(&request_uri)
        );
        Ok(StartedAuthorization {
            authorization_url,
            request_uri,
            client_id,
            state,
            code_verifier,
            redirect_uri: request.redirect_uri.clone(),
        })
    }

    /// Checks the redirect the user came back with (`state`, `iss` = the AS issuer; RFC
    /// 9207) and returns its `code`.
    ///
    /// # Errors
    /// [`DemoError::Protocol`] for another `state` or `iss`, an `error` answer (named), or no
    /// `code`.
    pub fn authorization_code(
        &self,
        info: &IssuerInfo,
        started: &StartedAuthorization,
        redirect: &str,
    ) -> Result<String, DemoError> {
        if !redirect.starts_with(&format!("{}?", started.redirect_uri)) {
            return Err(DemoError::Protocol(format!(
                "redirected to {redirect}, not to the redirect_uri"
            )));
        }
        if query_param(redirect, "state").as_deref() != Some(started.state.as_str()) {
            return Err(DemoError::Protocol("the redirect's state differs".into()));
        }
        if query_param(redirect, "iss").as_deref() != Some(info.as_issuer()?) {
            return Err(DemoError::Protocol(
                "the redirect's iss is not the authorization server (RFC 9207)".into(),
            ));
        }
        if let Some(error) = query_param(redirect, "error") {
            let description = query_param(redirect, "error_description").unwrap_or_default();
            return Err(DemoError::Protocol(format!(
                "authorization refused: {error}: {description}"
            )));
        }
        query_param(redirect, "code")
            .ok_or_else(|| DemoError::Protocol("the redirect has no code".into()))
    }

    /// Redeems an authorization code at `/token` with the PKCE verifier, the redirect URI,
    /// the client attestation and DPoP.
    ///
    /// # Errors
    /// [`DemoError::Server`] with the token endpoint's error.
    pub fn redeem_code(
        &self,
        info: &IssuerInfo,
        started: &StartedAuthorization,
        code: &str,
    ) -> Result<Tokens, DemoError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", started.redirect_uri.as_str()),
            ("client_id", started.client_id.as_str()),
            ("code_verifier", started.code_verifier.as_str()),
        ];
        let headers = self.token_headers(info)?;
        let reply = self
            .post_token(info, &form, &headers)?
            .expect("token", 200)?;
        Tokens::from_reply(&reply)
    }

    /// Acts as the user's browser: opens `authorization_url`, signs in as `username`, and
    /// approves (or denies) on the consent page, following the pages' forms and cookie.
    /// Returns the URL the issuer redirects to at the end.
    ///
    /// # Errors
    /// [`DemoError`] when a page answers other than expected (the message names it).
    pub fn sign_in_and_consent(
        &self,
        authorization_url: &str,
        username: &str,
        password: &str,
        approve: bool,
    ) -> Result<String, DemoError> {
        let origin = origin(authorization_url)?;
        let login = self.http.get("authorization page", authorization_url)?;
        let login = login.expect("authorization page", 200)?;
        let cookie = session_cookie(&login)?;
        let csrf = csrf_token(&login)?;
        let form = [
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ];
        let signed_in = self
            .http
            .post_form(
                "sign in",
                &format!("{origin}/authorize/login"),
                &form,
                &[("Cookie", &cookie)],
            )?
            .expect("sign in", 303)?;
        let cookie = session_cookie(&signed_in)?;
        let consent_url = format!("{origin}/authorize/consent");
        let consent = self
            .http
            .get_with("consent page", &consent_url, &[("Cookie", &cookie)])?
            .expect("consent page", 200)?;
        let csrf = csrf_token(&consent)?;
        let decision = if approve { "approve" } else { "deny" };
        let answer = self
            .http
            .post_form(
                "consent",
                &consent_url,
                &[("csrf", csrf.as_str()), ("decision", decision)],
                &[("Cookie", &cookie)],
            )?
            .expect("consent", 303)?;
        answer
            .header("location")
            .map(str::to_owned)
            .ok_or_else(|| DemoError::Protocol("the consent answer has no Location".into()))
    }

    /// Runs the whole code flow: discovery, PAR, sign-in and consent as `username`, the
    /// redirect, code redemption, then the credentials as [`Wallet::receive`] does.
    /// `offer_uri`: an offer with the `authorization_code` grant (issuer-initiated; its
    /// `issuer_state` goes into the PAR), or `None` with `issuer` and `configuration_id`
    /// (wallet-initiated, from the metadata).
    ///
    /// # Errors
    /// [`DemoError`] naming the step that failed.
    pub fn run_code_flow(
        &self,
        start: CodeFlowStart<'_>,
        username: &str,
        password: &str,
    ) -> Result<super::FlowOutcome, DemoError> {
        let n = &self.narrator;
        let (issuer, request) = match start {
            CodeFlowStart::Offer(offer_uri) => {
                let offer = match CredentialOfferRequest::parse_uri(offer_uri)
                    .map_err(|e| DemoError::Protocol(format!("offer URI: {e}")))?
                {
                    CredentialOfferRequest::ByValue(offer) => *offer,
                    _ => {
                        return Err(DemoError::Protocol(
                            "the demo wallet reads offers by value".into(),
                        ));
                    }
                };
                let grant = offer
                    .grants
                    .as_ref()
                    .and_then(|g| g.authorization_code.clone())
                    .ok_or_else(|| {
                        DemoError::Protocol("the offer has no authorization_code grant".into())
                    })?;
                let id = offer.credential_configuration_ids.first().ok_or_else(|| {
                    DemoError::Protocol("the offer names no configuration".into())
                })?;
                let mut request = CodeRequest::new(id);
                request.issuer_state = grant.issuer_state;
                n.step("Wallet reads an offer with the authorization_code grant");
                n.say(&format!(
                    "offers {id}; issuer_state {}",
                    abbreviate(request.issuer_state.as_deref().unwrap_or("-"), 12)
                ));
                (offer.credential_issuer, request)
            }
            CodeFlowStart::Metadata {
                issuer,
                configuration_id,
            } => {
                n.step("Wallet starts issuance itself, from the issuer's metadata");
                (issuer.to_owned(), CodeRequest::new(configuration_id))
            }
        };
        let info = self.discover(&issuer)?;
        n.step("Wallet pushes its authorization request to /par (RFC 9126)");
        n.say(&format!(
            "client attestation + PoP, DPoP proof, PKCE S256, authorization_details for {}",
            request.configuration_id
        ));
        let started = self.push_authorization(&info, &request)?;
        n.say(&format!(
            "request_uri {}",
            abbreviate(&started.request_uri, 48)
        ));
        n.step("The user signs in and consents at the issuer's pages");
        n.say(&format!(
            "opens {}",
            abbreviate(&started.authorization_url, 60)
        ));
        let redirect =
            self.sign_in_and_consent(&started.authorization_url, username, password, true)?;
        let code = self.authorization_code(&info, &started, &redirect)?;
        n.say(&format!(
            "redirected back with code {}, state and iss checked",
            abbreviate(&code, 10)
        ));
        n.step("Wallet redeems the code at /token (PKCE verifier, attestation, DPoP)");
        let tokens = self.redeem_code(&info, &started, &code)?;
        n.say(&format!(
            "received a {} access token {}; credential identifiers: {}",
            tokens.token_type,
            abbreviate(&tokens.access_token, 10),
            tokens.credential_identifiers.len()
        ));
        let configuration_id = request.configuration_id.clone();
        self.receive(info, tokens, &configuration_id, 1)
    }
}

/// Where a code flow starts.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum CodeFlowStart<'a> {
    /// An offer URI with the `authorization_code` grant (issuer-initiated).
    Offer(&'a str),
    /// The wallet picks `configuration_id` from `issuer`'s metadata (wallet-initiated).
    Metadata {
        /// The credential issuer identifier.
        issuer: &'a str,
        /// The configuration.
        configuration_id: &'a str,
    },
}

/// `scheme://authority` of `url`.
fn origin(url: &str) -> Result<String, DemoError> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| DemoError::Protocol(format!("not a URL: {url}")))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    Ok(format!("{scheme}://{authority}"))
}

/// `name=value` of the session cookie a page sets.
fn session_cookie(reply: &super::Reply) -> Result<String, DemoError> {
    reply
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| DemoError::Protocol("the page set no session cookie".into()))
}

/// The value of the page's hidden `csrf` field.
fn csrf_token(reply: &super::Reply) -> Result<String, DemoError> {
    let html = reply.body.as_str().unwrap_or_default();
    let marker = "name=\"csrf\" value=\"";
    html.split_once(marker)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(token, _)| token.to_owned())
        .ok_or_else(|| DemoError::Protocol("the page has no CSRF token".into()))
}
