//! Access token checks at the credential, deferred and notification endpoints (RFC 6750
//! Bearer, RFC 9449 DPoP), and DPoP proofs at the token endpoint.

use jose_core::UnixTime;
use oid4vci_types::{CredentialErrorCode, OAuthError, TokenErrorCode};

use super::{IssuerEngine, store_failure};
use crate::{AccessGrant, EndpointRequest, GrantId};

/// An access token that passed every check for one request. Only the engine makes one, so a
/// function that takes it cannot run for an unchecked token; the ids it looks up are found
/// only under [`Self::grant_id`].
#[derive(Debug)]
pub struct Authorized {
    grant: AccessGrant,
    scheme: &'static str,
}

impl Authorized {
    /// What the token grants.
    #[must_use]
    pub const fn grant(&self) -> &AccessGrant {
        &self.grant
    }

    /// The grant every id of this request is looked up under.
    #[must_use]
    pub const fn grant_id(&self) -> &GrantId {
        &self.grant.grant
    }

    /// `Bearer` or `DPoP`: the scheme of the `WWW-Authenticate` challenge of later errors.
    #[must_use]
    pub const fn scheme(&self) -> &'static str {
        self.scheme
    }
}

impl IssuerEngine {
    /// The `algs` of this engine's DPoP challenges: the proof algorithms it accepts
    /// (RFC 9449 §7.1).
    fn dpop_algs(&self) -> String {
        let names: Vec<&str> = self
            .settings
            .proof_algorithms
            .iter()
            .map(|a| a.jose_name())
            .collect();
        names.join(" ")
    }

    /// 401 `invalid_token` with a `scheme` challenge (a DPoP one names the algorithms).
    fn invalid_token(&self, scheme: &'static str, description: &str) -> OAuthError {
        let error = OAuthError::from_code(CredentialErrorCode::InvalidToken, description)
            .with_challenge(scheme);
        if scheme == "DPoP" {
            error.with_challenge_param("algs", &self.dpop_algs())
        } else {
            error
        }
    }

    /// 401 `invalid_dpop_proof` with a DPoP challenge naming the algorithms.
    fn invalid_dpop_at_resource(&self, description: &str) -> OAuthError {
        OAuthError::from_code(CredentialErrorCode::InvalidDpopProof, description)
            .with_challenge("DPoP")
            .with_challenge_param("algs", &self.dpop_algs())
    }

    /// 401 for a request without usable credentials (no `Authorization`, or another scheme):
    /// the challenge names the schemes this resource takes and no error (RFC 6750 §3.1),
    /// `DPoP` with its algorithms (RFC 9449 §7.1), and `Bearer` unless DPoP is required.
    fn no_credentials(&self, description: &str) -> OAuthError {
        let dpop = format!("DPoP algs=\"{}\"", self.dpop_algs());
        let challenge = if self.settings.dpop_required {
            dpop
        } else {
            format!("Bearer, {dpop}")
        };
        OAuthError::from_code(CredentialErrorCode::InvalidToken, description)
            .with_challenge_value(challenge)
    }
}

impl IssuerEngine {
    /// Checks the `Authorization` header of a request to `path`: one header, a known and
    /// unexpired token, not revoked, audience = this issuer, and for a DPoP-bound token the
    /// `DPoP` scheme with a proof by the bound key over this request and token (RFC 9449 §7).
    ///
    /// # Errors
    /// 401 `invalid_token` or `invalid_dpop_proof` with a `WWW-Authenticate` challenge; 400
    /// `invalid_request` for a repeated header.
    pub fn authorize(
        &self,
        request: &EndpointRequest<'_>,
        path: &str,
        now: UnixTime,
    ) -> Result<Authorized, OAuthError> {
        let value = request
            .single_header("authorization")
            .map_err(|e| {
                OAuthError::bad_request("invalid_request", &format!("Authorization: {e}"))
                    .with_challenge("Bearer")
            })?
            .ok_or_else(|| self.no_credentials("no access token"))?;
        let (scheme, token) = value
            .split_once(' ')
            .ok_or_else(|| self.invalid_token("Bearer", "malformed Authorization header"))?;
        let token = token.trim();
        let dpop_scheme = scheme.eq_ignore_ascii_case("DPoP");
        if !dpop_scheme && !scheme.eq_ignore_ascii_case("Bearer") {
            return Err(self.no_credentials("unsupported authorization scheme"));
        }
        let scheme = if dpop_scheme { "DPoP" } else { "Bearer" };
        // A store that cannot answer is the server's failure (500), never `invalid_token`: the
        // token may be valid, and a wallet told otherwise drops it.
        let grant = self
            .stores
            .tokens
            .get(token, now)
            .map_err(store_failure)?
            .ok_or_else(|| self.invalid_token(scheme, "unknown or expired access token"))?;
        if self
            .stores
            .refresh
            .is_revoked(&grant.grant, now)
            .map_err(store_failure)?
        {
            return Err(self.invalid_token(scheme, "the access token was revoked"));
        }
        if grant.audience != self.settings.credential_issuer {
            return Err(self.invalid_token(scheme, "the access token is for another audience"));
        }
        match (&grant.dpop_jkt, dpop_scheme) {
            (Some(_), false) => Err(self.invalid_token(
                "DPoP",
                "the access token is DPoP-bound: use the DPoP scheme with a DPoP proof",
            )),
            (None, true) => Err(self.invalid_token(
                "Bearer",
                "the access token is not DPoP-bound: use the Bearer scheme",
            )),
            (None, false) => Ok(Authorized { grant, scheme }),
            (Some(bound), true) => {
                let jkt = self
                    .dpop(request, path, Some(token), now)
                    .map_err(|e| {
                        if e.status() >= 500 {
                            e
                        } else {
                            self.invalid_dpop_at_resource(e.description())
                        }
                    })?
                    .ok_or_else(|| self.invalid_dpop_at_resource("DPoP proof missing"))?;
                if jkt.jkt() != bound {
                    return Err(self.invalid_dpop_at_resource(
                        "the DPoP proof is signed by another key than the token is bound to",
                    ));
                }
                Ok(Authorized { grant, scheme })
            }
        }
    }

    /// Verifies the `DPoP` header of a `POST` to `path` (if any), records its `jti`, and
    /// returns the accepted proof (its `jkt` is the key thumbprint it binds to). With
    /// `access_token`, the proof's `ath` must match it.
    ///
    /// # Errors
    /// 400 `invalid_dpop_proof` for a repeated, non-text or invalid proof, or a replay.
    pub(crate) fn dpop(
        &self,
        request: &EndpointRequest<'_>,
        path: &str,
        access_token: Option<&str>,
        now: UnixTime,
    ) -> Result<Option<pop_verifier::AcceptedDpopProof>, OAuthError> {
        let Some(proof) = request.single_header("dpop").map_err(|e| {
            OAuthError::from_code(TokenErrorCode::InvalidDpopProof, &format!("DPoP: {e}"))
        })?
        else {
            return Ok(None);
        };
        super::proofs::dpop(self, proof, &self.settings.url(path), access_token, now).map(Some)
    }
}
