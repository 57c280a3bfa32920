//! Producing the two JWTs: the Client Attestation (attester side) and its PoP (wallet side).

use jose_core::{Algorithm, Header, PublicJwk, RandomSource, Signer, UnixTime, UnsignedJws};
use serde_json::{Map, Value};

use crate::error::Error;

/// The `typ` of a Client Attestation JWT (ABCA -10 §5.1, §13.8).
pub const ATTESTATION_TYP: &str = "oauth-client-attestation+jwt";

/// The `typ` of a Client Attestation PoP JWT (ABCA -10 §5.2, §13.8).
pub const POP_TYP: &str = pop_verifier::ATTESTATION_POP_TYP;

/// Random bytes in a generated PoP `jti` (128 bits, base64url: 22 characters).
pub const POP_JTI_BYTES: usize = 16;

/// How the attestation names the attester key in its header.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttesterKeyId {
    /// No key hint (the verifier is configured with the one key).
    None,
    /// `kid`.
    Kid(String),
    /// `x5c`: DER certificates, leaf first, without the trust anchor (HAIP).
    X5c(Vec<Vec<u8>>),
}

/// The claims of a Client Attestation JWT.
///
/// ```
/// # use jose_core::{Algorithm, LocalSigner, SystemRandom, UnixTime};
/// use attestation_jwt::{AttestationClaims, AttesterKeyId, issue_attestation};
/// # let attester = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())?;
/// # let instance = LocalSigner::generate(Algorithm::Es256, &SystemRandom::new())?;
/// let now = UnixTime::from_secs(1_760_000_000);
/// let claims = AttestationClaims::new("https://wallet.example.com", instance.public_jwk(), now,
///     now.saturating_add(86_400)).with_wallet_name("Example Wallet");
/// let token = issue_attestation(&claims, &AttesterKeyId::Kid("att-1".into()), &attester)?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttestationClaims {
    /// `sub`: the client id.
    pub sub: String,
    /// `cnf.jwk`: the wallet instance's public key.
    pub cnf_jwk: PublicJwk,
    /// `iat`.
    pub iat: UnixTime,
    /// `exp`.
    pub exp: UnixTime,
    /// `iss`: the attester id, for receivers of draft -07 (OpenID4VCI 1.0, HAIP).
    pub iss: Option<String>,
    /// `wallet_name` (OpenID4VCI 1.0 App. E).
    pub wallet_name: Option<String>,
    /// `wallet_link` (OpenID4VCI 1.0 App. E).
    pub wallet_link: Option<String>,
    /// `status`: a Token Status List reference object.
    pub status: Option<Value>,
    /// Other claims; registered names above win over these.
    pub extra: Map<String, Value>,
}

impl AttestationClaims {
    /// The required claims.
    #[must_use]
    pub fn new(sub: impl Into<String>, cnf_jwk: PublicJwk, iat: UnixTime, exp: UnixTime) -> Self {
        Self {
            sub: sub.into(),
            cnf_jwk,
            iat,
            exp,
            iss: None,
            wallet_name: None,
            wallet_link: None,
            status: None,
            extra: Map::new(),
        }
    }

    /// Sets `iss` (draft -07 shape).
    #[must_use]
    pub fn with_issuer(mut self, iss: impl Into<String>) -> Self {
        self.iss = Some(iss.into());
        self
    }

    /// Sets `wallet_name`.
    #[must_use]
    pub fn with_wallet_name(mut self, name: impl Into<String>) -> Self {
        self.wallet_name = Some(name.into());
        self
    }

    /// Sets `wallet_link`.
    #[must_use]
    pub fn with_wallet_link(mut self, link: impl Into<String>) -> Self {
        self.wallet_link = Some(link.into());
        self
    }

    /// Sets `status`.
    #[must_use]
    pub fn with_status(mut self, status: Value) -> Self {
        self.status = Some(status);
        self
    }

    /// Adds another claim.
    #[must_use]
    pub fn with_claim(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extra.insert(name.into(), value);
        self
    }

    fn to_map(&self) -> Map<String, Value> {
        let mut map = self.extra.clone();
        if let Some(iss) = &self.iss {
            map.insert("iss".into(), iss.clone().into());
        }
        map.insert("sub".into(), self.sub.clone().into());
        map.insert("iat".into(), self.iat.secs().into());
        map.insert("exp".into(), self.exp.secs().into());
        let mut cnf = Map::new();
        cnf.insert("jwk".into(), self.cnf_jwk.to_value());
        map.insert("cnf".into(), Value::Object(cnf));
        if let Some(name) = &self.wallet_name {
            map.insert("wallet_name".into(), name.clone().into());
        }
        if let Some(link) = &self.wallet_link {
            map.insert("wallet_link".into(), link.clone().into());
        }
        if let Some(status) = &self.status {
            map.insert("status".into(), status.clone());
        }
        map
    }
}

/// Phase one of issuing an attestation with a KMS: the unsigned JWS whose
/// [`signing_input`](UnsignedJws::signing_input) the KMS signs; then
/// [`attach_signature`](UnsignedJws::attach_signature).
///
/// # Errors
/// [`Error::ApiMisuse`] when `exp` is not after `iat`; [`Error::Signing`] if serialisation fails.
pub fn prepare_attestation(
    claims: &AttestationClaims,
    key_id: &AttesterKeyId,
    alg: Algorithm,
) -> Result<UnsignedJws, Error> {
    if claims.exp <= claims.iat {
        return Err(Error::ApiMisuse {
            reason: "attestation exp must be after iat",
        });
    }
    let mut header = Header::new(alg).with_typ(ATTESTATION_TYP);
    match key_id {
        AttesterKeyId::None => {}
        AttesterKeyId::Kid(kid) => header = header.with_kid(kid.clone()),
        AttesterKeyId::X5c(chain) => header = header.with_x5c(chain.clone()),
    }
    UnsignedJws::new(&header, &claims.to_map()).map_err(Error::Signing)
}

/// Issues a Client Attestation JWT signed by `signer` (the attester key).
///
/// # Errors
/// Those of [`prepare_attestation`], and [`Error::Signing`] when the signer fails.
pub fn issue_attestation(
    claims: &AttestationClaims,
    key_id: &AttesterKeyId,
    signer: &dyn Signer,
) -> Result<String, Error> {
    prepare_attestation(claims, key_id, signer.algorithm())?
        .sign(signer)
        .map_err(Error::Signing)
}

/// The claims of a Client Attestation PoP JWT.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PopClaims {
    /// `aud`: the AS issuer identifier (or an RS resource identifier).
    pub aud: String,
    /// `iat`.
    pub iat: UnixTime,
    /// `challenge`, when the server issued one.
    pub challenge: Option<String>,
    /// `iss`: the client id, for receivers of draft -07.
    pub iss: Option<String>,
    /// `jti`; `None` draws [`POP_JTI_BYTES`] random bytes.
    pub jti: Option<String>,
}

impl PopClaims {
    /// A PoP for `aud` made at `iat`, with a random `jti`.
    #[must_use]
    pub fn new(aud: impl Into<String>, iat: UnixTime) -> Self {
        Self {
            aud: aud.into(),
            iat,
            challenge: None,
            iss: None,
            jti: None,
        }
    }

    /// Sets `challenge`.
    #[must_use]
    pub fn with_challenge(mut self, challenge: impl Into<String>) -> Self {
        self.challenge = Some(challenge.into());
        self
    }

    /// Sets `iss` (draft -07 shape).
    #[must_use]
    pub fn with_issuer(mut self, iss: impl Into<String>) -> Self {
        self.iss = Some(iss.into());
        self
    }

    /// Sets a fixed `jti` (tests; production code should let it be random).
    #[must_use]
    pub fn with_jti(mut self, jti: impl Into<String>) -> Self {
        self.jti = Some(jti.into());
        self
    }
}

/// Phase one of building a PoP with a non-exportable instance key: the unsigned JWS.
///
/// # Errors
/// [`Error::Signing`] when the random source fails or serialisation fails.
pub fn prepare_pop(
    claims: &PopClaims,
    alg: Algorithm,
    rng: &dyn RandomSource,
) -> Result<UnsignedJws, Error> {
    let jti = match &claims.jti {
        Some(jti) => jti.clone(),
        None => jose_core::random_base64url(rng, POP_JTI_BYTES).map_err(Error::Signing)?,
    };
    let mut map = Map::new();
    if let Some(iss) = &claims.iss {
        map.insert("iss".into(), iss.clone().into());
    }
    map.insert("aud".into(), claims.aud.clone().into());
    map.insert("jti".into(), jti.into());
    map.insert("iat".into(), claims.iat.secs().into());
    if let Some(challenge) = &claims.challenge {
        map.insert("challenge".into(), challenge.clone().into());
    }
    let header = Header::new(alg).with_typ(POP_TYP);
    UnsignedJws::new(&header, &map).map_err(Error::Signing)
}

/// Builds a Client Attestation PoP JWT signed by the wallet instance key.
///
/// # Errors
/// Those of [`prepare_pop`], and [`Error::Signing`] when the signer fails.
pub fn build_pop(
    claims: &PopClaims,
    signer: &dyn Signer,
    rng: &dyn RandomSource,
) -> Result<String, Error> {
    prepare_pop(claims, signer.algorithm(), rng)?
        .sign(signer)
        .map_err(Error::Signing)
}
