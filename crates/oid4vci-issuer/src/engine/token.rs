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
use crate::audit::{AuditEvent, RevocationCause};
use crate::{
    AccessGrant, CodeError, CodeRefusal, EndpointRequest, EndpointResponse, GrantId, IssuedCode,
    RedeemError, RefreshError, RefreshGrant,
};

/// What a token request with the `authorization_code` grant presents.
struct CodeRedemption<'a> {
    code: &'a str,
    redirect_uri: Option<&'a str>,
    code_verifier: Option<&'a str>,
    client_id: Option<&'a str>,
    authorization_details: Option<&'a [AuthorizationDetail]>,
}

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

/// What a refresh or pre-authorized token request asks for besides its grant: `scope` and
/// `authorization_details`. A refresh may ask for no more than its grant (refused otherwise);
/// at the pre-authorized grant the offer fixes the grant, the details must be within it, and
/// a scope beyond it is not granted (RFC 6749 §3.3 lets the server ignore it; the answer
/// names the scope granted).
#[derive(Clone, Copy)]
struct Asked<'a> {
    scope: Option<&'a str>,
    details: Option<&'a [AuthorizationDetail]>,
}

impl<'a> Asked<'a> {
    fn of(request: &'a TokenRequest) -> Self {
        Self {
            scope: request.scope.as_deref(),
            details: request.authorization_details.as_deref(),
        }
    }
}

/// The configuration ids of a token request's `authorization_details`, each of which must be
/// an `openid_credential` entry for a configuration in `granted`, once; checked before the
/// code is spent, so a refused request leaves it usable.
fn checked_details<'a>(
    details: &'a [AuthorizationDetail],
    granted: &[String],
) -> Result<Vec<&'a str>, OAuthError> {
    let mut ids: Vec<&str> = Vec::with_capacity(details.len());
    for detail in details {
        let id = openid_credential_id(detail)?;
        if !granted.iter().any(|g| g == id) {
            return Err(invalid_details(&format!(
                "the grant does not cover credential configuration {id}"
            )));
        }
        if ids.contains(&id) {
            return Err(invalid_details(&format!(
                "credential configuration {id} is requested twice"
            )));
        }
        ids.push(id);
    }
    Ok(ids)
}

/// The `credential_configuration_id` of an `authorization_details` entry, which must be of
/// type `openid_credential` (OpenID4VCI 1.0 §5.1.1); `invalid_authorization_details` otherwise.
pub(super) fn openid_credential_id(detail: &AuthorizationDetail) -> Result<&str, OAuthError> {
    if detail.detail_type != OPENID_CREDENTIAL {
        return Err(invalid_details(&format!(
            "authorization_details type {} is not supported",
            detail.detail_type
        )));
    }
    detail
        .credential_configuration_id
        .as_deref()
        .ok_or_else(|| invalid_details("openid_credential needs credential_configuration_id"))
}

impl IssuerEngine {
    /// `POST /token` (OpenID4VCI 1.0 §6, RFC 6749 §5, RFC 9449 §5).
    ///
    /// The body must be a form (`Content-Type: application/x-www-form-urlencoded`, RFC 6749
    /// §4.1.3) holding a well-formed token request. The DPoP header is checked next, so a
    /// repeated or malformed one is `invalid_dpop_proof` whatever is wrong with the client or
    /// the grant; then client authentication, then the grant. A token request with
    /// `authorization_details` gets one `credential_identifier` per entry (§6.2), bound to the
    /// grant.
    ///
    /// # Errors
    /// The exact answer: `invalid_request` (also a body that is not a form),
    /// `unsupported_grant_type`, `invalid_dpop_proof`,
    /// the client authenticator's errors, `invalid_grant`, `invalid_authorization_details`,
    /// `invalid_scope` (a refresh asking for a configuration outside its grant),
    /// `server_error`.
    pub fn token(
        &self,
        request: &EndpointRequest<'_>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        request.require_form()?;
        let parsed = TokenRequest::parse_form(request.body()).map_err(|e| match e {
            oid4vci_types::Error::UnsupportedGrantType { .. } => {
                OAuthError::from_code(TokenErrorCode::UnsupportedGrantType, &e.to_string())
            }
            other => super::authorize::form_error(other, "token request"),
        })?;
        let dpop = self.dpop(request, TOKEN_PATH, None, now)?;
        // A missing proof is a missing parameter (RFC 6749 §5.2), not an invalid proof: RFC
        // 9449 keeps `invalid_dpop_proof` for a proof that was sent and failed.
        if dpop.is_none() && self.settings.dpop_required {
            return Err(invalid_request(
                "a DPoP proof is required: this issuer issues sender-constrained tokens only",
            ));
        }
        let identity = self.authenticate_client(
            request,
            parsed.client_id.as_deref(),
            super::client_auth::FormCredentials::of_token_request(&parsed),
            dpop.as_ref(),
            now,
        )?;
        let asked = Asked::of(&parsed);
        let dpop_jkt = dpop.map(pop_verifier::AcceptedDpopProof::into_jkt);
        let warning = identity.lenient_warning.clone();
        let mut response = match &parsed.grant {
            TokenGrant::PreAuthorizedCode {
                pre_authorized_code,
                tx_code,
            } => self.pre_authorized(
                pre_authorized_code,
                tx_code.as_deref(),
                asked,
                identity,
                dpop_jkt,
                now,
            ),
            TokenGrant::RefreshToken { refresh_token } => {
                self.refresh(refresh_token, &identity, asked, dpop_jkt, now)
            }
            TokenGrant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => self.authorization_code(
                &CodeRedemption {
                    code,
                    redirect_uri: redirect_uri.as_deref(),
                    code_verifier: code_verifier.as_deref(),
                    client_id: parsed.client_id.as_deref(),
                    authorization_details: parsed.authorization_details.as_deref(),
                },
                identity,
                dpop_jkt,
                now,
            ),
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
        asked: Asked<'_>,
        identity: ClientIdentity,
        dpop_jkt: Option<String>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        let grant = self
            .stores
            .codes
            .redeem_checked(code, tx_code, now, &|grant| {
                asked.details.map_or(Ok(()), |details| {
                    checked_details(details, &grant.configuration_ids)
                        .map(|_| ())
                        .map_err(|e| e.description().to_owned())
                })
            })
            .map_err(|e| match e {
                RedeemError::Expired => invalid_grant("the pre-authorized code has expired"),
                RedeemError::TxCodeMissing => invalid_request("this offer requires a tx_code"),
                RedeemError::TxCodeUnexpected => {
                    invalid_request("this offer has no tx_code, but one was sent")
                }
                RedeemError::WrongTxCode { attempts_left } => {
                    if attempts_left == 0 {
                        let code = self.pseudonyms.pseudonym("pre-authorized-code", code);
                        self.record(AuditEvent::TxCodeLockout { code }, now);
                    }
                    invalid_grant(&format!("wrong tx_code ({attempts_left} attempts left)"))
                }
                RedeemError::Refused(description) => invalid_details(&description),
                RedeemError::Store(e) => store_failure(e),
                _ => invalid_grant("the pre-authorized code is unknown or already used"),
            })?;
        let mut refresh = RefreshGrant::new(
            GrantId::new(self.handle()?),
            grant.configuration_ids,
            grant.claims,
            now.saturating_add(self.settings.refresh_token_ttl_seconds),
        );
        if let Some(details) = asked.details {
            refresh.credential_identifiers =
                self.credential_identifiers(details, &refresh.configuration_ids)?;
        }
        refresh.client_id = identity.client_id;
        refresh.instance_key = identity.instance_key;
        let event = AuditEvent::PreAuthorizedCodeRedeemed {
            grant: self.grant_pseudonym(&refresh.grant),
            client_id: refresh.client_id.clone(),
            configuration_ids: refresh.configuration_ids.clone(),
        };
        let configuration_ids = refresh.configuration_ids.clone();
        let response = self.start_grant(refresh, dpop_jkt, now)?;
        self.record(event, now);
        Ok(self.answered_scope(response, &configuration_ids, asked))
    }

    /// The `authorization_code` grant (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9449 §10): the code
    /// must be this client's, for this redirect URI, answered by the PKCE verifier, presented
    /// with the DPoP key and attested instance it is bound to; a refused check leaves it
    /// unused. A second redemption revokes every token of the first (RFC 6749 §4.1.2).
    fn authorization_code(
        &self,
        redemption: &CodeRedemption<'_>,
        identity: ClientIdentity,
        dpop_jkt: Option<String>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        // RFC 6749 §4.1.3: `client_id` is REQUIRED when the client does not authenticate.
        let client_id = redemption
            .client_id
            .or(identity.client_id.as_deref())
            .ok_or_else(|| {
                invalid_request("client_id is required when the client does not authenticate")
            })?;
        let accept = |issued: &IssuedCode| {
            let request = &issued.request;
            if request.client_id != client_id {
                return Err(CodeRefusal::ClientMismatch);
            }
            if redemption.redirect_uri != Some(request.redirect_uri.as_str()) {
                return Err(CodeRefusal::RedirectUriMismatch);
            }
            let verifier = redemption.code_verifier.ok_or(CodeRefusal::PkceMissing)?;
            if !oid4vci_types::pkce_s256_matches(verifier, &request.code_challenge) {
                return Err(CodeRefusal::PkceMismatch);
            }
            if request.dpop_jkt.is_some() && request.dpop_jkt != dpop_jkt {
                return Err(CodeRefusal::DpopMismatch);
            }
            if request.instance_key.is_some() && request.instance_key != identity.instance_key {
                return Err(CodeRefusal::InstanceKeyMismatch);
            }
            if let Some(details) = redemption.authorization_details {
                checked_details(details, &request.configuration_ids)
                    .map_err(|e| CodeRefusal::AuthorizationDetails(e.description().to_owned()))?;
            }
            Ok(())
        };
        let refresh_until = now.saturating_add(self.settings.refresh_token_ttl_seconds);
        let issued = self
            .stores
            .authorizations
            .redeem_code(redemption.code, now, refresh_until, &accept)
            .map_err(|e| self.code_error(e, refresh_until, now))?;
        let mut refresh = RefreshGrant::new(
            issued.grant,
            issued.request.configuration_ids,
            issued.claims,
            refresh_until,
        );
        refresh.credential_identifiers = match redemption.authorization_details {
            Some(details) => self.credential_identifiers(details, &refresh.configuration_ids)?,
            None if issued.request.by_authorization_details => {
                self.identifiers_for(refresh.configuration_ids.iter().map(String::as_str))?
            }
            None => Vec::new(),
        };
        refresh.client_id = Some(issued.request.client_id);
        let granted_scope = issued.request.granted_scope;
        // The instance attested at PAR, or else at this request (a lenient PAR without an
        // attestation): the refresh tokens are bound to it (ABCA §9.3).
        refresh.instance_key = issued.request.instance_key.or(identity.instance_key);
        let event = AuditEvent::AuthorizationCodeRedeemed {
            grant: self.grant_pseudonym(&refresh.grant),
            client_id: refresh.client_id.clone(),
            configuration_ids: refresh.configuration_ids.clone(),
        };
        let mut response = self.start_grant(refresh, dpop_jkt, now)?;
        if let (Some(scope), Some(serde_json::Value::Object(body))) =
            (granted_scope, response.body.as_mut())
        {
            body.insert("scope".to_owned(), serde_json::Value::String(scope));
        }
        self.record(event, now);
        Ok(response)
    }

    /// The answer to a code that did not redeem; a reused one revokes its grant first.
    fn code_error(&self, error: CodeError, until: UnixTime, now: UnixTime) -> OAuthError {
        let refused = |d: &str| invalid_grant(d);
        match error {
            CodeError::Reused { grant } => {
                let revoked = self
                    .stores
                    .tokens
                    .revoke_grant(&grant)
                    .and_then(|()| self.stores.refresh.revoke_grant(&grant, until, now));
                if let Err(e) = revoked {
                    return store_failure(e);
                }
                self.record(
                    AuditEvent::RefreshFamilyRevoked {
                        grant: self.grant_pseudonym(&grant),
                        cause: RevocationCause::AuthorizationCodeReused,
                    },
                    now,
                );
                refused("the authorization code was already used: its tokens are revoked")
            }
            CodeError::Expired => refused("the authorization code has expired"),
            CodeError::Refused(CodeRefusal::ClientMismatch) => {
                refused("the authorization code was issued to another client")
            }
            CodeError::Refused(CodeRefusal::RedirectUriMismatch) => {
                refused("redirect_uri differs from the authorization request's")
            }
            CodeError::Refused(CodeRefusal::PkceMissing) => refused("code_verifier is missing"),
            CodeError::Refused(CodeRefusal::PkceMismatch) => {
                refused("code_verifier does not match the code_challenge")
            }
            CodeError::Refused(CodeRefusal::DpopMismatch) => OAuthError::from_code(
                TokenErrorCode::InvalidDpopProof,
                "the authorization code is bound to another DPoP key",
            ),
            CodeError::Refused(CodeRefusal::InstanceKeyMismatch) => {
                refused("the authorization code is bound to another wallet instance key")
            }
            CodeError::Refused(CodeRefusal::AuthorizationDetails(description)) => {
                invalid_details(&description)
            }
            CodeError::Store(e) => store_failure(e),
            _ => refused("the authorization code is unknown"),
        }
    }

    /// `authorization_details` of a token request (OpenID4VCI 1.0 §6.1, RFC 9396): each entry
    /// must be `openid_credential` for a configuration the grant covers, once; each gets one
    /// `credential_identifier`, which credential requests must then use.
    fn credential_identifiers(
        &self,
        details: &[AuthorizationDetail],
        granted: &[String],
    ) -> Result<Vec<(String, String)>, OAuthError> {
        self.identifiers_for(checked_details(details, granted)?.into_iter())
    }

    /// One fresh `credential_identifier` per configuration id.
    fn identifiers_for<'a>(
        &self,
        configuration_ids: impl Iterator<Item = &'a str>,
    ) -> Result<Vec<(String, String)>, OAuthError> {
        configuration_ids
            .map(|id| Ok((id.to_owned(), self.handle()?)))
            .collect()
    }

    /// Starts `refresh`'s grant: a refresh token and an access token, stored and answered.
    /// The access token is bound to the request's DPoP key, if any, and the grant records the
    /// key. Without an attested wallet instance the refresh token is bound to that key (a
    /// refresh with another key, or none, is refused). With one it is not (RFC 9449 §5: a
    /// client that authenticates keeps unbound refresh tokens; every refresh proves the
    /// instance again), so a wallet may refresh with a new DPoP key; but a grant that started
    /// with DPoP refreshes only with a DPoP proof, so its access tokens stay sender-constrained.
    fn start_grant(
        &self,
        mut refresh: RefreshGrant,
        dpop_jkt: Option<String>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        refresh.dpop_jkt.clone_from(&dpop_jkt);
        let refresh_token = self.handle()?;
        let response = self.issue_access(&refresh, &refresh_token, dpop_jkt, now)?;
        self.stores
            .refresh
            .insert(refresh_token, refresh, now)
            .map_err(store_failure)?;
        Ok(response)
    }

    fn refresh(
        &self,
        presented: &str,
        identity: &ClientIdentity,
        asked: Asked<'_>,
        dpop_jkt: Option<String>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        // A store that cannot answer fails the refresh: the bindings below must be checked.
        if let Some(current) = self
            .stores
            .refresh
            .peek(presented, now)
            .map_err(store_failure)?
        {
            if current.instance_key.is_some() && current.instance_key != identity.instance_key {
                return Err(invalid_grant(
                    "the refresh token is bound to another wallet instance key",
                ));
            }
            // RFC 6749 §6: a refresh token issued to one client is not another's.
            if let (Some(client), Some(issued_to)) = (&identity.client_id, &current.client_id)
                && client != issued_to
            {
                return Err(invalid_grant(
                    "the refresh token was issued to another client",
                ));
            }
            match (&current.dpop_jkt, current.instance_key.is_some()) {
                (Some(bound), false) if dpop_jkt.as_ref() != Some(bound) => {
                    return Err(invalid_grant(
                        "the refresh token is bound to another DPoP key",
                    ));
                }
                (Some(_), true) if dpop_jkt.is_none() => {
                    return Err(invalid_grant(
                        "the grant's access tokens are DPoP-bound: a refresh needs a DPoP proof",
                    ));
                }
                _ => {}
            }
            self.check_asked(&current.configuration_ids, asked)?;
            // A sender-constrained refresh token (bound to a DPoP key or to an attested
            // wallet instance) is not rotated (RFC 9700 §4.14.2 asks one or the other), and
            // FAPI 2.0 SP §5.3.2.1 (HAIP 1.0 §4) allows rotation only where retrying with the
            // previous token succeeds, so a wallet that lost the answer keeps its grant. The
            // answer carries the same token.
            if current.is_sender_constrained() {
                let response = self.refreshed(&current, presented, dpop_jkt, now)?;
                return Ok(self.answered_scope(response, &current.configuration_ids, asked));
            }
        }
        let next = self.handle()?;
        let grant = self
            .stores
            .refresh
            .rotate(presented, next.clone(), dpop_jkt.as_deref(), now)
            .map_err(|e| match e {
                RefreshError::Reused { grant } => {
                    // The refresh store has revoked the family already; the access tokens go
                    // now.
                    self.record(
                        AuditEvent::RefreshFamilyRevoked {
                            grant: self.grant_pseudonym(&grant),
                            cause: RevocationCause::RefreshTokenReused,
                        },
                        now,
                    );
                    match self.stores.tokens.revoke_grant(&grant) {
                        Ok(()) => invalid_grant("refresh token reused: the grant is revoked"),
                        Err(e) => store_failure(e),
                    }
                }
                RefreshError::Expired => invalid_grant("the refresh token has expired"),
                RefreshError::Store(e) => store_failure(e),
                _ => invalid_grant("unknown refresh token"),
            })?;
        let response = self.refreshed(&grant, &next, dpop_jkt, now)?;
        Ok(self.answered_scope(response, &grant.configuration_ids, asked))
    }

    /// A refresh asks for no more than its grant (RFC 6749 §6: the scope "MUST NOT include any
    /// scope not originally granted"; RFC 9396 §6 for `authorization_details`): each scope
    /// value a configuration claims, and each detail's configuration, must be one of
    /// `granted`. Scope values no configuration claims are ignored, as at PAR (OpenID4VCI 1.0
    /// §5.1.2). The new access token covers the whole grant.
    fn check_asked(&self, granted: &[String], asked: Asked<'_>) -> Result<(), OAuthError> {
        for scope in oid4vci_types::scope_values(asked.scope) {
            if let Some(profile) = self.scope_profile(scope)
                && !granted.contains(&profile.id)
            {
                return Err(OAuthError::bad_request(
                    "invalid_scope",
                    &format!("scope {scope} was not granted"),
                ));
            }
        }
        if let Some(details) = asked.details {
            checked_details(details, granted)?;
        }
        Ok(())
    }

    /// `response` with the scope of the token when the request asked for one (RFC 6749 §3.3:
    /// REQUIRED when it differs from what was asked for): the scope values of the `granted`
    /// configurations, when they have any.
    fn answered_scope(
        &self,
        mut response: EndpointResponse,
        granted: &[String],
        asked: Asked<'_>,
    ) -> EndpointResponse {
        if asked.scope.is_none() {
            return response;
        }
        let scopes: Vec<&str> = granted
            .iter()
            .filter_map(|id| self.profile(id)?.scope.as_deref())
            .collect();
        if !scopes.is_empty()
            && let Some(serde_json::Value::Object(body)) = response.body.as_mut()
        {
            body.insert("scope".to_owned(), scopes.join(" ").into());
        }
        response
    }

    /// A new access token for `grant`, answered with `refresh_token`, and the refresh audited.
    fn refreshed(
        &self,
        grant: &RefreshGrant,
        refresh_token: &str,
        dpop_jkt: Option<String>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        let response = self.issue_access(grant, refresh_token, dpop_jkt, now)?;
        self.record(
            AuditEvent::RefreshTokenUsed {
                grant: self.grant_pseudonym(&grant.grant),
                client_id: grant.client_id.clone(),
            },
            now,
        );
        Ok(response)
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
        let ttl = if dpop_jkt.is_some() {
            self.settings.access_token_ttl_seconds
        } else {
            self.settings
                .access_token_ttl_seconds
                .min(crate::settings::MAX_BEARER_TOKEN_TTL_SECONDS)
        };
        let mut access_grant = AccessGrant::new(
            grant.grant.clone(),
            grant.configuration_ids.clone(),
            grant.claims.clone(),
            self.settings.credential_issuer.clone(),
            now.saturating_add(ttl),
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
        body.expires_in = Some(ttl);
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
