//! RFC 8414 Authorization Server Metadata with the OpenID4VCI 1.0 (§12.3) and ABCA parameters.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::display::Extra;
use crate::error::{Error, MessageKind};
use crate::json;
use crate::limits::Limits;
use crate::well_known::check_issuer_identifier;

/// The `token_endpoint_auth_methods_supported` value of ABCA (PoP JWT mode).
pub const AUTH_METHOD_ATTEST_JWT_CLIENT_AUTH: &str = "attest_jwt_client_auth";

/// Authorization Server Metadata (RFC 8414 §2, OpenID4VCI 1.0 §12.3, ABCA §8).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationServerMetadata {
    /// REQUIRED. The AS issuer identifier.
    pub issuer: String,
    /// The authorization endpoint (absent for a pre-authorized-code-only AS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// The token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// The AS's JWK Set document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Dynamic client registration endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// Supported scope values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// REQUIRED by RFC 8414, but OpenID4VCI §12.3 lets a pre-authorized-code-only AS omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types_supported: Option<Vec<String>>,
    /// Supported response modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_modes_supported: Option<Vec<String>>,
    /// Supported grant types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    /// Client authentication methods; ABCA registers `attest_jwt_client_auth` (and `attest_jwt_client_auth_dpop` from draft -09).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// Algorithms for `private_key_jwt` / `client_secret_jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    /// Human-readable documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_documentation: Option<String>,
    /// UI locales.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_locales_supported: Option<Vec<String>>,
    /// Policy URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_policy_uri: Option<String>,
    /// Terms of service URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_tos_uri: Option<String>,
    /// RFC 7009 revocation endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// RFC 7662 introspection endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// PKCE methods (HAIP: `S256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// RFC 9126 PAR endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
    /// RFC 9126: PAR is mandatory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_pushed_authorization_requests: Option<bool>,
    /// RFC 9396 types (`openid_credential`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details_types_supported: Option<Vec<String>>,
    /// RFC 9207 `iss` in authorization responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// RFC 9449 DPoP algorithms (REQUIRED for ABCA combined mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    /// ABCA (-07+): algorithms accepted for Client Attestation JWTs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_attestation_signing_alg_values_supported: Option<Vec<String>>,
    /// ABCA (-07+): algorithms accepted for Client Attestation PoP JWTs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_attestation_pop_signing_alg_values_supported: Option<Vec<String>>,
    /// ABCA (-10): `attestation_pop_jwt`, `dpop_combined`, `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_attestation_pop_methods_supported: Option<Vec<String>>,
    /// ABCA (-06+): the attestation challenge endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_endpoint: Option<String>,
    /// OpenID4VCI §12.3: whether the token endpoint accepts pre-authorized code requests without
    /// client authentication (default false).
    #[serde(
        rename = "pre-authorized_grant_anonymous_access_supported",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_grant_anonymous_access_supported: Option<bool>,
    /// Unknown members.
    #[serde(flatten)]
    pub extra: Extra,
}

impl AuthorizationServerMetadata {
    /// Metadata with only `issuer` set.
    #[must_use]
    pub fn new(issuer: &str) -> Self {
        Self {
            issuer: issuer.into(),
            authorization_endpoint: None,
            token_endpoint: None,
            jwks_uri: None,
            registration_endpoint: None,
            scopes_supported: None,
            response_types_supported: None,
            response_modes_supported: None,
            grant_types_supported: None,
            token_endpoint_auth_methods_supported: None,
            token_endpoint_auth_signing_alg_values_supported: None,
            service_documentation: None,
            ui_locales_supported: None,
            op_policy_uri: None,
            op_tos_uri: None,
            revocation_endpoint: None,
            introspection_endpoint: None,
            code_challenge_methods_supported: None,
            pushed_authorization_request_endpoint: None,
            require_pushed_authorization_requests: None,
            authorization_details_types_supported: None,
            authorization_response_iss_parameter_supported: None,
            dpop_signing_alg_values_supported: None,
            client_attestation_signing_alg_values_supported: None,
            client_attestation_pop_signing_alg_values_supported: None,
            client_attestation_pop_methods_supported: None,
            challenge_endpoint: None,
            pre_authorized_grant_anonymous_access_supported: None,
            extra: Extra::new(),
        }
    }

    /// Parses AS metadata with the default limits and checks `issuer` (https, no query or
    /// fragment).
    ///
    /// # Errors
    ///
    /// JSON errors, [`Error::MissingMember`], [`Error::InvalidMember`], [`Error::InvalidUrl`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_json_with(bytes, &Limits::default())
    }

    /// Like [`Self::from_json`] with explicit limits (`max_metadata_len` applies).
    ///
    /// # Errors
    ///
    /// As [`Self::from_json`].
    pub fn from_json_with(bytes: &[u8], limits: &Limits) -> Result<Self, Error> {
        let meta: Self = json::parse_typed(
            bytes,
            limits.max_metadata_len,
            limits.max_json_depth,
            MessageKind::AuthorizationServerMetadata,
        )?;
        meta.check()?;
        Ok(meta)
    }

    /// Checks the rules serde cannot: `issuer` is an https URL (plain http only on a loopback
    /// host) without query or fragment.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`].
    pub fn check(&self) -> Result<(), Error> {
        check_issuer_identifier(&self.issuer, "issuer")
    }

    /// Merges members another component contributes to this document (for example the
    /// client authentication members of `attestation_jwt::ClientAttestationVerifier::metadata`):
    /// each member replaces the one of the same name, and the result is read back through
    /// this type, so a known member lands in its typed field, an unknown one in
    /// [`Self::extra`], and a mistyped one is refused. On error `self` is unchanged.
    ///
    /// ```
    /// use oid4vci_types::AuthorizationServerMetadata;
    /// let mut meta = AuthorizationServerMetadata::new("https://as.example.com");
    /// let mut fragment = serde_json::Map::new();
    /// fragment.insert(
    ///     "token_endpoint_auth_methods_supported".into(),
    ///     serde_json::json!(["attest_jwt_client_auth"]),
    /// );
    /// fragment.insert("challenge_endpoint".into(), "https://as.example.com/challenge".into());
    /// meta.merge_members(fragment)?;
    /// assert_eq!(
    ///     meta.token_endpoint_auth_methods_supported,
    ///     Some(vec!["attest_jwt_client_auth".to_owned()])
    /// );
    /// assert_eq!(meta.challenge_endpoint.as_deref(), Some("https://as.example.com/challenge"));
    /// # Ok::<(), oid4vci_types::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidMember`] for a member of the wrong type, [`Error::InvalidUrl`] when a
    /// contributed `issuer` is not a valid issuer identifier.
    pub fn merge_members(&mut self, members: Map<String, Value>) -> Result<(), Error> {
        let message = MessageKind::AuthorizationServerMetadata;
        let mut document = match serde_json::to_value(&*self) {
            Ok(Value::Object(document)) => document,
            Ok(_) => return Err(Error::NotAnObject { message }),
            Err(e) => return Err(json::map_error(&e, message)),
        };
        document.extend(members);
        let merged: Self = json::from_value(Value::Object(document), message)?;
        merged.check()?;
        *self = merged;
        Ok(())
    }

    /// Serializes to a JSON value.
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// `pre-authorized_grant_anonymous_access_supported`, false when absent.
    #[must_use]
    pub fn anonymous_pre_authorized_access(&self) -> bool {
        self.pre_authorized_grant_anonymous_access_supported
            .unwrap_or(false)
    }
}
