//! Stateless, MAC-protected nonces: c_nonce, attestation challenges, DPoP nonces.
//!
//! Format (unpadded base64url of 58 bytes): `version (1) || purpose (1) || issued_at (8, i64
//! big-endian) || random (16) || HMAC-SHA256(secret, domain || the preceding 26 bytes) (32)`.
//! Any server holding the secret verifies any server's nonce: a fleet needs no shared store.

use jose_core::{RandomSource, UnixTime};
use ring::hmac;

use crate::error::NonceError;
use crate::limits::{DEFAULT_NONCE_FUTURE_SKEW_SECS, MIN_NONCE_SECRET_LEN};

const VERSION: u8 = 1;
const RANDOM_LEN: usize = 16;
const BODY_LEN: usize = 2 + 8 + RANDOM_LEN;
const TAG_LEN: usize = 32;
const NONCE_LEN: usize = BODY_LEN + TAG_LEN;
const DOMAIN: &[u8] = b"pop-verifier stateless nonce v1\0";

/// What a nonce is for. It is bound into the MAC, so a nonce issued for one purpose is never
/// accepted for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NoncePurpose {
    /// ABCA `OAuth-Client-Attestation-Challenge` / challenge endpoint value (ABCA -10 §6).
    AttestationChallenge,
    /// OpenID4VCI `c_nonce` from the Nonce Endpoint (OpenID4VCI 1.0 §7).
    CNonce,
    /// DPoP server nonce (`DPoP-Nonce`, RFC 9449 §8, §9).
    DpopNonce,
}

impl NoncePurpose {
    const fn tag(self) -> u8 {
        match self {
            Self::AttestationChallenge => 1,
            Self::CNonce => 2,
            Self::DpopNonce => 3,
        }
    }

    /// The scope of its spent-nonce replay keys ([`spent_nonce_key`]).
    const fn replay_scope(self) -> &'static str {
        match self {
            Self::AttestationChallenge => "attestation-challenge",
            Self::CNonce => "c_nonce",
            Self::DpopNonce => "dpop-nonce",
        }
    }

    const fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            1 => Some(Self::AttestationChallenge),
            2 => Some(Self::CNonce),
            3 => Some(Self::DpopNonce),
            _ => None,
        }
    }
}

impl core::fmt::Display for NoncePurpose {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::AttestationChallenge => "attestation challenge",
            Self::CNonce => "c_nonce",
            Self::DpopNonce => "DPoP nonce",
        })
    }
}

/// The replay-guard key that spends `nonce` (a value accepted for `purpose`): once recorded,
/// every later proof that carries the same nonce is refused. A stateless nonce has one
/// encoding (base64url is decoded canonically), so the value itself names it.
///
/// ```
/// use pop_verifier::{NoncePurpose, spent_nonce_key};
/// assert_eq!(spent_nonce_key(NoncePurpose::CNonce, "n-1"), "nonce|7:c_nonce|n-1");
/// ```
#[must_use]
pub fn spent_nonce_key(purpose: NoncePurpose, nonce: &str) -> String {
    crate::replay::replay_key("nonce", purpose.replay_scope(), nonce)
}

/// Issues and verifies stateless nonces with HMAC-SHA256 (ring), with key rotation: nonces are
/// issued under the current secret and accepted under the current or the previous one.
///
/// Rotate by constructing a new value with `(new, Some(old_current))`; nonces made with the
/// secret before that are refused. A nonce is valid for its whole maximum age and may be
/// presented more than once within it; to make it single-use, record its
/// [`spent_nonce_key`] in a [`ReplayGuard`](crate::ReplayGuard) until `issued_at + max_age + 1`
/// (guards forget a key at its expiry second; the nonce is still accepted at `issued_at +
/// max_age`), as
/// [`verify_key_proof`](crate::verify_key_proof) does for a c_nonce by default.
///
/// ```
/// use jose_core::UnixTime;
/// use pop_verifier::{NoncePurpose, StatelessNonces};
/// let nonces = StatelessNonces::new(&[7u8; 32], None)?;
/// # let rng = |d: &mut [u8]| -> Result<(), jose_core::Error> { d.fill(9); Ok(()) };
/// let now = UnixTime::from_secs(1_700_000_000);
/// let c_nonce = nonces.issue(NoncePurpose::CNonce, now, &rng)?;
/// let issued = nonces.verify(&c_nonce, NoncePurpose::CNonce, now.saturating_add(30), 300)?;
/// assert_eq!(issued, now);
/// # Ok::<(), pop_verifier::NonceError>(())
/// ```
pub struct StatelessNonces {
    current: hmac::Key,
    previous: Option<hmac::Key>,
    future_skew: u64,
}

impl core::fmt::Debug for StatelessNonces {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StatelessNonces")
            .field("current", &"<redacted>")
            .field("previous", &self.previous.as_ref().map(|_| "<redacted>"))
            .field("future_skew", &self.future_skew)
            .finish()
    }
}

impl StatelessNonces {
    /// Nonces under `current`, also accepting those made under `previous`.
    ///
    /// # Errors
    /// [`NonceError::SecretTooShort`] if a secret has fewer than [`MIN_NONCE_SECRET_LEN`] bytes.
    pub fn new(current: &[u8], previous: Option<&[u8]>) -> Result<Self, NonceError> {
        for secret in core::iter::once(current).chain(previous) {
            if secret.len() < MIN_NONCE_SECRET_LEN {
                return Err(NonceError::SecretTooShort {
                    len: secret.len(),
                    min: MIN_NONCE_SECRET_LEN,
                });
            }
        }
        Ok(Self {
            current: hmac::Key::new(hmac::HMAC_SHA256, current),
            previous: previous.map(|p| hmac::Key::new(hmac::HMAC_SHA256, p)),
            future_skew: DEFAULT_NONCE_FUTURE_SKEW_SECS,
        })
    }

    /// Sets how far in the future an issue time may lie (clock differences inside the fleet).
    #[must_use]
    pub const fn with_future_skew(mut self, secs: u64) -> Self {
        self.future_skew = secs;
        self
    }

    /// A fresh nonce for `purpose`, stamped with `now`.
    ///
    /// # Errors
    /// [`NonceError::Random`] when the source fails.
    pub fn issue(
        &self,
        purpose: NoncePurpose,
        now: UnixTime,
        rng: &dyn RandomSource,
    ) -> Result<String, NonceError> {
        let mut bytes = [0u8; NONCE_LEN];
        let (body, tag_out) = bytes.split_at_mut(BODY_LEN);
        let (head, random) = body.split_at_mut(2 + 8);
        let (meta, time) = head.split_at_mut(2);
        meta.copy_from_slice(&[VERSION, purpose.tag()]);
        time.copy_from_slice(&now.secs().to_be_bytes());
        rng.fill(random).map_err(|_| NonceError::Random)?;
        let tag = mac(&self.current, body);
        tag_out.copy_from_slice(tag.as_ref());
        Ok(jose_core::base64url::encode(&bytes))
    }

    /// Verifies `value` for `purpose` and returns its issue time.
    ///
    /// Order: format, MAC (current then previous secret), purpose, issue time not beyond the
    /// future skew, age `now - issued_at <= max_age`.
    ///
    /// # Errors
    /// [`NonceError::Malformed`], [`NonceError::InvalidMac`], [`NonceError::WrongPurpose`],
    /// [`NonceError::IssuedInFuture`], [`NonceError::Expired`].
    pub fn verify(
        &self,
        value: &str,
        purpose: NoncePurpose,
        now: UnixTime,
        max_age: u64,
    ) -> Result<UnixTime, NonceError> {
        let bytes: [u8; NONCE_LEN] =
            jose_core::base64url::decode_array(value).ok_or(NonceError::Malformed)?;
        let (body, tag) = bytes.split_at(BODY_LEN);
        let [version, purpose_tag, t0, t1, t2, t3, t4, t5, t6, t7, ..] = bytes;
        if version != VERSION {
            return Err(NonceError::Malformed);
        }
        let data = [DOMAIN, body].concat();
        let valid = hmac::verify(&self.current, &data, tag).is_ok()
            || self
                .previous
                .as_ref()
                .is_some_and(|key| hmac::verify(key, &data, tag).is_ok());
        if !valid {
            return Err(NonceError::InvalidMac);
        }
        let found = NoncePurpose::from_tag(purpose_tag).ok_or(NonceError::Malformed)?;
        if found != purpose {
            return Err(NonceError::WrongPurpose {
                expected: purpose,
                found,
            });
        }
        let time = [t0, t1, t2, t3, t4, t5, t6, t7];
        let issued_at = UnixTime::from_secs(i64::from_be_bytes(time));
        if issued_at > now.saturating_add(self.future_skew) {
            return Err(NonceError::IssuedInFuture {
                issued_at: issued_at.secs(),
            });
        }
        if issued_at.saturating_add(max_age) < now {
            return Err(NonceError::Expired {
                issued_at: issued_at.secs(),
                max_age,
            });
        }
        Ok(issued_at)
    }
}

fn mac(key: &hmac::Key, body: &[u8]) -> hmac::Tag {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(DOMAIN);
    ctx.update(body);
    ctx.sign()
}

#[cfg(test)]
mod tests;
