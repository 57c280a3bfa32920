//! `GET /status-lists/{id}`: the Status List Token, signed by the active credential signing
//! key with its certificate in `x5c` (so mdoc holders can check it against the same issuer
//! root). Every list holds the entries of credentials signed by any key, so after a key
//! rotation the entries of the old key's credentials are served under the new key's signature.
//!
//! A token is signed again only when its list changed or half of its lifetime has passed;
//! otherwise every fetch gets the same signed token (its `iat` says how fresh it is). Tokens
//! carry `exp` ([`STATUS_LIST_TOKEN_LIFETIME_SECONDS`] after `iat`) and `ttl`
//! ([`STATUS_LIST_TTL_SECONDS`], also the response's `Cache-Control: max-age`), so a relying
//! party fetches again within minutes of a revocation (Token Status List §8.3, §13.7).

use core::num::NonZeroU64;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jose_core::UnixTime;
use status_list::{KeyHint, StatusList, StatusListToken};

use super::{IssuerState, STATUS_LIST_PATH};
use crate::error::ApiError;

/// The media type of a Status List Token JWT.
pub const STATUS_LIST_JWT_MEDIA_TYPE: &str = "application/statuslist+jwt";
/// `exp - iat` of a served Status List Token: one day.
pub const STATUS_LIST_TOKEN_LIFETIME_SECONDS: u64 = 86_400;
/// The `ttl` of a served Status List Token: five minutes.
pub const STATUS_LIST_TTL_SECONDS: NonZeroU64 = NonZeroU64::new(300).unwrap();

/// The last token signed for each list.
#[derive(Debug, Default)]
pub(super) struct SignedStatusLists {
    tokens: Mutex<HashMap<String, SignedList>>,
}

#[derive(Debug)]
struct SignedList {
    list: StatusList,
    /// The `kid` of the key that signed it.
    kid: String,
    jwt: Arc<str>,
    sign_again_at: UnixTime,
}

impl SignedStatusLists {
    /// The token of `list` (list `id`) at `now` by the key `kid`: the cached one while the
    /// list is unchanged, it is fresh enough and that key signed it (after a key rotation the
    /// token is signed again by the new key), else one `sign` makes.
    fn token(
        &self,
        id: &str,
        list: StatusList,
        kid: &str,
        now: UnixTime,
        sign: impl FnOnce(StatusList) -> Result<String, ApiError>,
    ) -> Result<Arc<str>, ApiError> {
        if let Some(signed) = self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            && signed.list == list
            && signed.kid == kid
            && now < signed.sign_again_at
        {
            return Ok(Arc::clone(&signed.jwt));
        }
        let jwt: Arc<str> = sign(list.clone())?.into();
        let signed = SignedList {
            list,
            kid: kid.to_owned(),
            jwt: Arc::clone(&jwt),
            sign_again_at: now.saturating_add(STATUS_LIST_TOKEN_LIFETIME_SECONDS / 2),
        };
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), signed);
        Ok(jwt)
    }
}

/// `GET /status-lists/{id}`. A historical request (`?time=`, Token Status List §8.4) is
/// answered 501: this issuer keeps only the current list, and the current token would not be
/// the one asked for.
pub(super) async fn status_list(
    State(state): State<Arc<IssuerState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let historical = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .any(|pair| pair.split('=').next() == Some("time"));
    if historical {
        return ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            "historical status lists (the time parameter) are not served",
        )
        .into_response();
    }
    super::off_runtime(
        state.store_calls.clone(),
        move || -> Result<Response, ApiError> {
            let jwt = signed_token(&state, &id)?;
            let mut response = jwt.to_string().into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(STATUS_LIST_JWT_MEDIA_TYPE),
            );
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_str(&format!("max-age={STATUS_LIST_TTL_SECONDS}"))
                    .map_err(|e| ApiError::server_error(&e))?,
            );
            Ok(response)
        },
    )
    .await
}

/// The current token of list `id` (a store read, so on the blocking pool).
fn signed_token(state: &IssuerState, id: &str) -> Result<Arc<str>, ApiError> {
    let list =
        state.engine.stores().status.snapshot(id).ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such status list")
        })?;
    let now = state.clock.now();
    // One snapshot of the signing key: its kid, signer and certificate go together.
    let keys = state.engine.keys();
    let key = &keys.credential;
    state
        .status_tokens
        .token(id, list, key.kid().unwrap_or_default(), now, |list| {
            let uri = state.url(&format!("{STATUS_LIST_PATH}/{id}"));
            StatusListToken::new(uri, now, list)
                .with_issuer(state.base_url())
                .with_expires_at(now.saturating_add(STATUS_LIST_TOKEN_LIFETIME_SECONDS))
                .with_ttl(STATUS_LIST_TTL_SECONDS)
                .sign_jwt(key.signer(), &key_hint(key.kid(), key.chain()))
                .map_err(|e| ApiError::server_error(&e))
        })
}

/// The credentials' own key hints: a verifier that finds keys by `kid` in the JWT VC Issuer
/// Metadata and one that validates `x5c` both find the list's key (Token Status List §11.3).
fn key_hint(kid: Option<&str>, chain: &[Vec<u8>]) -> KeyHint {
    match kid {
        Some(kid) => KeyHint::KidAndX5c {
            kid: kid.to_owned(),
            chain: chain.to_vec(),
        },
        None => KeyHint::X5c(chain.to_vec()),
    }
}
