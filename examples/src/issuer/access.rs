//! Access token checks at the credential, deferred and notification endpoints (RFC 6750
//! Bearer, RFC 9449 DPoP).

use axum::http::{HeaderMap, header};
use oid4vci_issuer::AccessGrant;

use super::{IssuerState, client_auth};
use crate::error::ApiError;

/// An access token that passed every check for this request, with the scheme it was presented
/// with (for the `WWW-Authenticate` challenge of later errors). Its [`AccessGrant::grant`] is
/// what the deferred and notification stores take: ids are looked up only under it.
#[derive(Debug)]
pub(super) struct Authorized {
    /// What the token grants.
    pub(super) grant: AccessGrant,
    /// `Bearer` or `DPoP`.
    pub(super) scheme: &'static str,
}

/// Checks the `Authorization` header of a request to `path`: known token, not expired, not
/// revoked, audience = this issuer, and for a DPoP-bound token the `DPoP` scheme with a proof
/// by the bound key over this request and token.
pub(super) fn authorize(
    state: &IssuerState,
    headers: &HeaderMap,
    path: &str,
) -> Result<Authorized, ApiError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values
        .next()
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::invalid_token("Bearer", "no access token"))?;
    if values.next().is_some() {
        return Err(ApiError::challenge(
            axum::http::StatusCode::BAD_REQUEST,
            "Bearer",
            "invalid_request",
            "more than one Authorization header",
        ));
    }
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
    let now = state.clock.now();
    let grant = state.tokens.get(token, now).ok_or_else(|| {
        ApiError::invalid_token(challenge_scheme, "unknown or expired access token")
    })?;
    if state.refresh.is_revoked(&grant.grant, now) {
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
        (None, false) => Ok(Authorized {
            grant,
            scheme: "Bearer",
        }),
        (Some(bound), true) => {
            let jkt = client_auth::dpop(state, headers, "POST", path, Some(token))
                .map_err(|e| ApiError::invalid_dpop_proof_at_resource(e.description))?
                .ok_or_else(|| ApiError::invalid_dpop_proof_at_resource("DPoP proof missing"))?;
            if &jkt != bound {
                return Err(ApiError::invalid_dpop_proof_at_resource(
                    "the DPoP proof is signed by another key than the token is bound to",
                ));
            }
            Ok(Authorized {
                grant,
                scheme: "DPoP",
            })
        }
    }
}

/// Refuses a request body whose `Content-Type` is not `application/json` (parameters such as
/// `charset` allowed): OpenID4VCI 1.0 §8.2, §9.1, §11.1.
pub(super) fn require_json(headers: &HeaderMap, error: &str) -> Result<(), ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split_once(';').map_or(v, |(t, _)| t).trim());
    match media_type {
        Some(t) if t.eq_ignore_ascii_case("application/json") => Ok(()),
        Some(t) => Err(ApiError::bad_request(
            error,
            format!("the request body must be application/json, not {t}"),
        )),
        None => Err(ApiError::bad_request(
            error,
            "the request body must be application/json (no Content-Type given)",
        )),
    }
}
