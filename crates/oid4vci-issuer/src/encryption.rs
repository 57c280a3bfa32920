//! Credential request and response encryption settings (OpenID4VCI 1.0 §8.2, §10, §12.2.4).

use std::sync::Arc;

use jose_core::jwe::{ContentEncryption, ECDH_ES, KeyAgreement};
use oid4vci_types::{JwkSet, RequestEncryptionMetadata, ResponseEncryptionMetadata};

use crate::EngineError;

/// Default limit on a decrypted (and inflated) credential request: 64 KiB.
pub const DEFAULT_MAX_DECRYPTED_REQUEST_LEN: usize = 64 * 1024;

/// One key wallets encrypt credential requests to: a `kid` and the key-agreement seam holding
/// the private key (in process or in an HSM).
#[derive(Clone)]
#[non_exhaustive]
pub struct RequestDecryptionKey {
    /// The `kid` published in `credential_request_encryption.jwks` and expected in the JWE
    /// header.
    pub kid: String,
    /// The private key's ECDH.
    pub key: Arc<dyn KeyAgreement + Send + Sync>,
}

impl RequestDecryptionKey {
    /// `key` published under `kid`.
    #[must_use]
    pub fn new(kid: &str, key: Arc<dyn KeyAgreement + Send + Sync>) -> Self {
        Self {
            kid: kid.to_owned(),
            key,
        }
    }
}

impl core::fmt::Debug for RequestDecryptionKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RequestDecryptionKey")
            .field("kid", &self.kid)
            .field("curve", &self.key.curve().jwk_name())
            .finish()
    }
}

/// What the issuer offers for encryption: request decryption keys, the `enc` values (used for
/// requests and responses alike), `zip: DEF`, and whether requests and responses must be
/// encrypted. Responses are always ECDH-ES JWEs to the wallet's `jwk`.
///
/// Checked when the engine is built ([`crate::IssuerEngineBuilder::with_encryption`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EncryptionSettings {
    /// The keys credential requests are encrypted to (at least one: §8.2 requires an encrypted
    /// request whenever response encryption is asked for).
    pub request_keys: Vec<RequestDecryptionKey>,
    /// The accepted and offered `enc` values.
    pub enc_values: Vec<ContentEncryption>,
    /// Accept `zip: DEF` in requests and honour it for responses.
    pub zip: bool,
    /// Refuse plaintext credential requests.
    pub request_encryption_required: bool,
    /// Refuse requests without `credential_response_encryption`.
    pub response_encryption_required: bool,
    /// The largest decrypted (and inflated) request accepted.
    pub max_decrypted_request_len: usize,
}

impl EncryptionSettings {
    /// Encryption with `request_keys`, A128GCM and A256GCM, no `zip`, nothing required.
    #[must_use]
    pub fn new(request_keys: Vec<RequestDecryptionKey>) -> Self {
        Self {
            request_keys,
            enc_values: vec![ContentEncryption::A128Gcm, ContentEncryption::A256Gcm],
            zip: false,
            request_encryption_required: false,
            response_encryption_required: false,
            max_decrypted_request_len: DEFAULT_MAX_DECRYPTED_REQUEST_LEN,
        }
    }

    /// Sets the accepted and offered `enc` values.
    #[must_use]
    pub fn with_enc_values(mut self, enc_values: Vec<ContentEncryption>) -> Self {
        self.enc_values = enc_values;
        self
    }

    /// Accepts and offers `zip: DEF`.
    #[must_use]
    pub const fn with_zip(mut self, zip: bool) -> Self {
        self.zip = zip;
        self
    }

    /// Requires encrypted requests and (`response`) encrypted responses.
    #[must_use]
    pub const fn with_required(mut self, request: bool, response: bool) -> Self {
        self.request_encryption_required = request;
        self.response_encryption_required = response;
        self
    }

    /// `credential_request_encryption` metadata: every key's public JWK with its `kid`,
    /// `use: enc` and `alg: ECDH-ES`.
    #[must_use]
    pub fn request_metadata(&self) -> RequestEncryptionMetadata {
        let keys = self
            .request_keys
            .iter()
            .map(|k| {
                let mut jwk = k.key.public_jwk().with_kid(k.kid.clone()).to_map();
                jwk.insert("use".into(), "enc".into());
                jwk.insert("alg".into(), ECDH_ES.into());
                jwk
            })
            .collect();
        let meta = RequestEncryptionMetadata::new(
            JwkSet::new(keys),
            self.enc_names(),
            self.request_encryption_required,
        );
        if self.zip {
            meta.with_zip_values(vec!["DEF".into()])
        } else {
            meta
        }
    }

    /// `credential_response_encryption` metadata: `ECDH-ES`, the `enc` values, `DEF` when
    /// enabled, and `encryption_required`.
    #[must_use]
    pub fn response_metadata(&self) -> ResponseEncryptionMetadata {
        let meta = ResponseEncryptionMetadata::new(
            vec![ECDH_ES.into()],
            self.enc_names(),
            self.response_encryption_required,
        );
        if self.zip {
            meta.with_zip_values(vec!["DEF".into()])
        } else {
            meta
        }
    }

    fn enc_names(&self) -> Vec<String> {
        self.enc_values
            .iter()
            .map(|e| e.jose_name().to_owned())
            .collect()
    }

    pub(crate) fn check(&self) -> Result<(), EngineError> {
        let bad = |path: String, reason: &str| {
            Err(EngineError::Config {
                path,
                reason: reason.to_owned(),
            })
        };
        if self.request_keys.is_empty() {
            return bad(
                "encryption.requestKeys".into(),
                "needs at least one key (response encryption requires an encrypted request)",
            );
        }
        for (i, key) in self.request_keys.iter().enumerate() {
            if key.kid.is_empty() {
                return bad(format!("encryption.requestKeys[{i}].kid"), "is empty");
            }
            if self.request_keys.iter().take(i).any(|k| k.kid == key.kid) {
                return bad(format!("encryption.requestKeys[{i}].kid"), "is used twice");
            }
        }
        if self.enc_values.is_empty() {
            return bad(
                "encryption.encValuesSupported".into(),
                "must name at least one of A128GCM, A256GCM",
            );
        }
        for (i, enc) in self.enc_values.iter().enumerate() {
            if self.enc_values.iter().take(i).any(|e| e == enc) {
                return bad(
                    format!("encryption.encValuesSupported[{i}]"),
                    "is listed twice",
                );
            }
        }
        if self.max_decrypted_request_len == 0 {
            return bad(
                "encryption.maxDecryptedRequestLen".into(),
                "must be at least 1",
            );
        }
        Ok(())
    }
}
