//! The local keystore: the demo's stand-in for a KMS.
//!
//! File format (JSON, one object):
//!
//! ```json
//! { "keys": [ { "keyReference": "demo-attester", "alg": "ES256",
//!               "pkcs8": "<unpadded base64url of the PKCS#8 DER private key>" } ] }
//! ```
//!
//! `keyReference` is what a `kms-key` verification method names; `alg` is a JOSE algorithm name
//! (ES256, ES384, ES512 or EdDSA). The attester signs with the private key; the issuer only ever
//! asks the keystore for the public key, as it would ask a KMS.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use jose_core::{Algorithm, LocalSigner, PublicJwk, RandomSource};
use serde::{Deserialize, Serialize};

use crate::error::DemoError;

/// One entry of the keystore file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyEntry {
    key_reference: String,
    alg: Algorithm,
    pkcs8: String,
}

/// The keystore file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeystoreFile {
    keys: Vec<KeyEntry>,
}

/// A loaded keystore: key references mapped to signers. Cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub struct Keystore {
    keys: BTreeMap<String, Arc<LocalSigner>>,
    file: Vec<KeyEntryPublicOnlyDebug>,
}

/// The serialisable form kept next to the signers (so the keystore can be written back).
#[derive(Clone)]
struct KeyEntryPublicOnlyDebug(KeyEntry);

impl core::fmt::Debug for KeyEntryPublicOnlyDebug {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("key_reference", &self.0.key_reference)
            .field("alg", &self.0.alg)
            .field("pkcs8", &"<redacted>")
            .finish()
    }
}

impl Keystore {
    /// An empty keystore.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the keystore JSON.
    ///
    /// # Errors
    /// [`DemoError::Keystore`] for malformed JSON, a bad key or a duplicate reference.
    pub fn from_json(text: &str) -> Result<Self, DemoError> {
        let file: KeystoreFile =
            serde_json::from_str(text).map_err(|e| DemoError::Keystore(e.to_string()))?;
        let mut store = Self::new();
        for entry in file.keys {
            let der = jose_core::base64url::decode_secret(&entry.pkcs8).ok_or_else(|| {
                DemoError::Keystore(format!("{}: pkcs8 is not base64url", entry.key_reference))
            })?;
            store.insert(entry.key_reference.clone(), entry.alg, &der)?;
        }
        Ok(store)
    }

    /// Reads a keystore file.
    ///
    /// # Errors
    /// [`DemoError::Io`] when it cannot be read, else as [`Self::from_json`].
    pub fn load(path: &Path) -> Result<Self, DemoError> {
        Self::from_json(&std::fs::read_to_string(path)?)
    }

    /// Writes the keystore file (it holds private keys: keep it private).
    ///
    /// # Errors
    /// [`DemoError::Io`] when it cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), DemoError> {
        std::fs::write(path, self.to_json()?)?;
        Ok(())
    }

    /// The keystore as the JSON file format.
    ///
    /// # Errors
    /// [`DemoError::Keystore`] when a key cannot be written as JSON.
    pub fn to_json(&self) -> Result<String, DemoError> {
        let file = KeystoreFile {
            keys: self.file.iter().map(|e| e.0.clone()).collect(),
        };
        serde_json::to_string_pretty(&file).map_err(|e| DemoError::Keystore(e.to_string()))
    }

    /// Generates a key under `key_reference`.
    ///
    /// # Errors
    /// [`DemoError::Keystore`] if generation fails or the reference exists.
    pub fn generate(
        &mut self,
        key_reference: &str,
        alg: Algorithm,
        rng: &dyn RandomSource,
    ) -> Result<(), DemoError> {
        let der = LocalSigner::generate_pkcs8(alg, rng)?;
        self.insert(key_reference.to_owned(), alg, der.as_bytes())
    }

    fn insert(
        &mut self,
        key_reference: String,
        alg: Algorithm,
        der: &[u8],
    ) -> Result<(), DemoError> {
        if self.keys.contains_key(&key_reference) {
            return Err(DemoError::Keystore(format!(
                "duplicate keyReference {key_reference}"
            )));
        }
        let signer = LocalSigner::from_pkcs8(alg, der)
            .map_err(|e| DemoError::Keystore(format!("{key_reference}: {e}")))?;
        self.file.push(KeyEntryPublicOnlyDebug(KeyEntry {
            key_reference: key_reference.clone(),
            alg,
            pkcs8: jose_core::base64url::encode(der),
        }));
        self.keys.insert(key_reference, Arc::new(signer));
        Ok(())
    }

    /// The signer for `key_reference` (the attester's side).
    #[must_use]
    pub fn signer(&self, key_reference: &str) -> Option<Arc<LocalSigner>> {
        self.keys.get(key_reference).cloned()
    }

    /// The public key for `key_reference` (what a KMS "get public key" returns).
    #[must_use]
    pub fn public_jwk(&self, key_reference: &str) -> Option<PublicJwk> {
        self.keys.get(key_reference).map(|s| s.public_jwk())
    }
}

/// The demo's KMS: the `kms-key` attester key through jose-core's key lookup seam.
impl jose_core::KeyLookup for Keystore {
    fn keys(
        &self,
        query: &jose_core::KeyQuery<'_>,
        _now: jose_core::UnixTime,
    ) -> Result<Vec<PublicJwk>, jose_core::KeyLookupError> {
        let key_reference = query.key_reference().ok_or_else(|| {
            jose_core::KeyLookupError::no_trusted_key("no keyReference in the query")
        })?;
        self.public_jwk(key_reference)
            .map(|key| vec![key])
            .ok_or_else(|| {
                jose_core::KeyLookupError::no_trusted_key(format!(
                    "keyReference {key_reference} is not in the keystore"
                ))
            })
    }
}
