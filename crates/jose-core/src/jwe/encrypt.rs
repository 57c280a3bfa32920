//! Producing compact JWEs to a recipient public key.

#[allow(
    clippy::wildcard_imports,
    reason = "the module is one file split in parts"
)]
use super::*;

/// Produces compact JWEs to one recipient public key with ECDH-ES and AES-GCM.
///
/// Every call to [`encrypt`](Self::encrypt) draws a fresh ephemeral key and IV from the given
/// [`RandomSource`]; nothing is random behind the caller's back.
#[derive(Clone, Debug)]
pub struct JweEncrypter {
    recipient: PublicJwk,
    curve: EcCurve,
    enc: ContentEncryption,
    zip: Option<Compression>,
    kid: Option<String>,
    typ: Option<String>,
    cty: Option<String>,
    apu: Option<Vec<u8>>,
    apv: Option<Vec<u8>>,
}

impl JweEncrypter {
    /// An encrypter to `recipient` (an EC P-256 or P-384 public key, checked on its curve,
    /// whose `use` and `key_ops`, when present, allow encryption: RFC 7517 §4.2-4.3).
    ///
    /// # Errors
    /// [`JweError::InvalidRecipientKey`] for another key type or curve, a point off the
    /// curve, or a key whose `use` is not `enc` or whose `key_ops` name no encryption or key
    /// agreement operation (a signing key sent in its place).
    pub fn new(recipient: &PublicJwk, enc: ContentEncryption) -> Result<Self, JweError> {
        let PublicKey::Ec { curve, point } = recipient.key() else {
            return Err(JweError::InvalidRecipientKey {
                reason: "not an EC key",
            });
        };
        if recipient.key_use().is_some_and(|key_use| key_use != "enc") {
            return Err(JweError::InvalidRecipientKey {
                reason: "its use is not enc",
            });
        }
        if recipient.key_ops().is_some_and(|ops| {
            !ops.iter()
                .any(|op| ["encrypt", "wrapKey", "deriveKey", "deriveBits"].contains(&op.as_str()))
        }) {
            return Err(JweError::InvalidRecipientKey {
                reason: "its key_ops allow no encryption or key agreement",
            });
        }
        check_on_curve(*curve, point).map_err(|reason| JweError::InvalidRecipientKey { reason })?;
        Ok(Self {
            recipient: recipient.clone(),
            curve: *curve,
            enc,
            zip: None,
            kid: recipient.kid().map(str::to_owned),
            typ: None,
            cty: None,
            apu: None,
            apv: None,
        })
    }

    /// Compresses the plaintext with raw DEFLATE (`zip: DEF`) before encryption.
    #[must_use]
    pub const fn with_zip(mut self, zip: Option<Compression>) -> Self {
        self.zip = zip;
        self
    }

    /// Sets `kid` (by default the recipient JWK's `kid`, if any).
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Sets `typ`.
    #[must_use]
    pub fn with_typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Sets `cty`.
    #[must_use]
    pub fn with_cty(mut self, cty: impl Into<String>) -> Self {
        self.cty = Some(cty.into());
        self
    }

    /// Sets `apu` (Agreement PartyUInfo).
    #[must_use]
    pub fn with_apu(mut self, apu: Vec<u8>) -> Self {
        self.apu = Some(apu);
        self
    }

    /// Sets `apv` (Agreement PartyVInfo).
    #[must_use]
    pub fn with_apv(mut self, apv: Vec<u8>) -> Self {
        self.apv = Some(apv);
        self
    }

    /// Encrypts `plaintext` into a compact JWE.
    ///
    /// # Errors
    /// [`JweError::EncryptionFailed`] when the random source fails or compression fails.
    pub fn encrypt(&self, plaintext: &[u8], rng: &dyn RandomSource) -> Result<String, JweError> {
        let ephemeral = LocalKeyAgreement::generate(self.curve, rng)?;
        let z = ephemeral.agree(&self.recipient)?;
        let mut header = Map::new();
        header.insert("alg".into(), ECDH_ES.into());
        header.insert("enc".into(), self.enc.jose_name().into());
        if let Some(zip) = self.zip {
            header.insert("zip".into(), zip.jose_name().into());
        }
        header.insert("epk".into(), ephemeral.public_jwk().to_value());
        if let Some(apu) = &self.apu {
            header.insert("apu".into(), base64url::encode(apu).into());
        }
        if let Some(apv) = &self.apv {
            header.insert("apv".into(), base64url::encode(apv).into());
        }
        for (name, value) in [("kid", &self.kid), ("typ", &self.typ), ("cty", &self.cty)] {
            if let Some(value) = value {
                header.insert(name.into(), value.as_str().into());
            }
        }
        let header_json =
            serde_json::to_vec(&Value::Object(header)).map_err(|_| JweError::EncryptionFailed {
                reason: "header serialisation failed",
            })?;
        let protected = base64url::encode(&header_json);
        let cek = concat_kdf(
            z.as_bytes(),
            self.enc.jose_name(),
            self.apu.as_deref().unwrap_or_default(),
            self.apv.as_deref().unwrap_or_default(),
            self.enc.key_len(),
        )?;
        let mut in_out = match self.zip {
            None => plaintext.to_vec(),
            Some(Compression::Deflate) => deflate(plaintext)?,
        };
        let mut iv = [0u8; IV_LEN];
        rng.fill(&mut iv)?;
        let key = aead::UnboundKey::new(self.enc.ring_algorithm(), &cek).map_err(|_| {
            JweError::EncryptionFailed {
                reason: "content encryption key rejected",
            }
        })?;
        let tag = aead::LessSafeKey::new(key)
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(iv),
                aead::Aad::from(protected.as_bytes()),
                &mut in_out,
            )
            .map_err(|_| JweError::EncryptionFailed {
                reason: "AES-GCM sealing failed",
            })?;
        let mut out = protected;
        out.push_str("..");
        out.push_str(&base64url::encode(&iv));
        out.push('.');
        out.push_str(&base64url::encode(&in_out));
        out.push('.');
        out.push_str(&base64url::encode(tag.as_ref()));
        Ok(out)
    }
}

pub(super) fn deflate(data: &[u8]) -> Result<Vec<u8>, JweError> {
    let failed = |_| JweError::EncryptionFailed {
        reason: "DEFLATE compression failed",
    };
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).map_err(failed)?;
    encoder.finish().map_err(failed)
}
