//! `GET /status-lists/{id}` and `GET /status-lists/{id}/cwt`: the Status List Token, in the
//! form the request accepts.
//!
//! - **JWT** (`application/statuslist+jwt`): signed by the active credential signing key, with
//!   its `kid` and its certificate in `x5c`, as the SD-JWT VCs that point here carry them. The
//!   default form of `/status-lists/{id}`, the URI SD-JWT VCs name.
//! - **CWT** (`application/statuslist+cwt`, when an mdoc Document Signer is configured):
//!   signed by the Document Signer, with its certificate in `x5chain`, so an ISO 18013-5
//!   reader validates it to the same IACA as the mdoc that points here (Token Status List
//!   §11.3: the list's key is the Referenced Token's). The default form of
//!   `/status-lists/{id}/cwt`, the URI mdocs name: a reader that sends no `Accept` gets the
//!   form its ecosystem knows (§8.1).
//!
//! Both URIs serve the same list, and either form when `Accept` asks for it; a token's `sub`
//! is the URI it was fetched from, as the credentials pointing there name it.
//!
//! Every list holds the entries of credentials signed by any key, so after a key rotation the
//! entries of the old key's credentials are served under the new key's signature. Answers carry
//! `Vary: Accept`.
//!
//! A token is signed again when its list changed or its `ttl` has passed since its `iat`;
//! within that window every fetch gets the same signed token. Tokens carry `exp`
//! ([`STATUS_LIST_TOKEN_LIFETIME_SECONDS`] after `iat`) and `ttl` ([`STATUS_LIST_TTL_SECONDS`],
//! also the response's `Cache-Control: max-age`), so a relying party fetches again within
//! minutes of a revocation (Token Status List §8.3, §13.7), and what it fetches after the
//! `ttl` is a token issued since: a relying party that also bounds the age of `iat` accepts
//! it (one signature per list and form every five minutes at most).

use core::num::NonZeroU64;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jose_core::UnixTime;
use status_list::{KeyHint, StatusList, StatusListToken};

use super::{IssuerState, STATUS_LIST_PATH};
use crate::error::ApiError;
use oid4vci_issuer::STATUS_LIST_CWT_SUFFIX;

/// The media type of a Status List Token JWT.
pub const STATUS_LIST_JWT_MEDIA_TYPE: &str = "application/statuslist+jwt";
/// The media type of a Status List Token CWT.
pub const STATUS_LIST_CWT_MEDIA_TYPE: &str = "application/statuslist+cwt";
/// `exp - iat` of a served Status List Token: one day.
pub const STATUS_LIST_TOKEN_LIFETIME_SECONDS: u64 = 86_400;
/// The `ttl` of a served Status List Token: five minutes.
pub const STATUS_LIST_TTL_SECONDS: NonZeroU64 = NonZeroU64::new(300).unwrap();

/// The form of a Status List Token (Token Status List §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Form {
    Jwt,
    Cwt,
}

impl Form {
    const fn media_type(self) -> &'static str {
        match self {
            Self::Jwt => STATUS_LIST_JWT_MEDIA_TYPE,
            Self::Cwt => STATUS_LIST_CWT_MEDIA_TYPE,
        }
    }

    /// The form an `Accept` header asks for (RFC 9110 §12.5.1): the one of higher weight, or
    /// of equal weight named first; the other when only one is named and refused (`q=0`);
    /// `default` when neither is named, both are refused, or both come from one wildcard.
    fn accepted(headers: &HeaderMap, default: Self) -> Self {
        let accept = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
            .to_ascii_lowercase();
        let (cwt, jwt) = (
            weight(&accept, STATUS_LIST_CWT_MEDIA_TYPE),
            weight(&accept, STATUS_LIST_JWT_MEDIA_TYPE),
        );
        // Higher weight first, then the one named first; an unnamed form ranks lowest.
        let rank = |w: Option<(u16, usize)>| w.map(|(q, at)| (q, core::cmp::Reverse(at)));
        match (rank(cwt), rank(jwt)) {
            (None, None) | (Some((0, _)), Some((0, _))) => default,
            // Only one form named, and refused: the other.
            (Some((0, _)), None) => Self::Jwt,
            (None, Some((0, _))) => Self::Cwt,
            (cwt, jwt) => match cwt.cmp(&jwt) {
                core::cmp::Ordering::Greater => Self::Cwt,
                core::cmp::Ordering::Less => Self::Jwt,
                // Both through one wildcard (`*/*`): either will do.
                core::cmp::Ordering::Equal => default,
            },
        }
    }
}

/// The weight (`q`, in thousandths) and position of `media_type` in a lower-cased `Accept`
/// value: its own entry, else `application/*`, else `*/*`; `None` when none names it.
fn weight(accept: &str, media_type: &str) -> Option<(u16, usize)> {
    let entries = accept.split(',').enumerate().map(|(at, entry)| {
        let mut parts = entry.split(';').map(str::trim);
        let range = parts.next().unwrap_or_default();
        let q = parts
            .find_map(|p| p.strip_prefix("q="))
            .map_or(1000, thousandths);
        (range, q, at)
    });
    let mut best: Option<(u8, u16, usize)> = None;
    for (range, q, at) in entries {
        let specificity = if range == media_type {
            2
        } else if range == "application/*" {
            1
        } else if range == "*/*" {
            0
        } else {
            continue;
        };
        if best.is_none_or(|(s, _, _)| specificity > s) {
            best = Some((specificity, q, at));
        }
    }
    best.map(|(_, q, at)| (q, at))
}

/// A `q` value (`0`, `0.5`, `1.000`) in thousandths; malformed ones count as 0.
fn thousandths(q: &str) -> u16 {
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    let digits = fraction
        .bytes()
        .take(3)
        .chain(core::iter::repeat(b'0'))
        .take(3);
    let fraction = digits.fold(0u16, |n, d| {
        n.saturating_mul(10)
            .saturating_add(u16::from(d.wrapping_sub(b'0')).min(9))
    });
    match whole {
        "1" => 1000,
        "0" | "" => fraction,
        _ => 0,
    }
}

/// The last token signed for each list URI, in each form.
#[derive(Debug, Default)]
pub(super) struct SignedStatusLists {
    tokens: Mutex<HashMap<(String, Form), SignedList>>,
}

/// Which of a list's two URIs a request named.
#[derive(Clone, Copy, Debug)]
enum ListUri {
    /// `/status-lists/{id}`: SD-JWT VCs', the JWT by default.
    Jwt,
    /// `/status-lists/{id}/cwt`: mdocs', the CWT by default.
    Cwt,
}

impl ListUri {
    const fn default_form(self) -> Form {
        match self {
            Self::Jwt => Form::Jwt,
            Self::Cwt => Form::Cwt,
        }
    }

    /// The path of list `id` under this URI.
    fn path(self, id: &str) -> String {
        match self {
            Self::Jwt => format!("{STATUS_LIST_PATH}/{id}"),
            Self::Cwt => format!("{STATUS_LIST_PATH}/{id}{STATUS_LIST_CWT_SUFFIX}"),
        }
    }
}

#[derive(Debug)]
struct SignedList {
    list: StatusList,
    /// The `kid` of the key that signed it.
    kid: String,
    token: Arc<[u8]>,
    sign_again_at: UnixTime,
}

impl SignedStatusLists {
    /// The `form` token of `list` (served at `path`) at `now` by the key `kid`: the cached one
    /// while the list is unchanged, its `ttl` has not passed and that key signed it (after a key
    /// rotation the token is signed again by the new key), else one `sign` makes.
    fn token(
        &self,
        (path, form): (&str, Form),
        list: StatusList,
        kid: &str,
        now: UnixTime,
        sign: impl FnOnce(StatusList) -> Result<Vec<u8>, ApiError>,
    ) -> Result<Arc<[u8]>, ApiError> {
        let key = (path.to_owned(), form);
        if let Some(signed) = self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            && signed.list == list
            && signed.kid == kid
            && now < signed.sign_again_at
        {
            return Ok(Arc::clone(&signed.token));
        }
        let token: Arc<[u8]> = sign(list.clone())?.into();
        let signed = SignedList {
            list,
            kid: kid.to_owned(),
            token: Arc::clone(&token),
            sign_again_at: now.saturating_add(STATUS_LIST_TTL_SECONDS.get()),
        };
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, signed);
        Ok(token)
    }
}

/// `GET /status-lists/{id}`: the JWT unless `Accept` asks for the CWT.
pub(super) async fn status_list(
    state: State<Arc<IssuerState>>,
    Path(id): Path<String>,
    query: RawQuery,
    request_headers: HeaderMap,
) -> Response {
    serve(state, (id, ListUri::Jwt), query, request_headers).await
}

/// `GET /status-lists/{id}/cwt`: the CWT unless `Accept` asks for the JWT.
pub(super) async fn status_list_cwt(
    state: State<Arc<IssuerState>>,
    Path(id): Path<String>,
    query: RawQuery,
    request_headers: HeaderMap,
) -> Response {
    serve(state, (id, ListUri::Cwt), query, request_headers).await
}

/// The token of list `id` at `uri`. A historical request (`?time=`, Token Status List §8.4)
/// is answered 501: this issuer keeps only the current list, and the current token would not
/// be the one asked for.
async fn serve(
    State(state): State<Arc<IssuerState>>,
    (id, uri): (String, ListUri),
    RawQuery(query): RawQuery,
    request_headers: HeaderMap,
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
            let wanted = Form::accepted(&request_headers, uri.default_form());
            let (form, token) = signed_token(&state, (&id, uri), wanted)?;
            let mut response = token.to_vec().into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(form.media_type()),
            );
            headers.insert(header::VARY, HeaderValue::from_static("accept"));
            // A relying party's web page may fetch the list (Token Status List §8 and §12).
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
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

/// A status list store that cannot answer: 503, never 404 (a relying party must not conclude
/// that the list does not exist), with the store's reason in the log only.
fn store_unavailable(e: &oid4vci_issuer::StoreError) -> ApiError {
    tracing::warn!(error = %e, "status list store unavailable");
    ApiError::temporarily_unavailable("the status list cannot be read now; try again shortly")
}

/// The current token of list `id` at `uri` in the form `wanted`, or the JWT when `wanted` is
/// the CWT and no Document Signer is configured (a store read: run through `off_runtime`).
fn signed_token(
    state: &IssuerState,
    (id, uri): (&str, ListUri),
    wanted: Form,
) -> Result<(Form, Arc<[u8]>), ApiError> {
    let list = state
        .engine
        .stores()
        .status
        .snapshot(id)
        .map_err(|e| store_unavailable(&e))?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such status list"))?;
    let now = state.clock.now();
    // One snapshot of the signing keys: a key's kid, signer and certificate go together.
    let keys = state.engine.keys();
    let (form, key) = match (wanted, &keys.mdoc) {
        (Form::Cwt, Some(document_signer)) => (Form::Cwt, document_signer),
        _ => (Form::Jwt, &keys.credential),
    };
    let path = uri.path(id);
    let token = state.status_tokens.token(
        (&path, form),
        list,
        key.kid().unwrap_or_default(),
        now,
        |list| {
            // `sub` is the URI asked, as the credentials pointing there name it (§5.1).
            let token = StatusListToken::new(state.url(&path), now, list)
                .with_issuer(state.base_url())
                .with_expires_at(now.saturating_add(STATUS_LIST_TOKEN_LIFETIME_SECONDS))
                .with_ttl(STATUS_LIST_TTL_SECONDS);
            let hint = key_hint(key.kid(), key.chain());
            match form {
                Form::Jwt => token.sign_jwt(key.signer(), &hint).map(String::into_bytes),
                Form::Cwt => token.sign_cwt(key.signer(), &hint),
            }
            .map_err(|e| ApiError::server_error(&e))
        },
    )?;
    Ok((form, token))
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

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::Form;

    /// The form an `Accept` of `accept` gets at a URI whose default is `default`.
    fn accepted(accept: &str, default: Form) -> Form {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(accept).unwrap_or_else(|e| panic!("{e}")),
        );
        Form::accepted(&headers, default)
    }

    fn form(accept: &str) -> Form {
        accepted(accept, Form::Jwt)
    }

    fn form_at_cwt_uri(accept: &str) -> Form {
        accepted(accept, Form::Cwt)
    }

    /// RFC 9110 §12.5.1 weights decide; the JWT is the default form.
    #[test]
    fn accept_weights_choose_the_form() {
        assert_eq!(Form::accepted(&HeaderMap::new(), Form::Jwt), Form::Jwt);
        assert_eq!(form("application/statuslist+cwt"), Form::Cwt);
        assert_eq!(form("application/json"), Form::Jwt);
        assert_eq!(
            form("application/statuslist+cwt, application/statuslist+jwt"),
            Form::Cwt
        );
        assert_eq!(
            form("application/statuslist+jwt, application/statuslist+cwt"),
            Form::Jwt
        );
        assert_eq!(
            form("application/statuslist+cwt;q=0, application/statuslist+jwt"),
            Form::Jwt
        );
        assert_eq!(
            form("application/statuslist+jwt;q=0.5, application/statuslist+cwt;q=0.9"),
            Form::Cwt
        );
        assert_eq!(form("application/statuslist+cwt;q=0"), Form::Jwt);
        assert_eq!(form("application/statuslist+cwt, */*;q=0.1"), Form::Cwt);
        assert_eq!(form("*/*"), Form::Jwt);
    }

    /// At an mdoc's list URI the CWT is the default: no `Accept`, a wildcard, or other types
    /// get it; an explicit preference for the JWT still gets the JWT.
    #[test]
    fn the_cwt_uri_defaults_to_the_cwt() {
        assert_eq!(Form::accepted(&HeaderMap::new(), Form::Cwt), Form::Cwt);
        assert_eq!(form_at_cwt_uri("*/*"), Form::Cwt);
        assert_eq!(form_at_cwt_uri("application/json"), Form::Cwt);
        assert_eq!(form_at_cwt_uri("application/statuslist+jwt"), Form::Jwt);
        assert_eq!(form_at_cwt_uri("application/statuslist+jwt;q=0"), Form::Cwt);
        assert_eq!(
            form_at_cwt_uri("application/statuslist+jwt, */*;q=0.1"),
            Form::Jwt
        );
    }
}
