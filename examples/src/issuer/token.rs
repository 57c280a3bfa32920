//! `POST /token`: the pre-authorized code grant and the refresh token grant.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oid4vci_types::{TokenGrant, TokenRequest};
use serde_json::json;

use super::IssuerState;
use super::client_auth::{self, ClientIdentity};
use crate::error::ApiError;
use crate::state::{AccessGrant, RedeemError, RefreshError, RefreshGrant};

/// `POST /token`.
pub(super) async fn token(
    State(state): State<Arc<IssuerState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = TokenRequest::parse_form(&body)
        .map_err(|e| ApiError::invalid_request(format!("token request: {e}")))?;
    let identity = client_auth::authenticate(&state, &headers, request.client_id.as_deref())?;
    let dpop_jkt = client_auth::dpop(&state, &headers, "POST", "/token", None)?;
    match &request.grant {
        TokenGrant::PreAuthorizedCode {
            pre_authorized_code,
            tx_code,
        } => pre_authorized(
            &state,
            pre_authorized_code,
            tx_code.as_deref(),
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
    identity: ClientIdentity,
    dpop_jkt: Option<String>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let grant = state
        .codes
        .redeem(code, tx_code, now)
        .map_err(|e| match e {
            RedeemError::Unknown => {
                ApiError::invalid_grant("the pre-authorized code is unknown or already used")
            }
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
        })?;
    let family = state.random_handle()?;
    let mut refresh = RefreshGrant::new(
        family,
        grant.configuration_ids,
        grant.claims,
        now.saturating_add(state.config.refresh_token_ttl_seconds),
    );
    refresh.client_id = identity.client_id;
    refresh.instance_key = identity.instance_key;
    refresh.dpop_jkt.clone_from(&dpop_jkt);
    respond(state, refresh, dpop_jkt)
}

fn refresh(
    state: &IssuerState,
    presented: &str,
    identity: ClientIdentity,
    dpop_jkt: Option<String>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    if let Some(current) = state.refresh.peek(presented) {
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
            RefreshError::Reused { family } => {
                state.tokens.revoke_family(&family);
                tracing::warn!("rotated refresh token presented again: token family revoked");
                ApiError::invalid_grant("refresh token reused: the token family is revoked")
            }
            RefreshError::Expired => ApiError::invalid_grant("the refresh token has expired"),
            _ => ApiError::invalid_grant("unknown refresh token"),
        })?;
    let access = state.random_handle()?;
    insert_access(state, &access, &grant, dpop_jkt.clone());
    Ok(token_response(
        state,
        &access,
        Some(&next),
        dpop_jkt.is_some(),
    ))
}

fn respond(
    state: &IssuerState,
    grant: RefreshGrant,
    dpop_jkt: Option<String>,
) -> Result<Response, ApiError> {
    let refresh_token = state.random_handle()?;
    let access = state.random_handle()?;
    insert_access(state, &access, &grant, dpop_jkt.clone());
    state.refresh.insert(refresh_token.clone(), grant);
    Ok(token_response(
        state,
        &access,
        Some(&refresh_token),
        dpop_jkt.is_some(),
    ))
}

fn insert_access(
    state: &IssuerState,
    access: &str,
    grant: &RefreshGrant,
    dpop_jkt: Option<String>,
) {
    let now = state.clock.now();
    let mut access_grant = AccessGrant::new(
        grant.configuration_ids.clone(),
        grant.claims.clone(),
        state.base_url.clone(),
        grant.family.clone(),
        now.saturating_add(state.config.access_token_ttl_seconds),
    );
    access_grant.client_id.clone_from(&grant.client_id);
    access_grant.dpop_jkt = dpop_jkt;
    state.tokens.insert(access.to_owned(), access_grant);
}

fn token_response(
    state: &IssuerState,
    access: &str,
    refresh: Option<&str>,
    dpop: bool,
) -> Response {
    let mut body = json!({
        "access_token": access,
        "token_type": if dpop { "DPoP" } else { "Bearer" },
        "expires_in": state.config.access_token_ttl_seconds,
    });
    if let (Some(map), Some(refresh)) = (body.as_object_mut(), refresh) {
        map.insert("refresh_token".into(), refresh.into());
    }
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
