//! `GET /status-lists/{id}`: the Status List Token, signed by the credential signing key with
//! its certificate in `x5c` (so mdoc holders can check it against the same issuer root).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use status_list::{KeyHint, StatusListToken};

use super::{IssuerState, STATUS_LIST_PATH};
use crate::error::ApiError;

/// The media type of a Status List Token JWT.
pub const STATUS_LIST_JWT_MEDIA_TYPE: &str = "application/statuslist+jwt";

/// `GET /status-lists/{id}`.
pub(super) async fn status_list(
    State(state): State<Arc<IssuerState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let list =
        state.engine.stores().status.snapshot(&id).ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such status list")
        })?;
    let uri = state.url(&format!("{STATUS_LIST_PATH}/{id}"));
    let token = StatusListToken::new(uri, state.clock.now(), list)
        .with_issuer(state.base_url())
        .sign_jwt(
            state.engine.keys().credential.signer(),
            &KeyHint::X5c(state.x5c().to_vec()),
        )
        .map_err(|e| ApiError::server_error(&e))?;
    let mut response = token.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(STATUS_LIST_JWT_MEDIA_TYPE),
    );
    Ok(response)
}
