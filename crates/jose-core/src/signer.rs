//! The signing seam: the [`Signer`] trait, the in-process [`LocalSigner`], and the secret
//! PKCS#8 container.

use crate::algorithm::Algorithm;
use crate::crypto::{CryptoProvider, SigningKey, default_provider};
use crate::error::Error;
use crate::jwk::PublicJwk;

/// Something that produces JOSE-form signatures (ECDSA as fixed-length r||s) with one key.
///
/// Implement it for a KMS or HSM client. A signer that can only work asynchronously uses the
/// two-phase form instead: [`UnsignedJws::signing_input`](crate::UnsignedJws::signing_input)
/// out, [`UnsignedJws::attach_signature`](crate::UnsignedJws::attach_signature) in.
pub trait Signer {
    /// The algorithm this signer produces.
    fn algorithm(&self) -> Algorithm;

    /// Signs `message` (the JWS signing input, or a COSE `Sig_structure`).
    ///
    /// # Errors
    /// [`Error::SigningFailed`] when the backend fails.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error>;
}

impl<S: Signer + ?Sized> Signer for &S {
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        (**self).sign(message)
    }
}

/// A PKCS#8 private key document. No `Clone`, and `Debug` does not print it.
pub struct Pkcs8Secret(Vec<u8>);

impl Pkcs8Secret {
    /// Wraps DER bytes (not checked until a [`LocalSigner`] is made from them).
    #[must_use]
    pub const fn new(der: Vec<u8>) -> Self {
        Self(der)
    }

    /// The DER bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for Pkcs8Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pkcs8Secret(<redacted>)")
    }
}

/// A signer holding a private key in process memory, on a
/// [`CryptoProvider`](crate::crypto::CryptoProvider): ES256, ES384 and EdDSA, ES512 (on ring
/// through `p521` with the `es512` feature, on aws-lc-rs always). RSA signing is not offered.
///
/// ECDSA signatures on ring and aws-lc use the system RNG for the per-signature nonce; P-521
/// signatures through `p521` are deterministic (RFC 6979).
///
/// ```
/// use jose_core::{Algorithm, LocalSigner, Signer, SystemRandom};
/// let signer = LocalSigner::generate(Algorithm::EdDsa, &SystemRandom::new())?;
/// let sig = signer.sign(b"hello")?;
/// signer.public_jwk().verify(Algorithm::EdDsa, b"hello", &sig)?;
/// # Ok::<(), jose_core::Error>(())
/// ```
pub struct LocalSigner {
    alg: Algorithm,
    key: Box<dyn SigningKey>,
    public: PublicJwk,
    provider: &'static str,
}

impl core::fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LocalSigner")
            .field("alg", &self.alg)
            .field("provider", &self.provider)
            .field("public", &self.public.thumbprint_base64url())
            .finish_non_exhaustive()
    }
}

impl LocalSigner {
    /// Loads a PKCS#8 (v1 or v2) private key for `alg` on the build's
    /// [`default_provider`].
    ///
    /// # Errors
    /// [`Error::InvalidPrivateKey`] if the document is not a key of the algorithm's type;
    /// [`Error::Unsupported`] for RSA algorithms or ES512 without the `es512` feature on ring.
    pub fn from_pkcs8(alg: Algorithm, pkcs8: &[u8]) -> Result<Self, Error> {
        Self::from_pkcs8_with(default_provider(), alg, pkcs8)
    }

    /// As [`Self::from_pkcs8`], on `provider`.
    ///
    /// # Errors
    /// As [`Self::from_pkcs8`].
    pub fn from_pkcs8_with(
        provider: &dyn CryptoProvider,
        alg: Algorithm,
        pkcs8: &[u8],
    ) -> Result<Self, Error> {
        let key = provider.signing_key_from_pkcs8(alg, pkcs8)?;
        let public = PublicJwk::new(key.public_key().clone()).with_alg(alg);
        Ok(Self {
            alg,
            key,
            public,
            provider: provider.name(),
        })
    }

    /// Generates a fresh key for `alg` on the build's [`default_provider`] and returns its
    /// PKCS#8 document (for a keystore). ring and aws-lc-rs take a key's randomness from the
    /// operating system themselves (their random source cannot be supplied from outside), so
    /// `rng` is used only for the P-521 keys this crate makes on ring.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for RSA or when randomness fails.
    pub fn generate_pkcs8(
        alg: Algorithm,
        rng: &dyn crate::RandomSource,
    ) -> Result<Pkcs8Secret, Error> {
        default_provider().generate_pkcs8(alg, rng)
    }

    /// Generates a fresh in-memory key for `alg`.
    ///
    /// # Errors
    /// As [`Self::generate_pkcs8`].
    pub fn generate(alg: Algorithm, rng: &dyn crate::RandomSource) -> Result<Self, Error> {
        let der = Self::generate_pkcs8(alg, rng)?;
        Self::from_pkcs8(alg, der.as_bytes())
    }

    /// The public key, with `alg` set.
    #[must_use]
    pub fn public_jwk(&self) -> PublicJwk {
        self.public.clone()
    }
}

impl Signer for LocalSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.key.sign(message)
    }
}

/// Converts an ASN.1 DER ECDSA signature (`SEQUENCE { r INTEGER, s INTEGER }`, the form most
/// KMS APIs return) into the fixed-length r||s form JOSE and COSE use.
///
/// ```
/// use jose_core::{Algorithm, ecdsa_signature_from_der};
/// let der = [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02];
/// let fixed = ecdsa_signature_from_der(Algorithm::Es256, &der)?;
/// assert_eq!(fixed.len(), 64);
/// assert_eq!((fixed[31], fixed[63]), (1, 2));
/// # Ok::<(), jose_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::SigningFailed`] if the input is not a DER ECDSA signature for the algorithm's curve.
pub fn ecdsa_signature_from_der(alg: Algorithm, der: &[u8]) -> Result<Vec<u8>, Error> {
    let width: usize = match alg {
        Algorithm::Es256 => 32,
        Algorithm::Es384 => 48,
        Algorithm::Es512 => 66,
        _ => {
            return Err(Error::SigningFailed {
                reason: "not an ECDSA algorithm".into(),
            });
        }
    };
    let bad = || Error::SigningFailed {
        reason: "malformed DER ECDSA signature".into(),
    };
    let (body, rest) = der_take(der, 0x30).ok_or_else(bad)?;
    if !rest.is_empty() {
        return Err(bad());
    }
    let (r, body) = der_take(body, 0x02).ok_or_else(bad)?;
    let (s, body) = der_take(body, 0x02).ok_or_else(bad)?;
    if !body.is_empty() {
        return Err(bad());
    }
    let mut out = vec![0u8; width.saturating_mul(2)];
    for (int, slot) in [(r, 0), (s, width)] {
        let int = strip_leading_zeros(int);
        if int.len() > width {
            return Err(bad());
        }
        let start = slot.saturating_add(width).saturating_sub(int.len());
        out.get_mut(start..start.saturating_add(int.len()))
            .ok_or_else(bad)?
            .copy_from_slice(int);
    }
    Ok(out)
}

fn strip_leading_zeros(mut int: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = int {
        int = rest;
    }
    int
}

/// Reads one DER TLV with the given tag; short and long (one or two byte) length forms.
fn der_take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len0, rest) = rest.split_first()?;
    let (len, rest) = match len0 {
        0..=0x7f => (usize::from(len0), rest),
        0x81 => {
            let (&l, rest) = rest.split_first()?;
            (usize::from(l), rest)
        }
        0x82 => {
            let (&hi, rest) = rest.split_first()?;
            let (&lo, rest) = rest.split_first()?;
            (usize::from(u16::from_be_bytes([hi, lo])), rest)
        }
        _ => return None,
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}
