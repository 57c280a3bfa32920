//! The admin API (loopback clients only): offers, issued credentials, revocation, trust
//! anchors.

use core::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oid4vci_issuer::SubjectClaims;
use oid4vci_types::{
    AuthorizationCodeGrant, CredentialOffer, CredentialOfferRequest, Grants,
    PreAuthorizedCodeGrant, TxCode, TxCodeInputMode,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use status_list::Status;

use super::IssuerState;
use super::offers::{OFFER_PAGE_PATH, OfferEntry};
use crate::error::ApiError;

/// Digits in a generated `tx_code`.
pub const TX_CODE_LENGTH: usize = 6;

/// Refuses a peer that is not on the loopback interface (403 `access_denied`).
pub(super) fn loopback_only(peer: SocketAddr) -> Result<(), ApiError> {
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

/// The grant an offer carries.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
enum OfferGrant {
    /// `urn:ietf:params:oauth:grant-type:pre-authorized_code`: the claims come with the
    /// offer.
    #[default]
    #[serde(rename = "pre-authorized_code")]
    PreAuthorizedCode,
    /// `authorization_code` with `issuer_state`: the user signs in and the claims are the
    /// signed-in user's.
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfferRequest {
    credential_configuration_id: String,
    /// Absent: the claims of the first configured user (the demo user), as a sign-in would
    /// give them.
    #[serde(default)]
    claims: Option<Map<String, Value>>,
    #[serde(default)]
    tx_code: bool,
    #[serde(default)]
    grant: OfferGrant,
}

/// `POST /admin/offers`: `{credential_configuration_id, grant?, claims?, tx_code?}`. The
/// answer has the offer, its `openid-credential-offer://` URI, the URL of its QR page and,
/// for a pre-authorized offer with `tx_code: true`, the code to give the user. A
/// pre-authorized offer without `claims` carries the first configured user's (the demo
/// user's), as the code flow would after their sign-in; with `claims`, exactly those (an
/// mdoc needs at least one).
pub(super) async fn create_offer(
    State(state): State<Arc<IssuerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    super::off_runtime(state.store_calls.clone(), move || -> Result<Response, ApiError> {
        loopback_only(peer)?;
        let request: OfferRequest = json_body(&body)?;
        let id = request.credential_configuration_id;
        if state.config.configuration(&id).is_none() {
            return Err(ApiError::bad_request(
                "unknown_credential_configuration",
                format!("no credential configuration {id}"),
            ));
        }
        let now = state.clock.now();
        let expires_at = now.saturating_add(state.config.pre_authorized_code_ttl_seconds);
        let mut grants = Grants::default();
        let mut tx_code = None;
        match request.grant {
            OfferGrant::PreAuthorizedCode => {
                tx_code = request.tx_code.then(|| numeric_code(&state)).transpose()?;
                let ids = vec![id.clone()];
                let claims = match request.claims {
                    Some(claims) => SubjectClaims::new(claims),
                    None => state.config.users.first().map_or_else(
                        || SubjectClaims::new(Map::new()),
                        |user| state.config.subject_claims(user, &ids),
                    ),
                };
                let code =
                    state
                        .engine
                        .create_pre_authorized_code(ids, claims, tx_code.clone(), now)?;
                let mut grant = PreAuthorizedCodeGrant::new(&code);
                if tx_code.is_some() {
                    let mut tx = TxCode::default();
                    tx.input_mode = Some(TxCodeInputMode::Numeric);
                    tx.length = Some(
                        u64::try_from(TX_CODE_LENGTH).map_err(|e| ApiError::server_error(&e))?,
                    );
                    tx.description = Some("Enter the code shown by the issuer".to_owned());
                    grant.tx_code = Some(tx);
                }
                grants.pre_authorized_code = Some(grant);
            }
            OfferGrant::AuthorizationCode => {
                if request.tx_code || request.claims.as_ref().is_some_and(|c| !c.is_empty()) {
                    return Err(ApiError::invalid_request(
                        "an authorization_code offer takes neither claims nor tx_code: the user \
                         signs in and the claims are theirs",
                    ));
                }
                let issuer_state = random_handle(&state)?;
                state
                    .offers
                    .add_issuer_state(issuer_state.clone(), expires_at, now)
                    .map_err(|_| offers_full())?;
                let mut grant = AuthorizationCodeGrant::default();
                grant.issuer_state = Some(issuer_state);
                grants.authorization_code = Some(grant);
            }
        }
        let mut offer = CredentialOffer::new(state.base_url(), vec![id.clone()]);
        offer.grants = Some(grants);
        let offer_uri = CredentialOfferRequest::ByValue(Box::new(offer.clone())).to_uri();
        let page_id = random_handle(&state)?;
        let entry = OfferEntry {
            offer_uri: offer_uri.clone(),
            configuration_ids: vec![id],
            tx_code_required: tx_code.is_some(),
            sign_in_required: request.grant == OfferGrant::AuthorizationCode,
        };
        state.offers.add(page_id.clone(), entry, expires_at, now);
        let page_url = state.url(&format!("{OFFER_PAGE_PATH}/{page_id}"));
        tracing::info!(offer_uri = %offer_uri, offer_page = %page_url, "credential offer created");
        let mut body =
            json!({"offer": offer.to_value(), "offer_uri": offer_uri, "offer_page": page_url});
        if let (Some(map), Some(tx)) = (body.as_object_mut(), tx_code) {
            map.insert("tx_code".into(), tx.into());
        }
        Ok((StatusCode::CREATED, Json(body)).into_response())
    })
    .await
}

fn offers_full() -> ApiError {
    ApiError::temporarily_unavailable("too many open offers")
}

fn random_handle(state: &IssuerState) -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    jose_core::RandomSource::fill(state.engine.rng(), &mut bytes)
        .map_err(|e| ApiError::server_error(&e))?;
    Ok(jose_core::base64url::encode(&bytes))
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
) -> Response {
    super::off_runtime(
        state.store_calls.clone(),
        move || -> Result<Response, ApiError> {
            loopback_only(peer)?;
            let list: Vec<Value> = state
                .engine
                .stores()
                .registry
                .list()
                .map_err(|e| ApiError::server_error(&e))?
                .into_iter()
                .map(|c| {
                    let status = state
                        .engine
                        .stores()
                        .status
                        .status(&c.status_list_id, c.status_idx)
                        .map_err(|e| ApiError::server_error(&e))?;
                    Ok(json!({
                        "credential_id": c.credential_id,
                        "credential_configuration_id": c.configuration_id,
                        "status_list": {"uri": c.status_uri, "idx": c.status_idx},
                        "issued_at": c.issued_at.secs(),
                        "status": status_name(status),
                    }))
                })
                .collect::<Result<_, ApiError>>()?;
            Ok(Json(json!({"credentials": list})).into_response())
        },
    )
    .await
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
) -> Response {
    super::off_runtime(
        state.store_calls.clone(),
        move || -> Result<Response, ApiError> {
            loopback_only(peer)?;
            let request: RevokeRequest = json_body(&body)?;
            // A store that cannot answer is a 500, never "no such issued credential".
            let issued = state
                .engine
                .stores()
                .registry
                .list()
                .map_err(|e| ApiError::server_error(&e))?;
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
            // The engine sets the entry and records the change in the audit trail.
            state
                .engine
                .set_credential_status(
                    credential,
                    Status::INVALID,
                    &format!("admin-api@{}", peer.ip()),
                    state.clock.now(),
                )
                .map_err(|e| ApiError::server_error(&e))?;
            tracing::info!(credential_id = %credential.credential_id, "credential revoked");
            Ok(Json(json!({
                "credential_id": credential.credential_id,
                "status_list": {"uri": credential.status_uri, "idx": credential.status_idx},
                "status": "INVALID",
            }))
            .into_response())
        },
    )
    .await
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
