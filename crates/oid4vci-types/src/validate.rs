//! Pure validation helpers: a credential request against the issuer metadata, and a token
//! request against the credential offer it redeems.

use alloc::collections::BTreeMap;
use alloc::string::String;

use serde_json::Value;

use crate::configuration::{CredentialConfiguration, FORMAT_SD_JWT_VC};
use crate::credential_request::{CredentialRequest, CredentialTarget, ResponseEncryption};
use crate::error::{Error, MessageKind};
use crate::issuer_metadata::CredentialIssuerMetadata;
use crate::offer::{CredentialOffer, PRE_AUTHORIZED_CODE_GRANT};
use crate::token::{TokenGrant, TokenRequest};

/// Checks a credential request against the metadata, in this order:
///
/// 1. the target resolves to a configuration: a `credential_configuration_id` must exist in
///    `credential_configurations_supported`; a `credential_identifier` must be a key of
///    `issued_identifiers` (identifier → configuration id, from the token response); a
///    draft-13 `format` target must match exactly one configuration's format and `vct` /
///    `doctype` / `credential_definition.type` (`vc+sd-jwt` matches `dc+sd-jwt`);
/// 2. proofs are present iff the configuration has `proof_types_supported`;
/// 3. the proof type is supported;
/// 4. the number of proofs is at most `batch_size` (1 without batch issuance);
/// 5. every algorithm in `proof_algs` (read by the caller from the proof JWT headers) is in
///    `proof_signing_alg_values_supported`.
///
/// Returns the configuration id and configuration.
///
/// # Errors
///
/// [`Error::UnknownCredentialConfiguration`], [`Error::UnknownCredentialIdentifier`],
/// [`Error::MissingProofs`], [`Error::ProofsNotExpected`], [`Error::UnsupportedProofType`],
/// [`Error::TooManyProofs`], [`Error::ProofAlgorithmNotAllowed`].
pub fn validate_credential_request<'m>(
    request: &CredentialRequest,
    metadata: &'m CredentialIssuerMetadata,
    issued_identifiers: &BTreeMap<String, String>,
    proof_algs: &[&str],
) -> Result<(&'m str, &'m CredentialConfiguration), Error> {
    let configs = &metadata.credential_configurations_supported;
    let (id, config) = match &request.target {
        CredentialTarget::ConfigurationId(id) => configs
            .get_key_value(id)
            .ok_or_else(|| Error::UnknownCredentialConfiguration { id: id.clone() })?,
        CredentialTarget::Identifier(ident) => {
            let id = issued_identifiers
                .get(ident)
                .ok_or_else(|| Error::UnknownCredentialIdentifier { id: ident.clone() })?;
            configs
                .get_key_value(id)
                .ok_or_else(|| Error::UnknownCredentialConfiguration { id: id.clone() })?
        }
        CredentialTarget::Draft13Format { format, details } => {
            let mut matches = configs
                .iter()
                .filter(|(_, c)| draft13_matches(c, format, details));
            match (matches.next(), matches.next()) {
                (Some(found), None) => found,
                _ => {
                    return Err(Error::UnknownCredentialConfiguration { id: format.clone() });
                }
            }
        }
    };
    let configuration_id = || id.clone();
    match (&config.proof_types_supported, &request.proofs) {
        (None, None) => {}
        (None, Some(_)) => {
            return Err(Error::ProofsNotExpected {
                configuration_id: configuration_id(),
            });
        }
        (Some(_), None) => {
            return Err(Error::MissingProofs {
                configuration_id: configuration_id(),
            });
        }
        (Some(supported), Some(proofs)) => {
            let Some(proof_meta) = supported.get(proofs.proof_type()) else {
                return Err(Error::UnsupportedProofType {
                    proof_type: proofs.proof_type().into(),
                });
            };
            let max = metadata.max_proofs();
            let count = proofs.len();
            if u64::try_from(count).unwrap_or(u64::MAX) > max {
                return Err(Error::TooManyProofs { count, max });
            }
            if let Some(alg) = proof_algs.iter().find(|a| {
                !proof_meta
                    .proof_signing_alg_values_supported
                    .iter()
                    .any(|s| s == *a)
            }) {
                return Err(Error::ProofAlgorithmNotAllowed {
                    alg: String::from(*alg),
                });
            }
        }
    }
    Ok((id.as_str(), config))
}

fn draft13_matches(
    config: &CredentialConfiguration,
    format: &str,
    details: &serde_json::Map<String, Value>,
) -> bool {
    let format = if format == "vc+sd-jwt" {
        FORMAT_SD_JWT_VC
    } else {
        format
    };
    if config.format != format {
        return false;
    }
    let same = |want: Option<&Value>, have: Option<&String>| match (want, have) {
        (Some(Value::String(w)), Some(h)) => w == h,
        (None, _) => true,
        _ => false,
    };
    let type_of = |v: Option<&Value>| v.and_then(|d| d.get("type")).cloned();
    same(details.get("vct"), config.vct.as_ref())
        && same(details.get("doctype"), config.doctype.as_ref())
        && (details.get("credential_definition").is_none()
            || type_of(details.get("credential_definition"))
                == type_of(config.credential_definition.as_ref()))
}

/// Checks a token request against the offer it redeems (§6.1, §6.3):
///
/// - a pre-authorized code request needs the offer's pre-authorized grant and the same
///   `pre-authorized_code`;
/// - `tx_code` is REQUIRED exactly when the offer's grant carries a `tx_code` object (even
///   `{}`), and refused when it carries none (§6.3 lists both as `invalid_request`);
/// - an authorization code request needs the offer's `authorization_code` grant, or an offer
///   without `grants` (the wallet then relies on the AS metadata);
/// - refresh token requests are not tied to an offer and pass.
///
/// The `tx_code` value itself is compared by the caller against its stored code.
///
/// # Errors
///
/// [`Error::GrantNotOffered`], [`Error::PreAuthorizedCodeMismatch`],
/// [`Error::TxCodeRequired`], [`Error::TxCodeUnexpected`].
pub fn validate_token_request_against_offer(
    request: &TokenRequest,
    offer: &CredentialOffer,
) -> Result<(), Error> {
    match &request.grant {
        TokenGrant::PreAuthorizedCode {
            pre_authorized_code,
            tx_code,
        } => {
            let grant = offer
                .pre_authorized_code_grant()
                .ok_or(Error::GrantNotOffered {
                    grant_type: PRE_AUTHORIZED_CODE_GRANT,
                })?;
            if grant.pre_authorized_code != *pre_authorized_code {
                return Err(Error::PreAuthorizedCodeMismatch);
            }
            match (&grant.tx_code, tx_code) {
                (Some(_), None) => Err(Error::TxCodeRequired),
                (None, Some(_)) => Err(Error::TxCodeUnexpected),
                _ => Ok(()),
            }
        }
        TokenGrant::AuthorizationCode { .. } => {
            if offer.grants.is_some() && offer.authorization_code_grant().is_none() {
                return Err(Error::GrantNotOffered {
                    grant_type: crate::offer::AUTHORIZATION_CODE_GRANT,
                });
            }
            Ok(())
        }
        TokenGrant::RefreshToken { .. } => Ok(()),
    }
}

/// Checks the encryption of a credential (or deferred credential) request against the
/// metadata (§8.2, §10, §12.2.4), in this order:
///
/// 1. `credential_request_encryption.encryption_required` needs `request_was_encrypted`;
/// 2. `credential_response_encryption` in the request needs `request_was_encrypted`;
/// 3. `credential_response_encryption.encryption_required` needs the request to carry
///    `credential_response_encryption`;
/// 4. sent parameters must be offered: the JWK's `alg` (REQUIRED, 1.0 has no separate `alg`)
///    in `alg_values_supported`, `enc` in `enc_values_supported`, `zip` in
///    `zip_values_supported`.
///
/// # Errors
///
/// [`Error::EncryptionRequired`], [`Error::PlaintextRequestWithResponseEncryption`],
/// [`Error::EncryptionNotSupported`], [`Error::MissingMember`] (`jwk.alg`),
/// [`Error::UnsupportedEncryptionParameter`]. All map to `invalid_encryption_parameters`.
pub fn validate_request_encryption(
    response_encryption: Option<&ResponseEncryption>,
    metadata: &CredentialIssuerMetadata,
    request_was_encrypted: bool,
) -> Result<(), Error> {
    let request_required = metadata
        .credential_request_encryption
        .as_ref()
        .is_some_and(|m| m.encryption_required);
    if request_required && !request_was_encrypted {
        return Err(Error::EncryptionRequired {
            member: "credential_request_encryption",
        });
    }
    if response_encryption.is_some() && !request_was_encrypted {
        return Err(Error::PlaintextRequestWithResponseEncryption);
    }
    let offered = metadata.credential_response_encryption.as_ref();
    let Some(params) = response_encryption else {
        if offered.is_some_and(|m| m.encryption_required) {
            return Err(Error::EncryptionRequired {
                member: "credential_response_encryption",
            });
        }
        return Ok(());
    };
    let Some(offered) = offered else {
        return Err(Error::EncryptionNotSupported {
            member: "credential_response_encryption",
        });
    };
    let Some(Value::String(alg)) = params.jwk.get("alg") else {
        return Err(Error::MissingMember {
            message: MessageKind::CredentialRequest,
            member: "credential_response_encryption.jwk.alg".into(),
        });
    };
    let unsupported = |member: &'static str, value: &str| Error::UnsupportedEncryptionParameter {
        member,
        value: value.into(),
    };
    if !offered.alg_values_supported.iter().any(|a| a == alg) {
        return Err(unsupported("jwk.alg", alg));
    }
    if !offered.enc_values_supported.contains(&params.enc) {
        return Err(unsupported("enc", &params.enc));
    }
    if let Some(zip) = &params.zip {
        let zips = offered.zip_values_supported.as_deref().unwrap_or_default();
        if !zips.iter().any(|z| z == zip) {
            return Err(unsupported("zip", zip));
        }
    }
    Ok(())
}
