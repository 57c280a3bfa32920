//! `POST /token`: the pre-authorized code grant and the refresh token grant.
//!
//! Redeeming a pre-authorized code creates a [`GrantId`]; the access token, the refresh token
//! family, and every id later issued under them (credential identifiers, transaction ids,
//! notification ids) are stored under it.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oid4vci_issuer::{AccessGrant, GrantId, RedeemError, RefreshError, RefreshGrant};
use oid4vci_types::{
    AuthorizationDetail, OPENID_CREDENTIAL, TokenGrant, TokenRequest, TokenResponse, TokenType,
};

use super::IssuerState;
use super::client_auth::{self, ClientIdentity};
use crate::error::ApiError;

/// `POST /token`.
pub(super) async fn token(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = TokenRequest::parse_form(&body).map_err(|e| match e {
        oid4vci_types::Error::UnsupportedGrantType { .. } => {
            ApiError::bad_request("unsupported_grant_type", e.to_string())
        }
        other => ApiError::invalid_request(format!("token request: {other}")),
    })?;
    // The DPoP header is checked first: a duplicated or malformed one is `invalid_dpop_proof`
    // (RFC 9449 §4.3, §5) whatever else is wrong with the request.
    let dpop_jkt = client_auth::dpop(&state, &headers, "POST", "/token", None)?;
    let identity = client_auth::authenticate(&state, &headers, request.client_id.as_deref())?;
    match &request.grant {
        TokenGrant::PreAuthorizedCode {
            pre_authorized_code,
            tx_code,
        } => pre_authorized(
            &state,
            pre_authorized_code,
            tx_code.as_deref(),
            request.authorization_details.as_deref(),
            identity,
            dpop_jkt,
        ),
        TokenGrant::RefreshToken { refresh_token } => {
            refresh(&state, refresh_token, identity, dpop_jkt)
        }
        _ => Err(ApiError::bad_request(
            "unsupported_grant_type",
            format!("grant_type {} is not supported", request.grant.grant_type()),
        )),
    }
}

fn pre_authorized(
    state: &IssuerState,
    code: &str,
    tx_code: Option<&str>,
    authorization_details: Option<&[AuthorizationDetail]>,
    identity: ClientIdentity,
    dpop_jkt: Option<String>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let grant = state
        .codes
        .redeem(code, tx_code, now)
        .map_err(|e| match e {
            RedeemError::Expired => ApiError::invalid_grant("the pre-authorized code has expired"),
            RedeemError::TxCodeMissing => {
                ApiError::invalid_request("this offer requires a tx_code")
            }
            RedeemError::TxCodeUnexpected => {
                ApiError::invalid_request("this offer has no tx_code, but one was sent")
            }
            RedeemError::WrongTxCode { attempts_left } => {
                ApiError::invalid_grant(format!("wrong tx_code ({attempts_left} attempts left)"))
            }
            RedeemError::Store(e) => ApiError::from(e),
            _ => ApiError::invalid_grant("the pre-authorized code is unknown or already used"),
        })?;
    let grant_id = GrantId::new(state.random_handle()?);
    let mut refresh = RefreshGrant::new(
        grant_id,
        grant.configuration_ids,
        grant.claims,
        now.saturating_add(state.config.refresh_token_ttl_seconds),
    );
    if let Some(details) = authorization_details {
        refresh.credential_identifiers =
            credential_identifiers(state, details, &refresh.configuration_ids)?;
    }
    refresh.client_id = identity.client_id;
    refresh.instance_key = identity.instance_key;
    refresh.dpop_jkt.clone_from(&dpop_jkt);
    let refresh_token = state.random_handle()?;
    let response = issue_access(state, &refresh, Some(&refresh_token), dpop_jkt)?;
    state.refresh.insert(refresh_token, refresh, now)?;
    Ok(response)
}

/// `authorization_details` of a token request (OpenID4VCI 1.0 §6.1, RFC 9396): each entry
/// must be `openid_credential` for a configuration the grant covers; each gets one
/// `credential_identifier`, stored with the grant, which credential requests must then use.
fn credential_identifiers(
    state: &IssuerState,
    details: &[AuthorizationDetail],
    granted: &[String],
) -> Result<Vec<(String, String)>, ApiError> {
    let mut identifiers = Vec::with_capacity(details.len());
    for detail in details {
        if detail.detail_type != OPENID_CREDENTIAL {
            return Err(ApiError::bad_request(
                "invalid_authorization_details",
                format!(
                    "authorization_details type {} is not supported",
                    detail.detail_type
                ),
            ));
        }
        let Some(id) = detail.credential_configuration_id.as_deref() else {
            return Err(ApiError::bad_request(
                "invalid_authorization_details",
                "openid_credential needs credential_configuration_id",
            ));
        };
        if !granted.iter().any(|g| g == id) {
            return Err(ApiError::bad_request(
                "invalid_authorization_details",
                format!("the grant does not cover credential configuration {id}"),
            ));
        }
        if identifiers.iter().any(|(c, _): &(String, String)| c == id) {
            return Err(ApiError::bad_request(
                "invalid_authorization_details",
                format!("credential configuration {id} is requested twice"),
            ));
        }
        identifiers.push((id.to_owned(), state.random_handle()?));
    }
    Ok(identifiers)
}

fn refresh(
    state: &IssuerState,
    presented: &str,
    identity: ClientIdentity,
    dpop_jkt: Option<String>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    if let Some(current) = state.refresh.peek(presented, now) {
        if current.instance_key.is_some() && current.instance_key != identity.instance_key {
            return Err(ApiError::invalid_grant(
                "the refresh token is bound to another wallet instance key",
            ));
        }
        if current.dpop_jkt.is_some() && current.dpop_jkt != dpop_jkt {
            return Err(ApiError::invalid_grant(
                "the refresh token is bound to another DPoP key",
            ));
        }
    }
    let next = state.random_handle()?;
    let grant = state
        .refresh
        .rotate(presented, next.clone(), now)
        .map_err(|e| match e {
            RefreshError::Reused { grant } => {
                state.tokens.revoke_grant(&grant);
                tracing::warn!("rotated refresh token presented again: the grant is revoked");
                ApiError::invalid_grant("refresh token reused: the grant is revoked")
            }
            RefreshError::Expired => ApiError::invalid_grant("the refresh token has expired"),
            RefreshError::Store(e) => ApiError::from(e),
            _ => ApiError::invalid_grant("unknown refresh token"),
        })?;
    issue_access(state, &grant, Some(&next), dpop_jkt)
}

/// Stores a new access token for `grant` and answers with it.
fn issue_access(
    state: &IssuerState,
    grant: &RefreshGrant,
    refresh_token: Option<&str>,
    dpop_jkt: Option<String>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let access = state.random_handle()?;
    let mut access_grant = AccessGrant::new(
        grant.grant.clone(),
        grant.configuration_ids.clone(),
        grant.claims.clone(),
        state.base_url.clone(),
        now.saturating_add(state.config.access_token_ttl_seconds),
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
    state.tokens.insert(access.clone(), access_grant, now)?;
    let mut body = TokenResponse::new(&access, token_type);
    body.expires_in = Some(state.config.access_token_ttl_seconds);
    body.refresh_token = refresh_token.map(str::to_owned);
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
    let mut response = Json(body.to_value()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
