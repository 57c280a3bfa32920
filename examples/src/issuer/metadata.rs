//! The metadata documents, built once at start-up from the types a wallet parses them
//! with: oid4vci-types' [`CredentialIssuerMetadata`] and [`AuthorizationServerMetadata`], and
//! sdjwt-vc's [`sdjwt_vc::IssuerMetadata`] (JWT VC Issuer Metadata, kept with the signing keys
//! since a key rotation changes it).

use std::sync::Arc;

use attestation_jwt::{ClientAttestationConfig, ClientAttestationVerifier};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use oid4vci_issuer::IssuerEngine;
use oid4vci_types::{
    AUTHORIZATION_CODE_GRANT, AlgorithmIdentifier, AuthorizationServerMetadata,
    BatchCredentialIssuance, ClaimDescription, ClaimDisplay, ClaimsPathElement,
    CredentialConfiguration, CredentialDisplay, CredentialFormat, CredentialIssuerMetadata,
    CredentialMetadata, IssuerDisplay, KeyAttestationsRequired, OPENID_CREDENTIAL, PKCE_S256,
    PRE_AUTHORIZED_CODE_GRANT, ProofTypeMetadata, REFRESH_TOKEN_GRANT,
};

use super::{ACCEPTED_ALGORITHMS, IssuerState};
use crate::config::{self, IssuerConfig};
use crate::error::DemoError;

/// The served metadata documents.
#[derive(Debug)]
pub(super) struct ServedMetadata {
    credential_issuer: CredentialIssuerMetadata,
    authorization_server: AuthorizationServerMetadata,
}

/// What the documents are built from.
pub(super) struct Sources<'a> {
    /// The configuration.
    pub(super) config: &'a IssuerConfig,
    /// The engine (settings and keys).
    pub(super) engine: &'a IssuerEngine,
    /// The parsed `clientAttestationConfig`.
    pub(super) attestation: Option<&'a ClientAttestationConfig>,
    /// The client attestation verifier, which contributes its AS metadata members.
    pub(super) verifier: Option<&'a ClientAttestationVerifier>,
}

impl ServedMetadata {
    /// Builds the three documents.
    ///
    /// # Errors
    /// [`DemoError::Config`] when a credential configuration cannot be described (an
    /// unsupported format, an `mso_mdoc` configuration without an mdoc signing key, a batch
    /// size beyond `u64`) or the attestation verifier's metadata members do not fit the AS
    /// metadata.
    pub(super) fn new(sources: Sources<'_>) -> Result<Self, DemoError> {
        Ok(Self {
            credential_issuer: credential_issuer_metadata(&sources)?,
            authorization_server: authorization_server_metadata(&sources)?,
        })
    }
}

/// A public document: JSON, readable by a verifier's or wallet's web page on any origin
/// (`Access-Control-Allow-Origin: *`; it carries no secret and no cookie is read).
fn public_json<T: serde::Serialize>(document: T) -> impl IntoResponse {
    (ANY_ORIGIN, Json(document))
}

/// The CORS header of a public document.
const ANY_ORIGIN: [(header::HeaderName, &str); 1] = [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")];

/// `GET /.well-known/openid-credential-issuer` (OpenID4VCI 1.0 §12.2).
pub(super) async fn credential_issuer(State(state): State<Arc<IssuerState>>) -> impl IntoResponse {
    public_json(state.metadata.credential_issuer.clone())
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 + ABCA metadata).
pub(super) async fn authorization_server(
    State(state): State<Arc<IssuerState>>,
) -> impl IntoResponse {
    public_json(state.metadata.authorization_server.clone())
}

/// `GET /.well-known/jwt-vc-issuer` (SD-JWT VC issuer metadata): the keys, each with the
/// `kid` that credential headers name: the active credential signing key and the keys it
/// replaced that are not retired (see [`crate::rotation`]).
pub(super) async fn jwt_vc_issuer(State(state): State<Arc<IssuerState>>) -> impl IntoResponse {
    public_json(state.keys.published().jwt_vc_issuer.clone())
}

/// `GET /iaca.crl`: the IACA's CRL (DER, `application/pkix-crl`, RFC 5280 §5), the
/// location the IACA and the Document Signer certificates name in their CRL distribution
/// point (ISO 18013-5 Annex B). Signed at start; it lists no certificate.
pub(super) async fn iaca_crl(State(state): State<Arc<IssuerState>>) -> impl IntoResponse {
    (
        ANY_ORIGIN,
        [(header::CONTENT_TYPE, "application/pkix-crl")],
        state.iaca_crl.clone(),
    )
}

fn algorithm_names() -> Vec<String> {
    ACCEPTED_ALGORITHMS
        .iter()
        .map(|a| a.jose_name().to_owned())
        .collect()
}

/// The credential issuer metadata document.
fn credential_issuer_metadata(
    sources: &Sources<'_>,
) -> Result<CredentialIssuerMetadata, DemoError> {
    let settings = sources.engine.settings();
    let mut doc =
        CredentialIssuerMetadata::new(&settings.credential_issuer, &settings.url("/credential"));
    doc.nonce_endpoint = Some(settings.url("/nonce"));
    doc.deferred_credential_endpoint = Some(settings.url("/deferred_credential"));
    doc.notification_endpoint = Some(settings.url("/notification"));
    if let Some(encryption) = sources.engine.encryption() {
        doc.credential_request_encryption = Some(encryption.request_metadata());
        doc.credential_response_encryption = Some(encryption.response_metadata());
    }
    let mut display = IssuerDisplay::default();
    display.name = Some("Demo Credential Issuer".to_owned());
    display.locale = Some("en".to_owned());
    doc.display = Some(vec![display]);
    if sources.config.batch_size >= 2 {
        let batch_size = u64::try_from(sources.config.batch_size)
            .map_err(|_| DemoError::Config("batchSize does not fit in 64 bits".into()))?;
        doc.batch_credential_issuance = Some(BatchCredentialIssuance::new(batch_size));
    }
    for c in &sources.config.credential_configurations {
        doc.credential_configurations_supported
            .insert(c.id.clone(), configuration_metadata(sources, c)?);
    }
    Ok(doc)
}

/// One `credential_configurations_supported` entry.
fn configuration_metadata(
    sources: &Sources<'_>,
    c: &config::CredentialConfiguration,
) -> Result<CredentialConfiguration, DemoError> {
    let keys = sources.engine.keys();
    let mut m = CredentialConfiguration::new(c.format_name()?);
    let (binding, alg) = if c.format == CredentialFormat::MsoMdoc {
        // mso_mdoc: the COSE algorithm integer of issuerAuth (OpenID4VCI 1.0 App. A.2.2).
        let key = keys.mdoc.as_ref().ok_or_else(|| {
            DemoError::Config(format!("{}: mso_mdoc needs an mdoc signing key", c.id))
        })?;
        (
            "cose_key",
            AlgorithmIdentifier::Cose(key.signer().algorithm().cose_id()),
        )
    } else {
        let name = keys.credential.signer().algorithm().jose_name();
        ("jwk", AlgorithmIdentifier::Name(name.to_owned()))
    };
    m.scope.clone_from(&c.scope);
    m.vct.clone_from(&c.vct);
    m.doctype.clone_from(&c.doctype);
    m.cryptographic_binding_methods_supported = Some(vec![binding.to_owned()]);
    m.credential_signing_alg_values_supported = Some(vec![alg]);
    let algorithms: Vec<&str> = ACCEPTED_ALGORITHMS.iter().map(|a| a.jose_name()).collect();
    m.proof_types_supported = Some(match &c.key_attestations_required {
        None => [("jwt".to_owned(), ProofTypeMetadata::new(&algorithms))].into(),
        // Key attestation required: with jwt proofs (`key_attestation` header) and as the
        // `attestation` proof type (OpenID4VCI 1.0 App. F.1, F.3).
        Some(required) => {
            let required = KeyAttestationsRequired::new(
                required.key_storage.clone(),
                required.user_authentication.clone(),
            );
            ["jwt", "attestation"]
                .into_iter()
                .map(|proof_type| {
                    (
                        proof_type.to_owned(),
                        ProofTypeMetadata::new(&algorithms)
                            .with_key_attestations_required(required.clone()),
                    )
                })
                .collect()
        }
    });
    let mut display = CredentialDisplay::new(c.display_name.as_deref().unwrap_or(&c.id));
    display.locale = Some("en".to_owned());
    let mut credential_metadata = CredentialMetadata::default();
    credential_metadata.display = Some(vec![display]);
    if !c.claims.is_empty() {
        credential_metadata.claims = Some(
            c.claims
                .iter()
                .map(|claim| {
                    let mut described = ClaimDescription::new(
                        claim
                            .path
                            .iter()
                            .map(|name| ClaimsPathElement::Name(name.clone()))
                            .collect(),
                    );
                    let mut label = ClaimDisplay::default();
                    label.name = Some(claim.label.clone());
                    label.locale = Some("en".to_owned());
                    described.display = Some(vec![label]);
                    described
                })
                .collect(),
        );
    }
    m.credential_metadata = Some(credential_metadata);
    Ok(m)
}

/// The authorization server metadata document, with the client attestation verifier's
/// members merged in.
fn authorization_server_metadata(
    sources: &Sources<'_>,
) -> Result<AuthorizationServerMetadata, DemoError> {
    let settings = sources.engine.settings();
    let mut doc = AuthorizationServerMetadata::new(&settings.credential_issuer);
    doc.token_endpoint = Some(settings.url("/token"));
    // The code flow as HAIP 1.0 wants it: PAR required, PKCE S256 only, `iss` in the
    // authorization response (RFC 9207).
    doc.authorization_endpoint = Some(settings.url("/authorize"));
    doc.pushed_authorization_request_endpoint = Some(settings.url(oid4vci_issuer::PAR_PATH));
    doc.require_pushed_authorization_requests = Some(true);
    doc.code_challenge_methods_supported = Some(vec![PKCE_S256.to_owned()]);
    doc.authorization_response_iss_parameter_supported = Some(true);
    doc.response_types_supported = Some(vec!["code".to_owned()]);
    // The authorization response goes in the query only (RFC 8414's default would also
    // promise `fragment`); PAR refuses any other `response_mode`.
    doc.response_modes_supported = Some(vec!["query".to_owned()]);
    let scopes: Vec<String> = sources
        .config
        .credential_configurations
        .iter()
        .filter_map(|c| c.scope.clone())
        .collect();
    doc.scopes_supported = (!scopes.is_empty()).then_some(scopes);
    doc.grant_types_supported = Some(vec![
        AUTHORIZATION_CODE_GRANT.to_owned(),
        PRE_AUTHORIZED_CODE_GRANT.to_owned(),
        REFRESH_TOKEN_GRANT.to_owned(),
    ]);
    doc.pre_authorized_grant_anonymous_access_supported =
        Some(sources.attestation.is_none_or(|a| !a.required));
    doc.dpop_signing_alg_values_supported = Some(algorithm_names());
    // Token requests may carry openid_credential authorization_details; the token response
    // then hands out credential_identifiers (OpenID4VCI 1.0 §6.2, RFC 9396 §10).
    doc.authorization_details_types_supported = Some(vec![OPENID_CREDENTIAL.to_owned()]);
    if let Some(verifier) = sources.verifier {
        let challenge = sources
            .attestation
            .is_some_and(|c| c.challenge_required)
            .then(|| settings.url("/challenge"));
        doc.merge_members(verifier.metadata(challenge.as_deref()))
            .map_err(|e| {
                DemoError::Config(format!(
                    "authorization server metadata of issuer {}: {e} (an issuer identifier is https, or http on loopback only: set \"baseUrl\" to the https URL of a TLS-terminating proxy, or --listen on a loopback address)",
                    settings.credential_issuer
                ))
            })?;
    } else {
        // Without client authentication every client is anonymous; RFC 8414's default
        // (`client_secret_basic`) would ask for a secret this issuer does not have.
        doc.token_endpoint_auth_methods_supported = Some(vec!["none".to_owned()]);
    }
    Ok(doc)
}
