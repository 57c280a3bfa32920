//! Caller-provided key material: the client registry for fallback methods and the client
//! secret container. The `kms-key` attester key comes through `jose_core::keys::KeyLookup`.

use jose_core::PublicJwk;
use ring::hmac;

/// The registered credentials of clients that may use a fallback method.
pub trait ClientRegistry {
    /// The registered public key for `private_key_jwt` (RFC 7523), if any.
    fn client_key(&self, client_id: &str) -> Option<PublicJwk>;

    /// The registered client secret, if any.
    fn client_secret(&self, client_id: &str) -> Option<&ClientSecret>;
}

/// A registered client secret. No `Clone`, and `Debug` does not print it.
///
/// Comparison is constant-time: both sides are MACed under a fixed key and the tags compared
/// with ring's constant-time HMAC verification, so neither the content nor the length of the
/// registered secret leaks through timing.
///
/// ```
/// let secret = attestation_jwt::ClientSecret::new(b"s3cr3t-value".to_vec());
/// assert!(secret.matches(b"s3cr3t-value"));
/// assert!(!secret.matches(b"s3cr3t-valuf"));
/// assert_eq!(format!("{secret:?}"), "ClientSecret(<redacted>)");
/// ```
pub struct ClientSecret {
    tag: hmac::Tag,
}

/// A fixed MAC key: the MAC serves as a length-hiding, constant-time comparison, not as a secret.
const COMPARE_KEY: &[u8] = b"attestation-jwt client secret comparison v1";

impl ClientSecret {
    /// Wraps a secret (kept only as its MAC).
    #[must_use]
    pub fn new(secret: Vec<u8>) -> Self {
        let key = hmac::Key::new(hmac::HMAC_SHA256, COMPARE_KEY);
        Self {
            tag: hmac::sign(&key, &secret),
        }
    }

    /// Whether `presented` equals the secret, in constant time.
    #[must_use]
    pub fn matches(&self, presented: &[u8]) -> bool {
        let key = hmac::Key::new(hmac::HMAC_SHA256, COMPARE_KEY);
        hmac::verify(&key, presented, self.tag.as_ref()).is_ok()
    }
}

impl core::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}
