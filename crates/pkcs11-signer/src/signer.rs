//! [`Pkcs11Signer`]: `jose_core::Signer` with the private key inside the token.

use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::object::ObjectHandle;
use jose_core::{Algorithm, PublicJwk, Signer};

use crate::error::{Pkcs11Error, describe};
use crate::key::{AlgSpec, KeyRef};
use crate::token::Token;

/// The message of the test signature made when a signer is built.
const SELF_TEST_MESSAGE: &[u8] = b"pkcs11-signer self test";

/// A [`Signer`] whose private key stays in a PKCS#11 token. `Send + Sync`: build it once at
/// startup and share it (`Arc<Pkcs11Signer>`); concurrent signatures take sessions from the
/// token's pool.
///
/// ES256/ES384 hash the message here (SHA-256/384, ring) and sign the digest with `CKM_ECDSA`,
/// whose output is already the fixed-length `r || s` JOSE wants; EdDSA passes the message to
/// `CKM_EDDSA` (pure Ed25519). Every signature's length is checked, and by default every
/// signature is verified with the token's public key before it is returned, so a failing token
/// yields [`jose_core::Error::SigningFailed`], never a wrong signature.
pub struct Pkcs11Signer {
    token: Token,
    spec: AlgSpec,
    key: KeyRef,
    private: ObjectHandle,
    public: PublicJwk,
    verify_after_sign: bool,
}

impl core::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("token", &self.token.label())
            .field("key", &self.key)
            .field("alg", &self.spec.alg)
            .field("public", &self.public.thumbprint_base64url())
            .field("verify_after_sign", &self.verify_after_sign)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Signer {
    /// Builds the signer and makes one test signature, verified with `public`.
    pub(crate) fn new(
        token: Token,
        spec: AlgSpec,
        key: KeyRef,
        private: ObjectHandle,
        public: PublicJwk,
    ) -> Result<Self, Pkcs11Error> {
        let signer = Self {
            token,
            spec,
            key,
            private,
            public,
            verify_after_sign: true,
        };
        let mismatch = |reason| Pkcs11Error::KeyMismatch {
            token: signer.token.label().to_owned(),
            key: signer.key.clone(),
            alg: spec.alg,
            reason,
        };
        let signature = signer
            .sign_unchecked(SELF_TEST_MESSAGE)
            .map_err(|e| match e {
                SignError::Token(operation, reason) => Pkcs11Error::Token {
                    token: signer.token.label().to_owned(),
                    operation,
                    reason,
                },
                SignError::Length(_) => mismatch("the token's signature has the wrong length"),
            })?;
        signer
            .public
            .verify(spec.alg, SELF_TEST_MESSAGE, &signature)
            .map_err(|_| mismatch("the public key does not verify the private key's signature"))?;
        Ok(signer)
    }

    /// Turns off the verification of each signature with the public key (on by default). The
    /// length check stays. Saves one signature verification per signature; a token that
    /// returns a well-formed but wrong signature then goes unnoticed here.
    #[must_use]
    pub fn without_verify_after_sign(mut self) -> Self {
        self.verify_after_sign = false;
        self
    }

    /// The public key read from the token, as a JWK with `alg` set (no `kid`: add one with
    /// [`PublicJwk::with_kid`], e.g. the thumbprint).
    #[must_use]
    pub fn public_jwk(&self) -> PublicJwk {
        self.public.clone()
    }

    /// The key's label or id, as it was found.
    #[must_use]
    pub const fn key(&self) -> &KeyRef {
        &self.key
    }

    /// The token the key lives in.
    #[must_use]
    pub const fn token(&self) -> &Token {
        &self.token
    }

    fn sign_unchecked(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let inner = &self.token.inner;
        let signature = match self.spec.alg {
            Algorithm::EdDsa => {
                let mechanism = Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure));
                inner
                    .pool
                    .with_session(&inner.module, inner.slot, |session| {
                        session.sign(&mechanism, self.private, message)
                    })
            }
            alg => {
                let digest_alg = if alg == Algorithm::Es384 {
                    &ring::digest::SHA384
                } else {
                    &ring::digest::SHA256
                };
                let digest = ring::digest::digest(digest_alg, message);
                inner
                    .pool
                    .with_session(&inner.module, inner.slot, |session| {
                        session.sign(&Mechanism::Ecdsa, self.private, digest.as_ref())
                    })
            }
        }
        .map_err(|e| SignError::Token("signing", describe(&e)))?;
        check_length(&self.spec, signature)
    }
}

/// `CKM_ECDSA` and `CKM_EDDSA` return the fixed-length form (2 × the field size); anything else
/// is refused, never re-encoded.
fn check_length(spec: &AlgSpec, signature: Vec<u8>) -> Result<Vec<u8>, SignError> {
    if signature.len() == spec.signature_len {
        Ok(signature)
    } else {
        Err(SignError::Length(signature.len()))
    }
}

/// The `jose_core` error of a failed signature.
fn signing_failed(token: &str, spec: &AlgSpec, error: SignError) -> jose_core::Error {
    let reason = match error {
        SignError::Token(operation, reason) => {
            format!("PKCS#11 token {token:?}: {operation}: {reason}")
        }
        SignError::Length(len) => format!(
            "PKCS#11 token {token:?} returned a {len}-byte {} signature, expected {}",
            spec.alg, spec.signature_len
        ),
    };
    jose_core::Error::SigningFailed { reason }
}

/// Why one signature failed, before it becomes a `jose_core::Error`.
enum SignError {
    Length(usize),
    Token(&'static str, String),
}

impl Signer for Pkcs11Signer {
    fn algorithm(&self) -> Algorithm {
        self.spec.alg
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, jose_core::Error> {
        let token = self.token.label();
        let signature = self
            .sign_unchecked(message)
            .map_err(|e| signing_failed(token, &self.spec, e))?;
        if self.verify_after_sign {
            self.public
                .verify(self.spec.alg, message, &signature)
                .map_err(|_| jose_core::Error::SigningFailed {
                    reason: format!(
                        "PKCS#11 token {token:?} returned a signature its public key does not verify"
                    ),
                })?;
        }
        Ok(signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_of_the_wrong_length_is_refused() {
        let spec = AlgSpec::of(Algorithm::Es384).unwrap();
        assert!(check_length(&spec, vec![1; 96]).is_ok());
        for bad in [vec![1; 64], vec![1; 97], Vec::new()] {
            let Err(error) = check_length(&spec, bad) else {
                panic!("accepted");
            };
            let jose_core::Error::SigningFailed { reason } = signing_failed("t", &spec, error)
            else {
                panic!("not SigningFailed");
            };
            assert!(
                reason.starts_with("PKCS#11 token \"t\" returned a "),
                "{reason}"
            );
            assert!(
                reason.ends_with("-byte ES384 signature, expected 96"),
                "{reason}"
            );
        }
    }
}
