//! Token endpoint messages (OpenID4VCI 1.0 §6, RFC 6749 §4.1.3, §5.1, §6) and the nonce
//! response (§7.2).

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::authorization_details::AuthorizationDetail;
use crate::display::Extra;
use crate::error::{Error, MessageKind};
use crate::json;
use crate::limits::Limits;
use crate::offer::{AUTHORIZATION_CODE_GRANT, PRE_AUTHORIZED_CODE_GRANT, REFRESH_TOKEN_GRANT};
use crate::options::ParseOptions;
use crate::pct;

/// The grant of a token request, with its grant-specific parameters. `Debug` redacts the
/// codes and tokens.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenGrant {
    /// `urn:ietf:params:oauth:grant-type:pre-authorized_code` (§6.1).
    PreAuthorizedCode {
        /// `pre-authorized_code`, REQUIRED.
        pre_authorized_code: String,
        /// `tx_code`, REQUIRED exactly when the offer had a `tx_code` object.
        tx_code: Option<String>,
    },
    /// `authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5).
    AuthorizationCode {
        /// `code`, REQUIRED.
        code: String,
        /// `redirect_uri`, REQUIRED if it was in the authorization request.
        redirect_uri: Option<String>,
        /// PKCE `code_verifier` (43-128 unreserved characters).
        code_verifier: Option<String>,
    },
    /// `refresh_token` (RFC 6749 §6).
    RefreshToken {
        /// `refresh_token`, REQUIRED.
        refresh_token: String,
    },
}

impl TokenGrant {
    /// The `grant_type` value.
    #[must_use]
    pub fn grant_type(&self) -> &'static str {
        match self {
            Self::PreAuthorizedCode { .. } => PRE_AUTHORIZED_CODE_GRANT,
            Self::AuthorizationCode { .. } => AUTHORIZATION_CODE_GRANT,
            Self::RefreshToken { .. } => REFRESH_TOKEN_GRANT,
        }
    }
}

impl fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PreAuthorizedCode { tx_code, .. } => f
                .debug_struct("PreAuthorizedCode")
                .field("pre_authorized_code", &"<redacted>")
                .field("tx_code", &tx_code.as_ref().map(|_| "<redacted>"))
                .finish(),
            Self::AuthorizationCode {
                redirect_uri,
                code_verifier,
                ..
            } => f
                .debug_struct("AuthorizationCode")
                .field("code", &"<redacted>")
                .field("redirect_uri", redirect_uri)
                .field(
                    "code_verifier",
                    &code_verifier.as_ref().map(|_| "<redacted>"),
                )
                .finish(),
            Self::RefreshToken { .. } => f
                .debug_struct("RefreshToken")
                .field("refresh_token", &"<redacted>")
                .finish(),
        }
    }
}

/// `client_assertion_type` + `client_assertion` (RFC 7521 §4.2).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientAssertion {
    /// `client_assertion_type`.
    pub assertion_type: String,
    /// `client_assertion` (a JWT; redacted in `Debug`).
    pub assertion: String,
}

impl fmt::Debug for ClientAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAssertion")
            .field("assertion_type", &self.assertion_type)
            .field("assertion", &"<redacted>")
            .finish()
    }
}

/// A token request, parsed from its `application/x-www-form-urlencoded` body.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TokenRequest {
    /// The grant and its parameters.
    pub grant: TokenGrant,
    /// `client_id` (public clients, or alongside ABCA where it must equal the attestation `sub`).
    pub client_id: Option<String>,
    /// `client_assertion_type` + `client_assertion`, if present.
    pub client_assertion: Option<ClientAssertion>,
    /// `authorization_details` (JSON in the form value).
    pub authorization_details: Option<Vec<AuthorizationDetail>>,
    /// `scope`.
    pub scope: Option<String>,
    /// RFC 8707 `resource`.
    pub resource: Option<String>,
    /// Every other non-empty parameter, by name.
    pub extra: BTreeMap<String, String>,
}

impl TokenRequest {
    /// A request with the given grant and nothing else.
    #[must_use]
    pub fn new(grant: TokenGrant) -> Self {
        Self {
            grant,
            client_id: None,
            client_assertion: None,
            authorization_details: None,
            scope: None,
            resource: None,
            extra: BTreeMap::new(),
        }
    }

    /// Parses a form body with strict options.
    ///
    /// Parameters with an empty value are treated as omitted (RFC 6749 §3.1); a repeated
    /// parameter is refused.
    ///
    /// # Errors
    ///
    /// [`Error::InputTooLarge`], [`Error::TooManyParameters`], [`Error::DuplicateParameter`],
    /// [`Error::InvalidPercentEncoding`], [`Error::MissingParameter`] (`grant_type`, `code`,
    /// `pre-authorized_code`, `refresh_token`, or half of a client assertion),
    /// [`Error::UnsupportedGrantType`], [`Error::InvalidCodeVerifier`], and the errors of
    /// [`AuthorizationDetail::parse_list`].
    pub fn parse_form(body: &[u8]) -> Result<Self, Error> {
        Self::parse_form_with(body, &ParseOptions::default())
    }

    /// Like [`Self::parse_form`] with explicit options.
    ///
    /// # Errors
    ///
    /// As [`Self::parse_form`].
    pub fn parse_form_with(body: &[u8], options: &ParseOptions) -> Result<Self, Error> {
        let mut params = pct::form_params(body, &options.limits)?;
        let mut take = |name: &'static str| params.remove(name);
        let grant_type =
            take("grant_type").ok_or(Error::MissingParameter { name: "grant_type" })?;
        let grant = match grant_type.as_str() {
            PRE_AUTHORIZED_CODE_GRANT => TokenGrant::PreAuthorizedCode {
                pre_authorized_code: take("pre-authorized_code").ok_or(
                    Error::MissingParameter {
                        name: "pre-authorized_code",
                    },
                )?,
                tx_code: take("tx_code"),
            },
            AUTHORIZATION_CODE_GRANT => {
                let code = take("code").ok_or(Error::MissingParameter { name: "code" })?;
                let code_verifier = take("code_verifier");
                if let Some(v) = &code_verifier {
                    check_code_verifier(v)?;
                }
                TokenGrant::AuthorizationCode {
                    code,
                    redirect_uri: take("redirect_uri"),
                    code_verifier,
                }
            }
            REFRESH_TOKEN_GRANT => TokenGrant::RefreshToken {
                refresh_token: take("refresh_token").ok_or(Error::MissingParameter {
                    name: "refresh_token",
                })?,
            },
            other => {
                return Err(Error::UnsupportedGrantType {
                    grant_type: jose_core::short_text(other),
                });
            }
        };
        let client_assertion = match (take("client_assertion_type"), take("client_assertion")) {
            (Some(assertion_type), Some(assertion)) => Some(ClientAssertion {
                assertion_type,
                assertion,
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(Error::MissingParameter {
                    name: "client_assertion",
                });
            }
            (None, Some(_)) => {
                return Err(Error::MissingParameter {
                    name: "client_assertion_type",
                });
            }
        };
        let authorization_details = match take("authorization_details") {
            Some(text) => Some(AuthorizationDetail::parse_list(text.as_bytes(), options)?),
            None => None,
        };
        let client_id = take("client_id");
        let scope = take("scope");
        let resource = take("resource");
        Ok(Self {
            grant,
            client_id,
            client_assertion,
            authorization_details,
            scope,
            resource,
            extra: params,
        })
    }

    /// Serializes to an `application/x-www-form-urlencoded` body (the wallet side).
    #[must_use]
    pub fn to_form(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec_pairs(&self.grant);
        let mut push = |name: &'static str, value: Option<&String>| {
            if let Some(v) = value {
                pairs.push((name, v.clone()));
            }
        };
        push("client_id", self.client_id.as_ref());
        if let Some(a) = &self.client_assertion {
            push("client_assertion_type", Some(&a.assertion_type));
            push("client_assertion", Some(&a.assertion));
        }
        push("scope", self.scope.as_ref());
        push("resource", self.resource.as_ref());
        if let Some(details) = &self.authorization_details {
            let text = serde_json::to_value(details)
                .unwrap_or(Value::Null)
                .to_string();
            pairs.push(("authorization_details", text));
        }
        let extra = self.extra.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        pct::build_form(pairs.iter().map(|(k, v)| (*k, v.as_str())).chain(extra))
    }
}

fn vec_pairs(grant: &TokenGrant) -> Vec<(&'static str, String)> {
    let mut pairs = Vec::new();
    pairs.push(("grant_type", grant.grant_type().to_string()));
    match grant {
        TokenGrant::PreAuthorizedCode {
            pre_authorized_code,
            tx_code,
        } => {
            pairs.push(("pre-authorized_code", pre_authorized_code.clone()));
            if let Some(t) = tx_code {
                pairs.push(("tx_code", t.clone()));
            }
        }
        TokenGrant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            pairs.push(("code", code.clone()));
            if let Some(r) = redirect_uri {
                pairs.push(("redirect_uri", r.clone()));
            }
            if let Some(v) = code_verifier {
                pairs.push(("code_verifier", v.clone()));
            }
        }
        TokenGrant::RefreshToken { refresh_token } => {
            pairs.push(("refresh_token", refresh_token.clone()));
        }
    }
    pairs
}

/// RFC 7636 §4.1: `code-verifier = 43*128unreserved`.
fn check_code_verifier(v: &str) -> Result<(), Error> {
    let ok = (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidCodeVerifier)
    }
}

/// `token_type` of a token response (RFC 6749 §7.1; case-insensitive on input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenType {
    /// RFC 6750 bearer token.
    Bearer,
    /// RFC 9449 DPoP-bound token.
    DPoP,
}

impl TokenType {
    /// The canonical spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
            Self::DPoP => "DPoP",
        }
    }
}

impl Serialize for TokenType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TokenType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.eq_ignore_ascii_case("bearer") {
            Ok(Self::Bearer)
        } else if text.eq_ignore_ascii_case("dpop") {
            Ok(Self::DPoP)
        } else {
            Err(de::Error::custom("token_type is neither Bearer nor DPoP"))
        }
    }
}

/// A successful token response (§6.2). `Debug` redacts the tokens.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// REQUIRED. The access token.
    pub access_token: String,
    /// REQUIRED. `Bearer` or `DPoP`.
    pub token_type: TokenType,
    /// Lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// A refresh token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Granted scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// REQUIRED when `authorization_details` was requested: each entry carries
    /// `credential_identifiers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<AuthorizationDetail>>,
    /// Unknown members (a draft-13 `c_nonce` lands here).
    #[serde(flatten)]
    pub extra: Extra,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("scope", &self.scope)
            .field("authorization_details", &self.authorization_details)
            .field("extra", &self.extra)
            .finish()
    }
}

impl TokenResponse {
    /// A response with the REQUIRED members.
    #[must_use]
    pub fn new(access_token: &str, token_type: TokenType) -> Self {
        Self {
            access_token: access_token.into(),
            token_type,
            expires_in: None,
            refresh_token: None,
            scope: None,
            authorization_details: None,
            extra: Extra::new(),
        }
    }

    /// Parses a token response (the wallet side) with default limits. Every
    /// `authorization_details` entry of type `openid_credential` must carry a non-empty
    /// `credential_identifiers` (§6.2).
    ///
    /// # Errors
    ///
    /// JSON errors, [`Error::MissingMember`], [`Error::InvalidMember`], [`Error::EmptyArray`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_json_with(bytes, &Limits::default())
    }

    /// Like [`Self::from_json`] with explicit limits.
    ///
    /// # Errors
    ///
    /// As [`Self::from_json`].
    pub fn from_json_with(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        let resp: Self = json::parse_typed(
            bytes,
            limits.max_message_len,
            limits.max_json_depth,
            MessageKind::TokenResponse,
        )?;
        for detail in resp.authorization_details.iter().flatten() {
            match &detail.credential_identifiers {
                None => {
                    return Err(Error::MissingMember {
                        message: MessageKind::TokenResponse,
                        member: "credential_identifiers".into(),
                    });
                }
                Some(ids) if ids.is_empty() => {
                    return Err(Error::EmptyArray {
                        message: MessageKind::TokenResponse,
                        member: "credential_identifiers",
                    });
                }
                Some(_) => {}
            }
        }
        Ok(resp)
    }

    /// Serializes to a JSON value.
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The nonce endpoint response (§7.2): `{"c_nonce": "..."}`; serve it with
/// `Cache-Control: no-store`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NonceResponse {
    /// REQUIRED. The nonce.
    pub c_nonce: String,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl NonceResponse {
    /// A response carrying `c_nonce`.
    #[must_use]
    pub fn new(c_nonce: &str) -> Self {
        Self {
            c_nonce: c_nonce.into(),
            extra: Extra::new(),
        }
    }

    /// Parses a nonce response with default limits.
    ///
    /// # Errors
    ///
    /// JSON errors and [`Error::MissingMember`] for `c_nonce`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        let limits = Limits::default();
        json::parse_typed(
            bytes,
            limits.max_message_len,
            limits.max_json_depth,
            MessageKind::NonceResponse,
        )
    }

    /// The response as JSON.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("c_nonce".into(), Value::String(self.c_nonce.clone()));
        for (name, value) in &self.extra {
            map.entry(name.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(map)
    }
}
