//! The wallet side: building the DPoP proofs and key proofs the verifiers of this crate check.
//!
//! Like the verifiers, the builders are pure: the caller passes `iat` and, for DPoP, the
//! `jti` (draw it with [`jose_core::random_base64url`]); signing goes through the
//! [`jose_core::Signer`] seam, or in two phases through [`jose_core::UnsignedJws`] for a key
//! that signs asynchronously (`prepare_*`, then
//! [`attach_signature`](jose_core::UnsignedJws::attach_signature)).

use jose_core::{Algorithm, Header, PublicJwk, Signer, UnixTime, UnsignedJws};
use serde_json::{Map, Value};

use crate::dpop::{DPOP_TYP, access_token_hash};
use crate::key_proof::KEY_PROOF_TYP;

/// The claims of a DPoP proof (RFC 9449 §4.2).
///
/// ```
/// use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime, random_base64url};
/// use pop_verifier::{DpopProofClaims, build_dpop_proof};
/// let rng = SystemRandom::new();
/// let key = LocalSigner::generate(Algorithm::Es256, &rng)?;
/// let claims = DpopProofClaims::new(
///     "POST",
///     "https://issuer.example/credential",
///     random_base64url(&rng, 16)?,
///     UnixTime::from_secs(1_800_000_000),
/// )
/// .with_access_token("access-token-1");
/// let proof = build_dpop_proof(&claims, &key.public_jwk(), &key)?;
/// assert_eq!(proof.split('.').count(), 3);
/// # Ok::<(), jose_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DpopProofClaims {
    /// `htm`: the HTTP method of the request.
    pub htm: String,
    /// `htu`: the request URI, without query and fragment.
    pub htu: String,
    /// `jti`: unique per proof (the caller draws it, e.g. 16 random bytes in base64url).
    pub jti: String,
    /// `iat`.
    pub iat: UnixTime,
    /// `ath`: the base64url SHA-256 of the access token presented with the proof.
    pub ath: Option<String>,
    /// `nonce`: the server's last `DPoP-Nonce`.
    pub nonce: Option<String>,
}

impl DpopProofClaims {
    /// A proof for a `htm` request to `htu`, identified by `jti`, made at `iat`.
    #[must_use]
    pub fn new(
        htm: impl Into<String>,
        htu: impl Into<String>,
        jti: impl Into<String>,
        iat: UnixTime,
    ) -> Self {
        Self {
            htm: htm.into(),
            htu: htu.into(),
            jti: jti.into(),
            iat,
            ath: None,
            nonce: None,
        }
    }

    /// Sets `ath` to the hash of `access_token` ([`access_token_hash`]).
    #[must_use]
    pub fn with_access_token(mut self, access_token: &str) -> Self {
        self.ath = Some(access_token_hash(access_token));
        self
    }

    /// Sets `nonce`.
    #[must_use]
    pub fn with_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    fn to_map(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("jti".into(), self.jti.clone().into());
        map.insert("htm".into(), self.htm.clone().into());
        map.insert("htu".into(), self.htu.clone().into());
        map.insert("iat".into(), self.iat.secs().into());
        if let Some(ath) = &self.ath {
            map.insert("ath".into(), ath.clone().into());
        }
        if let Some(nonce) = &self.nonce {
            map.insert("nonce".into(), nonce.clone().into());
        }
        map
    }
}

/// Phase one of a DPoP proof: the unsigned JWS (`typ` `dpop+jwt`, `jwk` the public proof key)
/// whose [`signing_input`](UnsignedJws::signing_input) the key signs.
///
/// # Errors
/// [`jose_core::Error::KeyAlgorithmMismatch`] when `jwk` cannot sign with `alg`;
/// [`jose_core::Error::SigningFailed`] when serialisation fails.
pub fn prepare_dpop_proof(
    claims: &DpopProofClaims,
    jwk: &PublicJwk,
    alg: Algorithm,
) -> Result<UnsignedJws, jose_core::Error> {
    jwk.check_algorithm(alg)?;
    let header = Header::new(alg).with_typ(DPOP_TYP).with_jwk(jwk.clone());
    UnsignedJws::new(&header, &claims.to_map())
}

/// Builds a DPoP proof signed by `signer`, whose public key is `jwk`.
///
/// # Errors
/// Those of [`prepare_dpop_proof`], and the signer's.
pub fn build_dpop_proof(
    claims: &DpopProofClaims,
    jwk: &PublicJwk,
    signer: &dyn Signer,
) -> Result<String, jose_core::Error> {
    prepare_dpop_proof(claims, jwk, signer.algorithm())?.sign(signer)
}

/// How a key proof names the holder key (OpenID4VCI 1.0 App. F.1: exactly one of them).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofKey {
    /// `jwk`: the public key itself.
    Jwk(PublicJwk),
    /// `kid`: a reference the issuer resolves (a DID URL, or a key of a key attestation).
    Kid(String),
    /// `x5c`: DER certificates, leaf first; the leaf's key is the holder key.
    X5c(Vec<Vec<u8>>),
}

/// The claims of an OpenID4VCI `jwt` key proof (OpenID4VCI 1.0 App. F.1).
///
/// ```
/// use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
/// use pop_verifier::{KeyProofClaims, ProofKey, build_key_proof};
/// let holder = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())?;
/// let claims = KeyProofClaims::new("https://issuer.example", UnixTime::from_secs(1_800_000_000))
///     .with_nonce("LarRGSbmUPYtRYO6BQ4yn8");
/// let proof = build_key_proof(&claims, &ProofKey::Jwk(holder.public_jwk()), &holder)?;
/// assert_eq!(proof.split('.').count(), 3);
/// # Ok::<(), jose_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyProofClaims {
    /// `aud`: the Credential Issuer Identifier.
    pub aud: String,
    /// `iat`.
    pub iat: UnixTime,
    /// `nonce`: the `c_nonce` from the Nonce Endpoint.
    pub nonce: Option<String>,
    /// `iss`: the client id; omitted for anonymous pre-authorized access.
    pub iss: Option<String>,
}

impl KeyProofClaims {
    /// A proof for the issuer `aud` made at `iat`.
    #[must_use]
    pub fn new(aud: impl Into<String>, iat: UnixTime) -> Self {
        Self {
            aud: aud.into(),
            iat,
            nonce: None,
            iss: None,
        }
    }

    /// Sets `nonce`.
    #[must_use]
    pub fn with_nonce(mut self, c_nonce: impl Into<String>) -> Self {
        self.nonce = Some(c_nonce.into());
        self
    }

    /// Sets `iss` to the client id.
    #[must_use]
    pub fn with_issuer(mut self, client_id: impl Into<String>) -> Self {
        self.iss = Some(client_id.into());
        self
    }

    fn to_map(&self) -> Map<String, Value> {
        let mut map = Map::new();
        if let Some(iss) = &self.iss {
            map.insert("iss".into(), iss.clone().into());
        }
        map.insert("aud".into(), self.aud.clone().into());
        map.insert("iat".into(), self.iat.secs().into());
        if let Some(nonce) = &self.nonce {
            map.insert("nonce".into(), nonce.clone().into());
        }
        map
    }
}

/// Phase one of a key proof: the unsigned JWS (`typ` `openid4vci-proof+jwt`, the holder key
/// named by `key`) whose [`signing_input`](UnsignedJws::signing_input) the holder key signs.
///
/// # Errors
/// [`jose_core::Error::KeyAlgorithmMismatch`] when a `jwk` cannot sign with `alg`;
/// [`jose_core::Error::SigningFailed`] when serialisation fails.
pub fn prepare_key_proof(
    claims: &KeyProofClaims,
    key: &ProofKey,
    alg: Algorithm,
) -> Result<UnsignedJws, jose_core::Error> {
    UnsignedJws::new(&key_proof_header(key, alg)?, &claims.to_map())
}

/// The header of a key proof naming `key`.
fn key_proof_header(key: &ProofKey, alg: Algorithm) -> Result<Header, jose_core::Error> {
    let header = Header::new(alg).with_typ(KEY_PROOF_TYP);
    Ok(match key {
        ProofKey::Jwk(jwk) => {
            jwk.check_algorithm(alg)?;
            header.with_jwk(jwk.clone())
        }
        ProofKey::Kid(kid) => header.with_kid(kid.clone()),
        ProofKey::X5c(chain) => header.with_x5c(chain.clone()),
    })
}

/// Builds a key proof signed by `signer` (the holder key named by `key`).
///
/// # Errors
/// Those of [`prepare_key_proof`], and the signer's.
pub fn build_key_proof(
    claims: &KeyProofClaims,
    key: &ProofKey,
    signer: &dyn Signer,
) -> Result<String, jose_core::Error> {
    prepare_key_proof(claims, key, signer.algorithm())?.sign(signer)
}

/// Builds a key proof like [`build_key_proof`] that also carries a key attestation (a compact
/// `key-attestation+jwt`) in its `key_attestation` header (OpenID4VCI 1.0 App. F.1).
///
/// # Errors
/// Those of [`prepare_key_proof`], and the signer's.
pub fn build_attested_key_proof(
    claims: &KeyProofClaims,
    key: &ProofKey,
    key_attestation: &str,
    signer: &dyn Signer,
) -> Result<String, jose_core::Error> {
    let header = key_proof_header(key, signer.algorithm())?
        .with_member("key_attestation", key_attestation.into());
    UnsignedJws::new(&header, &claims.to_map())?.sign(signer)
}

/// The claims of a key attestation (OpenID4VCI 1.0 App. D.1), built by a wallet provider.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyAttestationClaims {
    /// `iat`.
    pub iat: UnixTime,
    /// `exp`.
    pub exp: UnixTime,
    /// `attested_keys`: the public keys attested.
    pub attested_keys: Vec<PublicJwk>,
    /// `key_storage` (App. D.2 values); omitted when empty.
    pub key_storage: Vec<String>,
    /// `user_authentication` (App. D.2 values); omitted when empty.
    pub user_authentication: Vec<String>,
    /// `nonce`: a `c_nonce` of the issuer, if any.
    pub nonce: Option<String>,
    /// `status`: a Token Status List reference (`{"status_list": {"idx", "uri"}}`), if any.
    pub status: Option<Value>,
}

impl KeyAttestationClaims {
    /// Attests `attested_keys` from `iat` until `exp`.
    #[must_use]
    pub const fn new(iat: UnixTime, exp: UnixTime, attested_keys: Vec<PublicJwk>) -> Self {
        Self {
            iat,
            exp,
            attested_keys,
            key_storage: Vec::new(),
            user_authentication: Vec::new(),
            nonce: None,
            status: None,
        }
    }

    /// Sets `status` (a Token Status List reference object).
    #[must_use]
    pub fn with_status(mut self, status: Value) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets `key_storage` and `user_authentication`.
    #[must_use]
    pub fn with_levels(
        mut self,
        key_storage: Vec<String>,
        user_authentication: Vec<String>,
    ) -> Self {
        self.key_storage = key_storage;
        self.user_authentication = user_authentication;
        self
    }

    /// Sets `nonce`.
    #[must_use]
    pub fn with_nonce(mut self, c_nonce: impl Into<String>) -> Self {
        self.nonce = Some(c_nonce.into());
        self
    }

    fn to_map(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("iat".into(), self.iat.secs().into());
        map.insert("exp".into(), self.exp.secs().into());
        map.insert(
            "attested_keys".into(),
            Value::Array(self.attested_keys.iter().map(PublicJwk::to_value).collect()),
        );
        for (name, values) in [
            ("key_storage", &self.key_storage),
            ("user_authentication", &self.user_authentication),
        ] {
            if !values.is_empty() {
                map.insert(
                    name.into(),
                    Value::Array(values.iter().map(|v| v.clone().into()).collect()),
                );
            }
        }
        if let Some(nonce) = &self.nonce {
            map.insert("nonce".into(), nonce.clone().into());
        }
        if let Some(status) = &self.status {
            map.insert("status".into(), status.clone());
        }
        map
    }
}

/// Phase one of a key attestation: the unsigned JWS (`typ` `key-attestation+jwt`, `x5c` =
/// the wallet provider's chain, DER, leaf first, without the root) for the provider's key.
///
/// # Errors
/// [`jose_core::Error::SigningFailed`] when serialisation fails.
pub fn prepare_key_attestation(
    claims: &KeyAttestationClaims,
    x5c: Vec<Vec<u8>>,
    alg: Algorithm,
) -> Result<UnsignedJws, jose_core::Error> {
    let header = Header::new(alg)
        .with_typ(crate::KEY_ATTESTATION_TYP)
        .with_x5c(x5c);
    UnsignedJws::new(&header, &claims.to_map())
}

/// Builds a key attestation signed by the wallet provider's `signer` (the key of `x5c[0]`).
///
/// # Errors
/// Those of [`prepare_key_attestation`], and the signer's.
pub fn build_key_attestation(
    claims: &KeyAttestationClaims,
    x5c: Vec<Vec<u8>>,
    signer: &dyn Signer,
) -> Result<String, jose_core::Error> {
    prepare_key_attestation(claims, x5c, signer.algorithm())?.sign(signer)
}

#[cfg(test)]
mod tests;
