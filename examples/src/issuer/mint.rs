//! Signing credentials bound to the proof key, each with a fresh random status index: an
//! SD-JWT VC (`kid` and `x5c` in the header) or an mdoc (`IssuerSigned`, base64url).

use jose_core::PublicJwk;
use mdoc_cbor::{Issuance, ValidityInfo};
use oid4vci_issuer::{GrantId, IssuedCredential};
use sdjwt_vc::{ClaimPath, NEVER_DISCLOSABLE, SdJwtVcBuilder};
use serde_json::{Map, Value};
use status_list::{StatusIndex, StatusListReference};

use super::{IssuerState, STATUS_LIST_PATH};
use crate::config::CredentialConfiguration;
use crate::error::ApiError;

/// Signs one credential of `configuration` for `holder` and records it.
pub(super) fn mint(
    state: &IssuerState,
    grant: &GrantId,
    configuration: &CredentialConfiguration,
    claims: &Map<String, Value>,
    holder: PublicJwk,
) -> Result<String, ApiError> {
    let now = state.clock.now();
    let (list_id, idx) = state.status.allocate(&state.rng)?;
    let uri = state.url(&format!("{STATUS_LIST_PATH}/{list_id}"));
    let credential = match configuration.format.as_str() {
        "dc+sd-jwt" => sd_jwt(
            state,
            configuration,
            claims,
            holder,
            StatusListReference::new(StatusIndex::new(idx), uri.as_str()),
        )?,
        "mso_mdoc" => mdoc(
            state,
            configuration,
            claims,
            &holder,
            StatusListReference::new(StatusIndex::new(idx), uri.as_str()),
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
        grant.clone(),
        configuration.id.clone(),
        list_id,
        uri,
        idx,
        now,
    ))?;
    Ok(credential)
}

fn sd_jwt(
    state: &IssuerState,
    configuration: &CredentialConfiguration,
    claims: &Map<String, Value>,
    holder: PublicJwk,
    status: StatusListReference,
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
        .with_x5c(state.x5c.clone())
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

fn denied(what: &str, e: &dyn core::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "credential_request_denied",
        format!("the {what} could not be built: {e}"),
    )
}

/// The claims as `{name_space: {element: value}}`: given that way (every value an object), or
/// flat and then put in the configuration's name space.
pub(super) fn name_spaced(
    configuration: &CredentialConfiguration,
    claims: &Map<String, Value>,
) -> Map<String, Value> {
    if !claims.is_empty() && claims.values().all(Value::is_object) {
        return claims.clone();
    }
    let mut out = Map::new();
    out.insert(
        configuration.mdoc_name_space().to_owned(),
        Value::Object(claims.clone()),
    );
    out
}

fn mdoc(
    state: &IssuerState,
    configuration: &CredentialConfiguration,
    claims: &Map<String, Value>,
    holder: &PublicJwk,
    status: StatusListReference,
) -> Result<String, ApiError> {
    let now = state.clock.now();
    let doctype = configuration.doctype.as_deref().unwrap_or_default();
    let validity = ValidityInfo::new(
        now,
        now,
        now.saturating_add(state.config.credential_ttl_seconds),
    )
    .map_err(|e| denied("mdoc", &e))?;
    let issued = Issuance::from_json(
        doctype,
        &name_spaced(configuration, claims),
        holder,
        validity,
    )
    .map_err(|e| denied("mdoc", &e))?
    .with_status(status)
    .sign(&state.mdoc_signer, &state.mdoc_x5chain, &state.rng)
    .map_err(|e| denied("mdoc", &e))?;
    Ok(issued.to_base64url())
}
