//! Pre-authorized codes: single use, short-lived, `tx_code` with bounded attempts.

use std::sync::Mutex;

use jose_core::UnixTime;

use super::bounded::BoundedMap;
use super::{StoreError, constant_time_eq, lock};
use crate::SubjectClaims;

/// What a pre-authorized code grants.
#[derive(Clone)]
#[non_exhaustive]
pub struct PreAuthGrant {
    /// The offered credential configurations.
    pub configuration_ids: Vec<String>,
    /// The subject claims for the credentials.
    pub claims: SubjectClaims,
    /// The transaction code the wallet must send, if any (redacted in `Debug`).
    pub tx_code: Option<String>,
    /// When the code expires.
    pub expires_at: UnixTime,
}

impl core::fmt::Debug for PreAuthGrant {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PreAuthGrant")
            .field("configuration_ids", &self.configuration_ids)
            .field("tx_code", &self.tx_code.as_ref().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl PreAuthGrant {
    /// A grant.
    #[must_use]
    pub fn new(
        configuration_ids: Vec<String>,
        claims: impl Into<SubjectClaims>,
        tx_code: Option<String>,
        expires_at: UnixTime,
    ) -> Self {
        Self {
            configuration_ids,
            claims: claims.into(),
            tx_code,
            expires_at,
        }
    }
}

/// Why a code was not redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedeemError {
    /// Unknown or already used.
    Unknown,
    /// Past its expiry.
    Expired,
    /// The offer required a `tx_code` and none was sent.
    TxCodeMissing,
    /// A `tx_code` was sent but the offer had none.
    TxCodeUnexpected,
    /// Wrong `tx_code`; `attempts_left` more are allowed (0: the code is now burnt).
    WrongTxCode {
        /// Remaining attempts.
        attempts_left: u32,
    },
    /// The caller's check ([`PreAuthCodeStore::redeem_checked`]) refused the grant, with
    /// this reason; the code stays unused.
    Refused(String),
    /// The store failed.
    Store(StoreError),
}

/// Stores pre-authorized codes.
pub trait PreAuthCodeStore: Send + Sync + core::fmt::Debug {
    /// Stores `code`, allowing `max_attempts` wrong `tx_code`s.
    ///
    /// # Errors
    /// [`StoreError`] when the code cannot be kept.
    fn insert(
        &self,
        code: String,
        grant: PreAuthGrant,
        max_attempts: u32,
        now: UnixTime,
    ) -> Result<(), StoreError>;

    /// Redeems `code` (removing it, atomically: a code redeems at most once) if `tx_code`
    /// matches and `accept` accepts its grant; a refused grant leaves the code unused (and
    /// its `tx_code` attempts as they were).
    ///
    /// # Errors
    /// The [`RedeemError`]; [`RedeemError::Refused`] with `accept`'s reason.
    fn redeem_checked(
        &self,
        code: &str,
        tx_code: Option<&str>,
        now: UnixTime,
        accept: &dyn Fn(&PreAuthGrant) -> Result<(), String>,
    ) -> Result<PreAuthGrant, RedeemError>;

    /// [`Self::redeem_checked`] accepting every grant.
    ///
    /// # Errors
    /// The [`RedeemError`].
    fn redeem(
        &self,
        code: &str,
        tx_code: Option<&str>,
        now: UnixTime,
    ) -> Result<PreAuthGrant, RedeemError> {
        self.redeem_checked(code, tx_code, now, &|_| Ok(()))
    }
}

/// In-memory [`PreAuthCodeStore`], bounded, forgetting expired codes.
#[derive(Debug)]
pub struct InMemoryPreAuthCodes {
    codes: Mutex<BoundedMap<String, (PreAuthGrant, u32)>>,
}

impl InMemoryPreAuthCodes {
    /// A store of at most `capacity` live codes.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            codes: Mutex::new(BoundedMap::new("pre-authorized code", capacity)),
        }
    }
}

impl Default for InMemoryPreAuthCodes {
    fn default() -> Self {
        Self::new(crate::limits::DEFAULT_MAX_PRE_AUTHORIZED_CODES)
    }
}

impl PreAuthCodeStore for InMemoryPreAuthCodes {
    fn insert(
        &self,
        code: String,
        grant: PreAuthGrant,
        max_attempts: u32,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let expires_at = grant.expires_at;
        lock(&self.codes).insert(code, (grant, max_attempts), expires_at, now)
    }

    fn redeem_checked(
        &self,
        code: &str,
        tx_code: Option<&str>,
        now: UnixTime,
        accept: &dyn Fn(&PreAuthGrant) -> Result<(), String>,
    ) -> Result<PreAuthGrant, RedeemError> {
        let key = code.to_owned();
        let mut codes = lock(&self.codes);
        let ((grant, attempts), expires_at) = codes
            .get_mut_with_expiry(&key)
            .ok_or(RedeemError::Unknown)?;
        if expires_at <= now {
            codes.remove(&key);
            return Err(RedeemError::Expired);
        }
        match (grant.tx_code.as_deref(), tx_code) {
            (None, None) => {}
            (None, Some(_)) => return Err(RedeemError::TxCodeUnexpected),
            (Some(_), None) => return Err(RedeemError::TxCodeMissing),
            (Some(expected), Some(got)) => {
                if !constant_time_eq(expected.as_bytes(), got.as_bytes()) {
                    *attempts = attempts.saturating_sub(1);
                    let attempts_left = *attempts;
                    if attempts_left == 0 {
                        codes.remove(&key);
                    }
                    return Err(RedeemError::WrongTxCode { attempts_left });
                }
            }
        }
        accept(grant).map_err(RedeemError::Refused)?;
        codes
            .remove(&key)
            .map(|((grant, _), _)| grant)
            .ok_or(RedeemError::Unknown)
    }
}
