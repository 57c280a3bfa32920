//! The admin API (loopback clients only): offers, issued credentials, revocation, trust
//! anchors.

use core::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oid4vci_types::{
    CredentialOffer, CredentialOfferRequest, Grants, PreAuthorizedCodeGrant, TxCode,
    TxCodeInputMode,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use status_list::Status;

use super::IssuerState;
use crate::error::ApiError;

/// Digits in a generated `tx_code`.
pub const TX_CODE_LENGTH: usize = 6;

fn loopback_only(peer: SocketAddr) -> Result<(), ApiError> {
    if peer.ip().is_loopback() {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            "the admin API answers loopback clients only",
        ))
    }
}

fn json_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::invalid_request(format!("body: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfferRequest {
    credential_configuration_id: String,
    #[serde(default)]
    claims: Map<String, Value>,
    #[serde(default)]
    tx_code: bool,
}

/// `POST /admin/offers`.
pub(super) async fn create_offer(
    State(state): State<Arc<IssuerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Result<Response, ApiError> {
    loopback_only(peer)?;
    let request: OfferRequest = json_body(&body)?;
    let id = request.credential_configuration_id;
    if state.config.configuration(&id).is_none() {
        return Err(ApiError::bad_request(
            "unknown_credential_configuration",
            format!("no credential configuration {id}"),
        ));
    }
    let tx_code = if request.tx_code {
        Some(numeric_code(&state)?)
    } else {
        None
    };
    let code = state.engine.create_pre_authorized_code(
        vec![id.clone()],
        request.claims,
        tx_code.clone(),
        state.clock.now(),
    )?;
    let mut grant = PreAuthorizedCodeGrant::new(&code);
    if tx_code.is_some() {
        let mut tx = TxCode::default();
        tx.input_mode = Some(TxCodeInputMode::Numeric);
        tx.length = Some(u64::try_from(TX_CODE_LENGTH).map_err(|e| ApiError::server_error(&e))?);
        tx.description = Some("Enter the code shown by the issuer".to_owned());
        grant.tx_code = Some(tx);
    }
    let mut grants = Grants::default();
    grants.pre_authorized_code = Some(grant);
    let mut offer = CredentialOffer::new(state.base_url(), vec![id]);
    offer.grants = Some(grants);
    let offer_uri = CredentialOfferRequest::ByValue(Box::new(offer.clone())).to_uri();
    tracing::info!(offer_uri = %offer_uri, "credential offer created");
    let mut body = json!({"offer": offer.to_value(), "offer_uri": offer_uri});
    if let (Some(map), Some(tx)) = (body.as_object_mut(), tx_code) {
        map.insert("tx_code".into(), tx.into());
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn numeric_code(state: &IssuerState) -> Result<String, ApiError> {
    let mut bytes = [0u8; TX_CODE_LENGTH];
    jose_core::RandomSource::fill(state.engine.rng(), &mut bytes)
        .map_err(|e| ApiError::server_error(&e))?;
    // Bytes 250..=255 are redrawn so every digit is equally likely.
    let mut out = String::with_capacity(TX_CODE_LENGTH);
    for b in bytes {
        let mut v = b;
        while v >= 250 {
            let mut one = [0u8; 1];
            jose_core::RandomSource::fill(state.engine.rng(), &mut one)
                .map_err(|e| ApiError::server_error(&e))?;
            let [x] = one;
            v = x;
        }
        out.push(char::from(b'0'.saturating_add(v % 10)));
    }
    Ok(out)
}

fn status_name(status: Option<Status>) -> String {
    status.map_or_else(|| "UNKNOWN".to_owned(), |s| s.to_string())
}

/// `GET /admin/credentials`.
pub(super) async fn list_credentials(
    State(state): State<Arc<IssuerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Response, ApiError> {
    loopback_only(peer)?;
    let list: Vec<Value> = state
        .engine
        .stores()
        .registry
        .list()
        .into_iter()
        .map(|c| {
            json!({
                "credential_id": c.credential_id,
                "credential_configuration_id": c.configuration_id,
                "status_list": {"uri": c.status_uri, "idx": c.status_idx},
                "issued_at": c.issued_at.secs(),
                "status": status_name(state.engine.stores().status.status(&c.status_list_id, c.status_idx)),
            })
        })
        .collect();
    Ok(Json(json!({"credentials": list})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusRef {
    uri: String,
    idx: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    #[serde(default)]
    credential_id: Option<String>,
    #[serde(default)]
    status_list: Option<StatusRef>,
}

/// `POST /admin/revoke`.
pub(super) async fn revoke(
    State(state): State<Arc<IssuerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Result<Response, ApiError> {
    loopback_only(peer)?;
    let request: RevokeRequest = json_body(&body)?;
    let issued = state.engine.stores().registry.list();
    let found = match (&request.credential_id, &request.status_list) {
        (Some(id), None) => issued.iter().find(|c| &c.credential_id == id),
        (None, Some(r)) => issued
            .iter()
            .find(|c| c.status_uri == r.uri && c.status_idx == r.idx),
        _ => {
            return Err(ApiError::invalid_request(
                "send exactly one of credential_id and status_list",
            ));
        }
    };
    let credential = found.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such issued credential",
        )
    })?;
    if !state.engine.stores().status.set(
        &credential.status_list_id,
        credential.status_idx,
        Status::INVALID,
    ) {
        return Err(ApiError::server_error(&"status entry missing"));
    }
    tracing::info!(credential_id = %credential.credential_id, "credential revoked");
    Ok(Json(json!({
        "credential_id": credential.credential_id,
        "status_list": {"uri": credential.status_uri, "idx": credential.status_idx},
        "status": "INVALID",
    }))
    .into_response())
}

/// `GET /admin/trust-anchors`: PEM roots (empty until the X.509 issuer chain lands).
pub(super) async fn trust_anchors(
    State(state): State<Arc<IssuerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Response, ApiError> {
    loopback_only(peer)?;
    let anchors = &state.trust_anchors;
    Ok(Json(json!({
        "credential_issuer": anchors.credential_issuer,
        "mdoc_iaca": anchors.mdoc_iaca,
        "attester": anchors.attester,
    }))
    .into_response())
}
