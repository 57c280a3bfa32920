//! The three metadata documents.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use super::{ACCEPTED_ALGORITHMS, IssuerState};
use crate::config::CredentialConfiguration;

/// `GET /.well-known/openid-credential-issuer` (OpenID4VCI 1.0 §12.2).
pub(super) async fn credential_issuer(State(state): State<Arc<IssuerState>>) -> Json<Value> {
    Json(credential_issuer_metadata(&state))
}

/// The credential issuer metadata document.
pub(super) fn credential_issuer_metadata(state: &IssuerState) -> Value {
    let configurations: Map<String, Value> = state
        .config
        .credential_configurations
        .iter()
        .map(|c| (c.id.clone(), configuration_metadata(state, c)))
        .collect();
    let mut doc = json!({
        "credential_issuer": state.base_url(),
        "credential_endpoint": state.url("/credential"),
        "nonce_endpoint": state.url("/nonce"),
        "deferred_credential_endpoint": state.url("/deferred_credential"),
        "notification_endpoint": state.url("/notification"),
        "display": [{"name": "Demo Credential Issuer", "locale": "en"}],
        "credential_configurations_supported": configurations,
    });
    if let (true, Some(map)) = (state.config.batch_size >= 2, doc.as_object_mut()) {
        map.insert(
            "batch_credential_issuance".into(),
            json!({"batch_size": state.config.batch_size}),
        );
    }
    doc
}

fn algorithm_names() -> Vec<&'static str> {
    ACCEPTED_ALGORITHMS.iter().map(|a| a.jose_name()).collect()
}

fn configuration_metadata(state: &IssuerState, c: &CredentialConfiguration) -> Value {
    let binding = if c.format == "mso_mdoc" {
        "cose_key"
    } else {
        "jwk"
    };
    let mut m = json!({
        "format": c.format,
        "cryptographic_binding_methods_supported": [binding],
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": algorithm_names()}},
        "credential_metadata": {"display": [{"name": c.display_name.as_deref().unwrap_or(&c.id), "locale": "en"}]},
    });
    let Some(map) = m.as_object_mut() else {
        return m;
    };
    if let Some(scope) = &c.scope {
        map.insert("scope".into(), scope.as_str().into());
    }
    if let Some(vct) = &c.vct {
        map.insert("vct".into(), vct.as_str().into());
        map.insert(
            "credential_signing_alg_values_supported".into(),
            json!([state
                .engine
                .keys()
                .credential
                .signer()
                .algorithm()
                .jose_name()]),
        );
    }
    if let Some(doctype) = &c.doctype {
        map.insert("doctype".into(), doctype.as_str().into());
        // mso_mdoc: the COSE algorithm integer of issuerAuth (OpenID4VCI 1.0 App. A.2.2).
        let alg = state
            .engine
            .keys()
            .mdoc
            .as_ref()
            .map(|k| k.signer().algorithm().cose_id());
        map.insert(
            "credential_signing_alg_values_supported".into(),
            json!([alg]),
        );
    }
    m
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 + ABCA metadata).
pub(super) async fn authorization_server(State(state): State<Arc<IssuerState>>) -> Json<Value> {
    let anonymous = state.attestation.as_ref().is_none_or(|a| !a.required);
    let mut doc = json!({
        "issuer": state.base_url(),
        "token_endpoint": state.url("/token"),
        "grant_types_supported": [
            "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "refresh_token"
        ],
        "pre-authorized_grant_anonymous_access_supported": anonymous,
        "dpop_signing_alg_values_supported": algorithm_names(),
        // Token requests may carry openid_credential authorization_details; the token
        // response then hands out credential_identifiers (OpenID4VCI 1.0 §6.2, RFC 9396 §10).
        "authorization_details_types_supported": [oid4vci_types::OPENID_CREDENTIAL],
    });
    if let (Some(map), Some(verifier)) = (doc.as_object_mut(), &state.client_attestation) {
        let challenge = state
            .attestation
            .as_ref()
            .is_some_and(|c| c.challenge_required)
            .then(|| state.url("/challenge"));
        map.extend(verifier.metadata(challenge.as_deref()));
    }
    Json(doc)
}

/// `GET /.well-known/jwt-vc-issuer` (SD-JWT VC issuer metadata): the keys, each with the
/// `kid` that credential headers name.
pub(super) async fn jwt_vc_issuer(State(state): State<Arc<IssuerState>>) -> Json<Value> {
    let jwk = state.signer_jwk.clone().with_kid(state.kid());
    Json(json!({"issuer": state.base_url(), "jwks": {"keys": [jwk.to_value()]}}))
}
