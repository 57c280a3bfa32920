//! The authorization code flow (HAIP 1.0, OpenID4VCI 1.0 §5): `POST /par`, then the
//! authorization request by `request_uri`, then the user's consent or refusal as a redirect.
//! The login and consent pages are the adapter's; the engine decides what they may grant.

use jose_core::UnixTime;
use oid4vci_types::{
    AuthorizationDetail, AuthorizationErrorResponse, AuthorizationRequest, AuthorizationResponse,
    OAuthError, PushedAuthorizationRequest, PushedAuthorizationResponse, REQUEST_URI_PREFIX,
    TokenErrorCode,
};

use super::{ClientAuthContext, ClientIdentity, IssuerEngine, store_failure};
use crate::{
    CredentialProfile, EndpointRequest, EndpointResponse, GrantId, IssuedCode, PushedRequest,
};

/// The path of the pushed authorization request endpoint (the `htu` of its DPoP proofs).
pub const PAR_PATH: &str = "/par";

/// A pushed request taken by its `request_uri`: what the login and consent pages show, and
/// the only way to complete the authorization ([`IssuerEngine::approve`] or
/// [`IssuerEngine::deny`]). Only the engine makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingAuthorization {
    request: PushedRequest,
    request_uri: String,
}

impl PendingAuthorization {
    /// The `request_uri` this authorization was taken by, spent then: an adapter that lets the
    /// same browser come back to the authorization URL (RFC 9126 §4) matches it.
    #[must_use]
    pub fn request_uri(&self) -> &str {
        &self.request_uri
    }

    /// The client asking.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.request.client_id
    }

    /// Whether the client proved what it is at the pushed request: its client attestation was
    /// verified (an attested wallet instance). `false` when client authentication was absent
    /// or lenient: then `client_id` is only a name anyone can use, and a page should say so.
    #[must_use]
    pub const fn client_attested(&self) -> bool {
        self.request.instance_key.is_some()
    }

    /// The credential configurations the user is asked to consent to.
    #[must_use]
    pub fn configuration_ids(&self) -> &[String] {
        &self.request.configuration_ids
    }

    /// Where the answer goes.
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.request.redirect_uri
    }

    /// `issuer_state` from an offer, if the wallet sent one.
    #[must_use]
    pub fn issuer_state(&self) -> Option<&str> {
        self.request.issuer_state.as_deref()
    }

    /// Whether this authorization is still usable at `now` (an adapter keeps it between the
    /// login and the consent page; the engine answers a stale one with `invalid_request`).
    #[must_use]
    pub fn is_live(&self, now: UnixTime) -> bool {
        self.request.expires_at > now
    }
}

fn invalid_request(description: &str) -> OAuthError {
    OAuthError::from_code(TokenErrorCode::InvalidRequest, description)
}

/// The answer to a PAR or token request form that does not parse. Only
/// `authorization_details` is JSON in these forms, so every JSON error is its:
/// `invalid_authorization_details` (RFC 9396 §5, §8); the rest is `invalid_request`.
pub(super) fn form_error(e: oid4vci_types::Error, form: &str) -> OAuthError {
    use oid4vci_types::Error as E;
    match e {
        E::InvalidJson { .. }
        | E::InvalidMember { .. }
        | E::MissingMember { .. }
        | E::EmptyArray { .. }
        | E::Draft13Shape { .. } => {
            OAuthError::bad_request("invalid_authorization_details", &e.to_string())
        }
        other => invalid_request(&format!("{form}: {other}")),
    }
}

impl IssuerEngine {
    /// `POST /par` (RFC 9126 §2, HAIP): parses the pushed request, verifies an optional DPoP
    /// proof (its key, or the `dpop_jkt` parameter, binds the code, RFC 9449 §10),
    /// authenticates the client, resolves `authorization_details` and `scope` into credential
    /// configurations, and stores the request under a fresh single-use `request_uri` bound to
    /// the client.
    ///
    /// # Errors
    /// `invalid_request` (not a form, malformed, PKCE missing or not S256, a redirect URI that
    /// is not an absolute URI or has a fragment, a `request_uri`, a `response_mode` other than
    /// `query`), `unsupported_response_type`, `invalid_dpop_proof` (also a `dpop_jkt` that
    /// differs from the proof's key), the client authenticator's errors,
    /// `invalid_authorization_details`, `invalid_scope`, `server_error`.
    pub fn par(
        &self,
        request: &EndpointRequest<'_>,
        now: UnixTime,
    ) -> Result<EndpointResponse, OAuthError> {
        request.require_form()?;
        let pushed =
            PushedAuthorizationRequest::parse_form(request.body()).map_err(|e| match e {
                oid4vci_types::Error::UnsupportedResponseType { .. } => {
                    OAuthError::bad_request("unsupported_response_type", &e.to_string())
                }
                other => form_error(other, "pushed authorization request"),
            })?;
        let dpop = self.dpop(request, PAR_PATH, None, now)?;
        let dpop_jkt = match (dpop.as_ref(), pushed.extra.get("dpop_jkt")) {
            (Some(proof), Some(param)) if proof.jkt() != param => {
                return Err(OAuthError::from_code(
                    TokenErrorCode::InvalidDpopProof,
                    "dpop_jkt does not match the key of the DPoP proof",
                ));
            }
            (Some(proof), _) => Some(proof.jkt().to_owned()),
            (None, param) => param.cloned(),
        };
        let identity = self.authenticate_client(
            request,
            Some(&pushed.client_id),
            super::client_auth::FormCredentials::from_params(&pushed.extra),
            dpop.as_ref(),
            now,
        )?;
        let configuration_ids = self.requested_configurations(&pushed)?;
        let granted_scope = self.narrowed_scope(&pushed);
        let request_uri = format!("{REQUEST_URI_PREFIX}{}", self.handle()?);
        let stored = PushedRequest {
            client_id: pushed.client_id,
            redirect_uri: pushed.redirect_uri,
            state: pushed.state,
            code_challenge: pushed.code_challenge,
            configuration_ids,
            by_authorization_details: pushed.authorization_details.is_some(),
            issuer_state: pushed.issuer_state,
            dpop_jkt,
            instance_key: identity.instance_key,
            granted_scope,
            expires_at: now.saturating_add(self.settings.par_ttl_seconds),
        };
        self.stores
            .authorizations
            .push(request_uri.clone(), stored, now)
            .map_err(store_failure)?;
        let body = PushedAuthorizationResponse::new(&request_uri, self.settings.par_ttl_seconds);
        let mut response = EndpointResponse::json(201, body.to_value());
        response.warnings.extend(identity.lenient_warning);
        Ok(response)
    }

    /// Client authentication through the configured authenticator (anonymous without one).
    pub(super) fn authenticate_client(
        &self,
        request: &EndpointRequest<'_>,
        client_id: Option<&str>,
        form: super::client_auth::FormCredentials<'_>,
        dpop: Option<&pop_verifier::AcceptedDpopProof>,
        now: UnixTime,
    ) -> Result<ClientIdentity, OAuthError> {
        let Some(auth) = &self.client_auth else {
            return Ok(ClientIdentity::default());
        };
        let context = ClientAuthContext {
            nonces: &self.nonces,
            nonce_max_age: self.settings.nonce_max_age_seconds,
            replay: self.replay.as_ref(),
            rng: self.rng.as_ref(),
            dpop,
            form,
        };
        let identity = auth.authenticate(request, client_id, &context, now)?;
        if let Some(reason) = &identity.lenient_warning {
            self.record(
                crate::AuditEvent::LenientAcceptance {
                    client_id: identity
                        .client_id
                        .clone()
                        .or_else(|| client_id.map(str::to_owned)),
                    reason: reason.clone(),
                },
                now,
            );
        }
        Ok(identity)
    }

    /// The configurations a pushed request asks for: each `openid_credential` detail's
    /// `credential_configuration_id`, then each scope's configuration, without repeats.
    ///
    /// Scope values no configuration claims are ignored, as OpenID4VCI 1.0 §5.1.2 requires
    /// (wallets add `openid` or `offline_access`, or reuse one scope string across issuers);
    /// `invalid_scope` only when scopes were asked for and nothing known remains.
    fn requested_configurations(
        &self,
        pushed: &PushedAuthorizationRequest,
    ) -> Result<Vec<String>, OAuthError> {
        let mut ids: Vec<String> = Vec::new();
        for detail in pushed.authorization_details.iter().flatten() {
            let id = self.detail_configuration(detail)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let mut asked = false;
        for scope in pushed.scopes() {
            asked = true;
            if let Some(profile) = self.scope_profile(scope)
                && !ids.contains(&profile.id)
            {
                ids.push(profile.id.clone());
            }
        }
        if asked && ids.is_empty() {
            return Err(OAuthError::bad_request(
                "invalid_scope",
                "none of the requested scope values is known",
            ));
        }
        Ok(ids)
    }

    /// The scope values of `pushed` that a configuration claims, space-separated, when some
    /// were dropped (RFC 6749 §3.3: the token response then names the granted scope). `None`
    /// when none remains: RFC 6749 §3.3 has no empty scope, and the grant is then all in
    /// `authorization_details`.
    fn narrowed_scope(&self, pushed: &PushedAuthorizationRequest) -> Option<String> {
        let asked: Vec<&str> = pushed.scopes().collect();
        let granted: Vec<&str> = asked
            .iter()
            .copied()
            .filter(|s| self.scope_profile(s).is_some())
            .collect();
        (granted.len() < asked.len() && !granted.is_empty()).then(|| granted.join(" "))
    }

    /// The configuration whose OAuth `scope` value is `scope`, if any.
    pub(super) fn scope_profile(&self, scope: &str) -> Option<&CredentialProfile> {
        self.profiles
            .iter()
            .find(|p| p.scope.as_deref() == Some(scope))
    }

    fn detail_configuration(&self, detail: &AuthorizationDetail) -> Result<String, OAuthError> {
        let id = super::token::openid_credential_id(detail)?;
        self.profile(id).map(|p| p.id.clone()).ok_or_else(|| {
            OAuthError::bad_request(
                "invalid_authorization_details",
                &format!("unknown credential configuration {id}"),
            )
        })
    }

    /// `GET /authorize?client_id&request_uri` (RFC 9126 §4): takes the pushed request (single
    /// use, only by the client that pushed it) for the login and consent pages, which then
    /// have [`crate::IssuerSettings::user_interaction_ttl_seconds`] to reach
    /// [`Self::approve`] or [`Self::deny`].
    ///
    /// # Errors
    /// `invalid_request` for a missing `client_id` or `request_uri`, a malformed query, and a
    /// `request_uri` that is unknown, expired, used, or another client's (one answer for
    /// all). Show it as a page: the redirect URI is not trusted yet. Other parameters are
    /// ignored: only the pushed ones count (RFC 9101 §6.3, RFC 9126 §4). `server_error` when
    /// the store cannot answer.
    pub fn begin_authorization(
        &self,
        query: &[u8],
        now: UnixTime,
    ) -> Result<PendingAuthorization, OAuthError> {
        let AuthorizationRequest {
            request_uri,
            client_id,
            ..
        } = AuthorizationRequest::parse_query(query)
            .map_err(|e| invalid_request(&format!("authorization request: {e}")))?;
        self.stores
            .authorizations
            .take_pushed(&request_uri, &client_id, now)
            .map_err(store_failure)?
            .map(|mut request| {
                // The request_uri was short-lived; the user now has the interaction window.
                request.expires_at = now.saturating_add(self.settings.user_interaction_ttl_seconds);
                PendingAuthorization {
                    request,
                    request_uri,
                }
            })
            .ok_or_else(|| {
                invalid_request(
                    "request_uri is unknown, expired, already used, or not this client's",
                )
            })
    }

    /// The user consented: issues a single-use authorization code bound to the client, the
    /// redirect URI, the PKCE challenge, the DPoP key and the attested instance, and returns
    /// the URL to redirect to (`code`, `state`, `iss`).
    ///
    /// # Errors
    /// `invalid_request` for a pending authorization past its `request_uri` lifetime, and
    /// for `claims` that cannot be issued in the requested configurations (those of
    /// [`Self::check_claims`]: the host's claims, so the adapter should answer the browser
    /// with `server_error`); `server_error` when the code cannot be stored.
    pub fn approve(
        &self,
        pending: PendingAuthorization,
        claims: impl Into<crate::SubjectClaims>,
        now: UnixTime,
    ) -> Result<String, OAuthError> {
        if !pending.is_live(now) {
            return Err(invalid_request("the authorization request has expired"));
        }
        let claims = claims.into();
        self.check_claims(pending.configuration_ids(), &claims)?;
        let code = self.handle()?;
        let response = AuthorizationResponse::new(
            &code,
            pending.request.state.as_deref(),
            &self.settings.credential_issuer,
        );
        let url = response.redirect_url(&pending.request.redirect_uri);
        let issued = IssuedCode {
            grant: GrantId::new(self.handle()?),
            request: pending.request,
            claims,
            expires_at: now.saturating_add(self.settings.authorization_code_ttl_seconds),
        };
        self.stores
            .authorizations
            .insert_code(code, issued, now)
            .map_err(store_failure)?;
        Ok(url)
    }

    /// The user declined: the URL to redirect to with `error=access_denied`, `state`, `iss`.
    #[must_use]
    pub fn deny(&self, pending: PendingAuthorization) -> String {
        self.refuse(&pending, "access_denied", "the user declined the request")
    }

    /// The authorization ends without a code for another reason the adapter found (RFC 6749
    /// §4.1.2.1: `access_denied` after too many failed logins, `invalid_request` for an
    /// unknown `issuer_state`, …): the URL to redirect to with `error`, `error_description`,
    /// `state` and `iss`.
    #[must_use]
    pub fn refuse(&self, pending: &PendingAuthorization, error: &str, description: &str) -> String {
        AuthorizationErrorResponse::new(
            error,
            description,
            pending.request.state.as_deref(),
            &self.settings.credential_issuer,
        )
        .redirect_url(&pending.request.redirect_uri)
    }
}
