//! Two-phase compact JWS production: bytes to sign out, signature in.

use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::base64url;
use crate::error::Error;
use crate::header::Header;
use crate::signer::Signer;

/// A compact JWS waiting for its signature.
///
/// ```
/// use jose_core::{Algorithm, Header, LocalSigner, Signer, SystemRandom, UnsignedJws};
/// let signer = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())?;
/// let claims = serde_json::json!({"sub": "alice"});
/// let unsigned = UnsignedJws::new(&Header::new(Algorithm::Es256).with_typ("example+jwt"),
///     claims.as_object().unwrap())?;
/// // Phase one: hand these bytes to a KMS. Phase two: attach what it returns.
/// let signature = signer.sign(unsigned.signing_input())?;
/// let token = unsigned.attach_signature(&signature)?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), jose_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsignedJws {
    alg: Algorithm,
    signing_input: String,
}

impl UnsignedJws {
    /// Serialises `header` and the JSON object `claims` into the signing input.
    ///
    /// # Errors
    /// None today; the `Result` leaves room for serialisation limits.
    pub fn new(header: &Header, claims: &Map<String, Value>) -> Result<Self, Error> {
        let mut payload = Vec::new();
        crate::json::write_map(&mut payload, claims).map_err(|_| Error::SigningFailed {
            reason: "claims do not serialise".into(),
        })?;
        Self::with_payload(header, &payload)
    }

    /// Like [`Self::new`] with an already serialised payload.
    ///
    /// # Errors
    /// [`Error::SigningFailed`] if the header cannot be serialised.
    pub fn with_payload(header: &Header, payload: &[u8]) -> Result<Self, Error> {
        let header_json = header.to_json()?;
        let mut signing_input = base64url::encode(&header_json);
        signing_input.push('.');
        signing_input.push_str(&base64url::encode(payload));
        Ok(Self {
            alg: header.alg(),
            signing_input,
        })
    }

    /// The algorithm the signature must be made with.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The exact bytes to sign: `BASE64URL(header) || '.' || BASE64URL(payload)`.
    #[must_use]
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// Appends a JOSE-form signature and returns the compact JWS.
    ///
    /// ECDSA signatures must be fixed-length r||s; convert a KMS's DER signature first with
    /// [`ecdsa_signature_from_der`](crate::ecdsa_signature_from_der).
    ///
    /// # Errors
    /// [`Error::SignatureLength`] when the signature cannot be one of this algorithm.
    pub fn attach_signature(self, signature: &[u8]) -> Result<String, Error> {
        if let Some(expected) = self.alg.fixed_signature_len()
            && signature.len() != expected
        {
            return Err(Error::SignatureLength {
                alg: self.alg,
                len: signature.len(),
                expected,
            });
        }
        let mut token = self.signing_input;
        token.push('.');
        token.push_str(&base64url::encode(signature));
        Ok(token)
    }

    /// Signs with `signer` in one step.
    ///
    /// # Errors
    /// [`Error::KeyAlgorithmMismatch`] when the signer's algorithm differs from the header's,
    /// plus the signer's errors and those of [`Self::attach_signature`].
    pub fn sign(self, signer: &dyn Signer) -> Result<String, Error> {
        if signer.algorithm() != self.alg {
            return Err(Error::KeyAlgorithmMismatch {
                alg: self.alg,
                key: "signer",
            });
        }
        let signature = signer.sign(self.signing_input())?;
        self.attach_signature(&signature)
    }
}
