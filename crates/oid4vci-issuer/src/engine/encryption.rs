//! Encrypted credential requests (`application/jwt`) and encrypted responses to the wallet's
//! `credential_response_encryption.jwk` (OpenID4VCI 1.0 §8.2, §8.3, §10), shared by the
//! credential and deferred credential endpoints.

use std::borrow::Cow;

use jose_core::PublicJwk;
use jose_core::jwe::{
    CompactJwe, Compression, ContentEncryption, ECDH_ES, JweEncrypter, JweLimits, JwePolicy,
};
use oid4vci_types::{CredentialErrorCode, OAuthError, ResponseEncryption};
use serde_json::Value;

use super::IssuerEngine;
use crate::{EndpointRequest, EndpointResponse};

/// The media type of an encrypted request or response.
pub(crate) const JWT_MEDIA_TYPE: &str = "application/jwt";

/// 400 `invalid_encryption_parameters` with `description`.
pub(super) fn invalid_encryption(description: &str) -> OAuthError {
    OAuthError::from_code(
        CredentialErrorCode::InvalidEncryptionParameters,
        description,
    )
}

/// A request body as the endpoint parses it: the received JSON, or the decrypted JWE payload.
pub(super) struct RequestBody<'a> {
    bytes: Cow<'a, [u8]>,
    encrypted: bool,
}

impl RequestBody<'_> {
    /// The JSON bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the request came encrypted.
    pub(super) const fn encrypted(&self) -> bool {
        self.encrypted
    }
}

impl IssuerEngine {
    /// The JSON body of a credential or deferred credential request: `application/json` as
    /// received (refused when request encryption is required), or `application/jwt` decrypted
    /// with the issuer's request key.
    ///
    /// # Errors
    /// `invalid_credential_request` for another media type; `invalid_encryption_parameters`
    /// for a plaintext request when encryption is required, a JWE when no request encryption
    /// is offered, and a JWE that cannot be decrypted (unsupported alg/enc/zip, unknown `kid`,
    /// failed authentication, too large).
    pub(super) fn request_body<'a>(
        &self,
        request: &EndpointRequest<'a>,
    ) -> Result<RequestBody<'a>, OAuthError> {
        let media_type = request
            .single_header("content-type")
            .ok()
            .flatten()
            .map(|v| v.split_once(';').map_or(v, |(t, _)| t).trim());
        let is_jwt = media_type.is_some_and(|t| t.eq_ignore_ascii_case(JWT_MEDIA_TYPE));
        if !is_jwt {
            request.require_media_type("application/json", "invalid_credential_request")?;
            if self
                .encryption
                .as_ref()
                .is_some_and(|e| e.request_encryption_required)
            {
                return Err(invalid_encryption(
                    "the credential request must be encrypted (Content-Type: application/jwt)",
                ));
            }
            return Ok(RequestBody {
                bytes: Cow::Borrowed(request.body()),
                encrypted: false,
            });
        }
        let Some(settings) = &self.encryption else {
            return Err(invalid_encryption(
                "this issuer offers no credential request encryption",
            ));
        };
        let token = core::str::from_utf8(request.body())
            .map_err(|_| invalid_encryption("the encrypted request is not a compact JWE"))?
            .trim_ascii();
        let limits =
            JweLimits::default().with_max_plaintext_len(settings.max_decrypted_request_len);
        let refused = |e: jose_core::jwe::JweError| {
            invalid_encryption(&format!("the encrypted credential request is refused: {e}"))
        };
        let jwe = CompactJwe::parse(token, &limits).map_err(refused)?;
        let header = jwe.header();
        let key = match header.kid() {
            Some(kid) => settings
                .request_keys
                .iter()
                .find(|k| k.kid == kid)
                .ok_or_else(|| {
                    invalid_encryption(&format!(
                        "the encrypted credential request names an unknown kid {:?}",
                        jose_core::short_text(kid)
                    ))
                })?,
            None => settings
                .request_keys
                .iter()
                .find(|k| k.key.curve() == header.epk_curve())
                .ok_or_else(|| {
                    invalid_encryption(&format!(
                        "no request encryption key on {}",
                        header.epk_curve().jwk_name()
                    ))
                })?,
        };
        let policy = JwePolicy::new(&settings.enc_values).with_zip(settings.zip);
        let plaintext = jwe
            .decrypt_with_limits(key.key.as_ref(), &policy, &limits)
            .map_err(refused)?;
        Ok(RequestBody {
            bytes: Cow::Owned(plaintext),
            encrypted: true,
        })
    }

    /// How the answer is to be encrypted: `None` for plaintext, else an encrypter to the
    /// wallet's `jwk`.
    ///
    /// # Errors
    /// `invalid_encryption_parameters`: response encryption asked for but not offered, asked
    /// for in a plaintext request, required but not asked for; a missing, private or unusable
    /// `jwk`, a `jwk.alg` other than ECDH-ES, an `enc` or `zip` not offered.
    pub(super) fn response_encrypter(
        &self,
        params: Option<&ResponseEncryption>,
        request_encrypted: bool,
    ) -> Result<Option<JweEncrypter>, OAuthError> {
        let settings = self.encryption.as_ref();
        let Some(params) = params else {
            if settings.is_some_and(|s| s.response_encryption_required) {
                return Err(invalid_encryption(
                    "credential_response_encryption is required by this issuer",
                ));
            }
            return Ok(None);
        };
        let Some(settings) = settings else {
            return Err(super::credential::encryption_not_offered());
        };
        if !request_encrypted {
            return Err(invalid_encryption(
                "credential_response_encryption requires an encrypted credential request",
            ));
        }
        match params.jwk.get("alg") {
            Some(Value::String(alg)) if alg == ECDH_ES => {}
            Some(Value::String(alg)) => {
                return Err(invalid_encryption(&format!(
                    "credential_response_encryption.jwk.alg {:?} is not supported (ECDH-ES only)",
                    jose_core::short_text(alg)
                )));
            }
            Some(_) => {
                return Err(invalid_encryption(
                    "credential_response_encryption.jwk.alg is not a string",
                ));
            }
            None => {
                return Err(invalid_encryption(
                    "credential_response_encryption.jwk.alg is missing",
                ));
            }
        }
        let jwk = PublicJwk::from_map(&params.jwk).map_err(|e| {
            invalid_encryption(&format!(
                "credential_response_encryption.jwk is not a usable public key: {e}"
            ))
        })?;
        let enc = ContentEncryption::from_jose_name(&params.enc)
            .ok()
            .filter(|e| settings.enc_values.contains(e))
            .ok_or_else(|| {
                invalid_encryption(&format!(
                    "credential_response_encryption.enc {:?} is not supported",
                    jose_core::short_text(&params.enc)
                ))
            })?;
        let zip = match params.zip.as_deref() {
            None => None,
            Some(zip) => Some(
                Compression::from_jose_name(zip)
                    .ok()
                    .filter(|_| settings.zip)
                    .ok_or_else(|| {
                        invalid_encryption(&format!(
                            "credential_response_encryption.zip {:?} is not supported",
                            jose_core::short_text(zip)
                        ))
                    })?,
            ),
        };
        let encrypter = JweEncrypter::new(&jwk, enc).map_err(|e| {
            invalid_encryption(&format!(
                "credential_response_encryption.jwk cannot be used: {e}"
            ))
        })?;
        Ok(Some(encrypter.with_zip(zip)))
    }

    /// `answer` as is, or its JSON body encrypted to the wallet (`Content-Type:
    /// application/jwt`, same status).
    ///
    /// # Errors
    /// `server_error` when encryption fails (no randomness).
    pub(super) fn seal(
        &self,
        answer: EndpointResponse,
        encrypter: Option<&JweEncrypter>,
    ) -> Result<EndpointResponse, OAuthError> {
        let (Some(encrypter), Some(body)) = (encrypter, &answer.body) else {
            return Ok(answer);
        };
        let failed = |e: &dyn core::fmt::Display| {
            OAuthError::server_error().with_internal_detail(e.to_string())
        };
        let mut plaintext = Vec::new();
        jose_core::json::write_value(&mut plaintext, body).map_err(|e| failed(&e))?;
        let token = encrypter
            .encrypt(&plaintext, self.rng.as_ref())
            .map_err(|e| failed(&e))?;
        Ok(EndpointResponse::jwt(answer.status, token))
    }
}
