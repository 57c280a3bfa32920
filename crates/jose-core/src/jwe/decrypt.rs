//! A received compact JWE: parsing and decryption.

#[allow(
    clippy::wildcard_imports,
    reason = "the module is one file split in parts"
)]
use super::*;

/// A received compact JWE, parsed and its header checked, not yet decrypted.
///
/// The lifetime `'a` is that of the received token text.
#[derive(Clone, Debug)]
pub struct CompactJwe<'a> {
    protected: &'a str,
    header: JweHeader,
    iv: [u8; IV_LEN],
    ciphertext: Vec<u8>,
    tag: [u8; TAG_LEN],
}

impl<'a> CompactJwe<'a> {
    /// Parses a compact JWE.
    ///
    /// # Errors
    /// [`JweError::TokenTooLong`], [`JweError::WrongPartCount`], [`JweError::InvalidBase64`],
    /// [`JweError::InvalidJson`], [`JweError::EncryptedKeyNotEmpty`], [`JweError::IvLength`],
    /// [`JweError::TagLength`], and the errors of [`JweHeader::from_map`].
    pub fn parse(token: &'a str, limits: &JweLimits) -> Result<Self, JweError> {
        if token.len() > limits.max_token_len() {
            return Err(JweError::TokenTooLong {
                len: token.len(),
                max: limits.max_token_len(),
            });
        }
        let found = token
            .bytes()
            .filter(|b| *b == b'.')
            .count()
            .saturating_add(1);
        let mut parts = token.splitn(5, '.');
        let (Some(protected), Some(encrypted_key), Some(iv), Some(ciphertext), Some(tag), 5) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            found,
        ) else {
            return Err(JweError::WrongPartCount { found });
        };
        let header_bytes = decode_part(protected, JwePart::Header)?;
        let iv = decode_part(iv, JwePart::Iv)?;
        let ciphertext = base64url::decode(ciphertext).ok_or(JweError::InvalidBase64 {
            part: JwePart::Ciphertext,
        })?;
        let tag = decode_part(tag, JwePart::Tag)?;
        let header_map = json::parse_object(&header_bytes, limits.max_json_depth())
            .map_err(|error| JweError::InvalidJson { error })?;
        let header = JweHeader::from_map(header_map)?;
        if !encrypted_key.is_empty() {
            return Err(JweError::EncryptedKeyNotEmpty);
        }
        let iv = <[u8; IV_LEN]>::try_from(iv.as_slice())
            .map_err(|_| JweError::IvLength { len: iv.len() })?;
        let tag = <[u8; TAG_LEN]>::try_from(tag.as_slice())
            .map_err(|_| JweError::TagLength { len: tag.len() })?;
        Ok(Self {
            protected,
            header,
            iv,
            ciphertext,
            tag,
        })
    }

    /// The typed protected header.
    #[must_use]
    pub const fn header(&self) -> &JweHeader {
        &self.header
    }

    /// Checks the header against `policy`, agrees on Z with `key`, derives the content
    /// encryption key, authenticates and decrypts, then inflates when `zip` is set, with the
    /// default plaintext limit ([`DEFAULT_MAX_PLAINTEXT_LEN`]).
    ///
    /// # Errors
    /// Those of [`decrypt_with_limits`](Self::decrypt_with_limits).
    pub fn decrypt(&self, key: &dyn KeyAgreement, policy: &JwePolicy) -> Result<Vec<u8>, JweError> {
        self.decrypt_with_limits(key, policy, &JweLimits::default())
    }

    /// Like [`decrypt`](Self::decrypt), with an explicit plaintext limit.
    ///
    /// # Errors
    /// Those of [`JwePolicy::check`]; [`JweError::CurveMismatch`];
    /// [`JweError::KeyAgreementFailed`] (from the key); [`JweError::DecryptionFailed`];
    /// [`JweError::PlaintextTooLarge`]; [`JweError::DecompressionFailed`].
    pub fn decrypt_with_limits(
        &self,
        key: &dyn KeyAgreement,
        policy: &JwePolicy,
        limits: &JweLimits,
    ) -> Result<Vec<u8>, JweError> {
        policy.check(&self.header)?;
        if key.curve() != self.header.epk_curve {
            return Err(JweError::CurveMismatch {
                epk: self.header.epk_curve.jwk_name(),
                recipient: key.curve().jwk_name(),
            });
        }
        let z = key.agree(&self.header.epk)?;
        let cek = concat_kdf(
            z.as_bytes(),
            self.header.enc.jose_name(),
            self.header.apu().unwrap_or_default(),
            self.header.apv().unwrap_or_default(),
            self.header.enc.key_len(),
        )?;
        let plaintext = open(
            self.header.enc,
            &cek,
            self.iv,
            self.protected.as_bytes(),
            &self.ciphertext,
            self.tag,
        )?;
        let max = limits.max_plaintext_len();
        match self.header.zip {
            None if plaintext.len() > max => Err(JweError::PlaintextTooLarge { max }),
            None => Ok(plaintext),
            Some(Compression::Deflate) => inflate_capped(&plaintext, max),
        }
    }
}

pub(super) fn decode_part(text: &str, part: JwePart) -> Result<Vec<u8>, JweError> {
    if text.is_empty() {
        return Err(JweError::InvalidBase64 { part });
    }
    base64url::decode(text).ok_or(JweError::InvalidBase64 { part })
}

pub(super) fn open(
    enc: ContentEncryption,
    cek: &[u8],
    iv: [u8; IV_LEN],
    aad: &[u8],
    ciphertext: &[u8],
    tag: [u8; TAG_LEN],
) -> Result<Vec<u8>, JweError> {
    let key =
        aead::UnboundKey::new(enc.ring_algorithm(), cek).map_err(|_| JweError::DecryptionFailed)?;
    let key = aead::LessSafeKey::new(key);
    let mut in_out = ciphertext.to_vec();
    let len = key
        .open_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key(iv),
            aead::Aad::from(aad),
            aead::Tag::from(tag),
            &mut in_out,
            0..,
        )
        .map_err(|_| JweError::DecryptionFailed)?
        .len();
    in_out.truncate(len);
    Ok(in_out)
}

/// Inflates raw DEFLATE data, refusing as soon as the output would exceed `max` bytes: the
/// decoder never produces more than `max + 1` bytes, whatever the compression ratio.
pub(super) fn inflate_capped(compressed: &[u8], max: usize) -> Result<Vec<u8>, JweError> {
    let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(compressed)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| JweError::DecompressionFailed)?;
    if out.len() > max {
        return Err(JweError::PlaintextTooLarge { max });
    }
    Ok(out)
}
