//! `POST /token`: the pre-authorized code grant and the refresh token grant.
//!
//! Redeeming a pre-authorized code creates a [`GrantId`]; the access token, the refresh token
//! family, and every id later issued under them (credential identifiers, transaction ids,
//! notification ids) are stored under it.

use jose_core::UnixTime;
use oid4vci_types::{
    AuthorizationDetail, OAuthError, OPENID_CREDENTIAL, TokenErrorCode, TokenGrant, TokenRequest,
    TokenResponse, TokenType,
};

use super::{ClientIdentity, IssuerEngine, store_failure};
use crate::{
    AccessGrant, EndpointRequest, EndpointResponse, GrantId, RedeemError, RefreshError,
    RefreshGrant,
};

/// The path of the token endpoint (the `htu` of its DPoP proofs).
pub(crate) const TOKEN_PATH: &str = "/token";

fn invalid_request(description: &str) -> OAuthError {
    OAuthError::from_code(TokenErrorCode::InvalidRequest, description)
}

fn invalid_grant(description: &str) -> OAuthError {
    OAuthError::from_code(TokenErrorCode::InvalidGrant, description)
}

fn invalid_details(description: &str) -> OAuthError {
    OAuthError::bad_request("invalid_authorization_details", description)
}

impl IssuerEngine {
    /// `POST /token` (OpenID4VCI 1.0 §6, RFC 6749 §5, RFC 9449 §5).
    ///
    /// The DPoP header is checked first, so a repeated or malformed one is
    /// `invalid_dpop_proof` whatever else is wrong; then client authentication, then the
    /// grant. A token request with `authorization_details` gets one `credential_identifier`
    /// per entry (§6.2), bound to the grant.
    ///
    /// # Errors
    /// The exact answer: `invalid_request`, `unsupported_grant_type`, `invalid_dpop_proof`,
    /// the client authenticator's errors, `invalid_grant`, `invalid_authorization_details`,
    /// `server_error`.
    pub fn token(
        &self,
        request: &EndpointRequest<'_>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        let parsed = TokenRequest::parse_form(request.body()).map_err(|e| match e {
            oid4vci_types::Error::UnsupportedGrantType { .. } => {
                OAuthError::from_code(TokenErrorCode::UnsupportedGrantType, &e.to_string())
            }
            other => invalid_request(&format!("token request: {other}")),
        })?;
        let dpop_jkt = self.dpop(request, TOKEN_PATH, None, now)?;
        let identity = match &self.client_auth {
            Some(auth) => {
                let context = super::ClientAuthContext {
                    nonces: &self.nonces,
                    nonce_max_age: self.settings.nonce_max_age_seconds,
                    replay: self.replay.as_ref(),
                    rng: self.rng.as_ref(),
                };
                auth.authenticate(request, parsed.client_id.as_deref(), &context, now)?
            }
            None => ClientIdentity::default(),
        };
        let warning = identity.lenient_warning.clone();
        let mut response = match &parsed.grant {
            TokenGrant::PreAuthorizedCode {
                pre_authorized_code,
                tx_code,
            } => self.pre_authorized(
                pre_authorized_code,
                tx_code.as_deref(),
                parsed.authorization_details.as_deref(),
                identity,
                dpop_jkt,
                now,
            ),
            TokenGrant::RefreshToken { refresh_token } => {
                self.refresh(refresh_token, &identity, dpop_jkt, now)
            }
            other => Err(OAuthError::from_code(
                TokenErrorCode::UnsupportedGrantType,
                &format!("grant_type {} is not supported", other.grant_type()),
            )),
        }?;
        response.warnings.extend(warning);
        Ok(response)
    }

    fn pre_authorized(
        &self,
        code: &str,
        tx_code: Option<&str>,
        authorization_details: Option<&[AuthorizationDetail]>,
        identity: ClientIdentity,
        dpop_jkt: Option<String>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        let grant = self
            .stores
            .codes
            .redeem(code, tx_code, now)
            .map_err(|e| match e {
                RedeemError::Expired => invalid_grant("the pre-authorized code has expired"),
                RedeemError::TxCodeMissing => invalid_request("this offer requires a tx_code"),
                RedeemError::TxCodeUnexpected => {
                    invalid_request("this offer has no tx_code, but one was sent")
                }
                RedeemError::WrongTxCode { attempts_left } => {
                    invalid_grant(&format!("wrong tx_code ({attempts_left} attempts left)"))
                }
                RedeemError::Store(e) => store_failure(e),
                _ => invalid_grant("the pre-authorized code is unknown or already used"),
            })?;
        let mut refresh = RefreshGrant::new(
            GrantId::new(self.handle()?),
            grant.configuration_ids,
            grant.claims,
            now.saturating_add(self.settings.refresh_token_ttl_seconds),
        );
        if let Some(details) = authorization_details {
            refresh.credential_identifiers =
                self.credential_identifiers(details, &refresh.configuration_ids)?;
        }
        refresh.client_id = identity.client_id;
        refresh.instance_key = identity.instance_key;
        refresh.dpop_jkt.clone_from(&dpop_jkt);
        let refresh_token = self.handle()?;
        let response = self.issue_access(&refresh, &refresh_token, dpop_jkt, now)?;
        self.stores
            .refresh
            .insert(refresh_token, refresh, now)
            .map_err(store_failure)?;
        Ok(response)
    }

    /// `authorization_details` of a token request (OpenID4VCI 1.0 §6.1, RFC 9396): each entry
    /// must be `openid_credential` for a configuration the grant covers, once; each gets one
    /// `credential_identifier`, which credential requests must then use.
    fn credential_identifiers(
        &self,
        details: &[AuthorizationDetail],
        granted: &[String],
    ) -> Result<Vec<(String, String)>, OAuthError> {
        let mut identifiers: Vec<(String, String)> = Vec::with_capacity(details.len());
        for detail in details {
            if detail.detail_type != OPENID_CREDENTIAL {
                return Err(invalid_details(&format!(
                    "authorization_details type {} is not supported",
                    detail.detail_type
                )));
            }
            let Some(id) = detail.credential_configuration_id.as_deref() else {
                return Err(invalid_details(
                    "openid_credential needs credential_configuration_id",
                ));
            };
            if !granted.iter().any(|g| g == id) {
                return Err(invalid_details(&format!(
                    "the grant does not cover credential configuration {id}"
                )));
            }
            if identifiers.iter().any(|(c, _)| c == id) {
                return Err(invalid_details(&format!(
                    "credential configuration {id} is requested twice"
                )));
            }
            identifiers.push((id.to_owned(), self.handle()?));
        }
        Ok(identifiers)
    }

    fn refresh(
        &self,
        presented: &str,
        identity: &ClientIdentity,
        dpop_jkt: Option<String>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        if let Some(current) = self.stores.refresh.peek(presented, now) {
            if current.instance_key.is_some() && current.instance_key != identity.instance_key {
                return Err(invalid_grant(
                    "the refresh token is bound to another wallet instance key",
                ));
            }
            if current.dpop_jkt.is_some() && current.dpop_jkt != dpop_jkt {
                return Err(invalid_grant(
                    "the refresh token is bound to another DPoP key",
                ));
            }
        }
        let next = self.handle()?;
        let grant = self
            .stores
            .refresh
            .rotate(presented, next.clone(), now)
            .map_err(|e| match e {
                RefreshError::Reused { grant } => {
                    self.stores.tokens.revoke_grant(&grant);
                    invalid_grant("refresh token reused: the grant is revoked")
                }
                RefreshError::Expired => invalid_grant("the refresh token has expired"),
                RefreshError::Store(e) => store_failure(e),
                _ => invalid_grant("unknown refresh token"),
            })?;
        self.issue_access(&grant, &next, dpop_jkt, now)
    }

    /// Stores a new access token for `grant` and answers with it.
    fn issue_access(
        &self,
        grant: &RefreshGrant,
        refresh_token: &str,
        dpop_jkt: Option<String>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        let access = self.handle()?;
        let mut access_grant = AccessGrant::new(
            grant.grant.clone(),
            grant.configuration_ids.clone(),
            grant.claims.clone(),
            self.settings.credential_issuer.clone(),
            now.saturating_add(self.settings.access_token_ttl_seconds),
        );
        access_grant.client_id.clone_from(&grant.client_id);
        access_grant
            .credential_identifiers
            .clone_from(&grant.credential_identifiers);
        let token_type = if dpop_jkt.is_some() {
            TokenType::DPoP
        } else {
            TokenType::Bearer
        };
        access_grant.dpop_jkt = dpop_jkt;
        self.stores
            .tokens
            .insert(access.clone(), access_grant, now)
            .map_err(store_failure)?;
        let mut body = TokenResponse::new(&access, token_type);
        body.expires_in = Some(self.settings.access_token_ttl_seconds);
        body.refresh_token = Some(refresh_token.to_owned());
        if !grant.credential_identifiers.is_empty() {
            body.authorization_details = Some(
                grant
                    .credential_identifiers
                    .iter()
                    .map(|(configuration, identifier)| {
                        let mut detail = AuthorizationDetail::openid_credential(configuration);
                        detail.credential_identifiers = Some(vec![identifier.clone()]);
                        detail
                    })
                    .collect(),
            );
        }
        Ok(EndpointResponse::json(200, body.to_value()))
    }
}
