//! Access token checks at the credential endpoint (RFC 6750 Bearer, RFC 9449 DPoP).

use axum::http::{HeaderMap, header};

use super::{IssuerState, client_auth};
use crate::error::ApiError;
use crate::state::AccessGrant;

/// Checks the `Authorization` header of a request to `path`: known token, not expired, not
/// revoked, audience = this issuer, and for a DPoP-bound token the `DPoP` scheme with a proof
/// by the bound key over this request and token.
pub(super) fn authorize(
    state: &IssuerState,
    headers: &HeaderMap,
    path: &str,
) -> Result<AccessGrant, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::invalid_token("Bearer", "no access token"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::invalid_token("Bearer", "malformed Authorization header"))?;
    let token = token.trim();
    let dpop_scheme = scheme.eq_ignore_ascii_case("DPoP");
    if !dpop_scheme && !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(ApiError::invalid_token(
            "Bearer",
            "unsupported authorization scheme",
        ));
    }
    let challenge_scheme = if dpop_scheme { "DPoP" } else { "Bearer" };
    let grant = state
        .tokens
        .get(token)
        .ok_or_else(|| ApiError::invalid_token(challenge_scheme, "unknown access token"))?;
    if grant.expires_at <= state.clock.now() {
        return Err(ApiError::invalid_token(
            challenge_scheme,
            "the access token has expired",
        ));
    }
    if state.refresh.is_revoked(&grant.family) {
        return Err(ApiError::invalid_token(
            challenge_scheme,
            "the access token was revoked",
        ));
    }
    if grant.audience != state.base_url {
        return Err(ApiError::invalid_token(
            challenge_scheme,
            "the access token is for another audience",
        ));
    }
    match (&grant.dpop_jkt, dpop_scheme) {
        (Some(_), false) => Err(ApiError::invalid_token(
            "DPoP",
            "the access token is DPoP-bound: use the DPoP scheme with a DPoP proof",
        )),
        (None, true) => Err(ApiError::invalid_token(
            "Bearer",
            "the access token is not DPoP-bound: use the Bearer scheme",
        )),
        (None, false) => Ok(grant),
        (Some(bound), true) => {
            let jkt = client_auth::dpop(state, headers, "POST", path, Some(token))
                .map_err(|e| ApiError::invalid_token("DPoP", e.description))?
                .ok_or_else(|| ApiError::invalid_token("DPoP", "DPoP proof missing"))?;
            if &jkt != bound {
                return Err(ApiError::invalid_token(
                    "DPoP",
                    "the DPoP proof is signed by another key than the token is bound to",
                ));
            }
            Ok(grant)
        }
    }
}
