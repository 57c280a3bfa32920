//! Signing credentials: an SD-JWT VC bound to the proof key, with a fresh random status index.

use jose_core::PublicJwk;
use sdjwt_vc::{ClaimPath, NEVER_DISCLOSABLE, SdJwtVcBuilder, StatusReference};
use serde_json::{Map, Value};

use super::{IssuerState, STATUS_LIST_PATH};
use crate::config::CredentialConfiguration;
use crate::error::ApiError;
use crate::state::IssuedCredential;

/// Signs one credential of `configuration` for `holder` and records it.
pub(super) fn mint(
    state: &IssuerState,
    configuration: &CredentialConfiguration,
    claims: &Map<String, Value>,
    holder: PublicJwk,
) -> Result<String, ApiError> {
    let now = state.clock.now();
    let (list_id, idx) = state
        .status
        .allocate(&state.rng)
        .map_err(|e| ApiError::server_error(&e))?;
    let uri = state.url(&format!("{STATUS_LIST_PATH}/{list_id}"));
    let credential = match configuration.format.as_str() {
        "dc+sd-jwt" => sd_jwt(
            state,
            configuration,
            claims,
            holder,
            StatusReference::new(idx, uri.as_str()),
        )?,
        other => {
            return Err(ApiError::bad_request(
                "credential_request_denied",
                format!("format {other} is not issued by this demo yet"),
            ));
        }
    };
    let credential_id = state.random_handle()?;
    state.registry.record(IssuedCredential::new(
        credential_id,
        configuration.id.clone(),
        list_id,
        uri,
        idx,
        now,
    ));
    Ok(credential)
}

fn sd_jwt(
    state: &IssuerState,
    configuration: &CredentialConfiguration,
    claims: &Map<String, Value>,
    holder: PublicJwk,
    status: StatusReference,
) -> Result<String, ApiError> {
    let now = state.clock.now();
    let vct = configuration.vct.clone().unwrap_or_default();
    let disclosable = claims
        .keys()
        .filter(|name| {
            !configuration.always_disclosed.contains(name)
                && !NEVER_DISCLOSABLE.contains(&name.as_str())
        })
        .map(ClaimPath::key);
    let issued = SdJwtVcBuilder::new(vct, claims.clone())
        .with_issuer(state.base_url.as_str())
        .with_issued_at(now)
        .with_expires_at(now.saturating_add(state.config.credential_ttl_seconds))
        .with_holder_key(holder)
        .with_status(status)
        .with_key_id(state.kid.as_str())
        .with_disclosable_paths(disclosable)
        .issue(&state.signer, &state.rng)
        .map_err(|e| {
            ApiError::bad_request(
                "credential_request_denied",
                format!("the credential could not be built: {e}"),
            )
        })?;
    Ok(issued.to_compact())
}
