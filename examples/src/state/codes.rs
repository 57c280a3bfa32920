//! Pre-authorized codes: single use, short-lived, `tx_code` with bounded attempts.

use std::collections::HashMap;
use std::sync::Mutex;

use jose_core::UnixTime;
use serde_json::{Map, Value};

use super::{constant_time_eq, lock};

/// What a pre-authorized code grants.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PreAuthGrant {
    /// The offered credential configurations.
    pub configuration_ids: Vec<String>,
    /// The subject claims for the credentials.
    pub claims: Map<String, Value>,
    /// The transaction code the wallet must send, if any.
    pub tx_code: Option<String>,
    /// When the code expires.
    pub expires_at: UnixTime,
}

impl PreAuthGrant {
    /// A grant.
    #[must_use]
    pub const fn new(
        configuration_ids: Vec<String>,
        claims: Map<String, Value>,
        tx_code: Option<String>,
        expires_at: UnixTime,
    ) -> Self {
        Self {
            configuration_ids,
            claims,
            tx_code,
            expires_at,
        }
    }
}

/// Why a code was not redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// Stores pre-authorized codes.
pub trait PreAuthCodeStore: Send + Sync + core::fmt::Debug {
    /// Stores `code`, allowing `max_attempts` wrong `tx_code`s.
    fn insert(&self, code: String, grant: PreAuthGrant, max_attempts: u32);

    /// Redeems `code` (removing it) if `tx_code` matches.
    ///
    /// # Errors
    /// The [`RedeemError`].
    fn redeem(
        &self,
        code: &str,
        tx_code: Option<&str>,
        now: UnixTime,
    ) -> Result<PreAuthGrant, RedeemError>;
}

/// In-memory [`PreAuthCodeStore`].
#[derive(Debug, Default)]
pub struct InMemoryPreAuthCodes {
    codes: Mutex<HashMap<String, (PreAuthGrant, u32)>>,
}

impl PreAuthCodeStore for InMemoryPreAuthCodes {
    fn insert(&self, code: String, grant: PreAuthGrant, max_attempts: u32) {
        lock(&self.codes).insert(code, (grant, max_attempts));
    }

    fn redeem(
        &self,
        code: &str,
        tx_code: Option<&str>,
        now: UnixTime,
    ) -> Result<PreAuthGrant, RedeemError> {
        let mut codes = lock(&self.codes);
        let (grant, attempts) = codes.get_mut(code).ok_or(RedeemError::Unknown)?;
        if grant.expires_at <= now {
            codes.remove(code);
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
                        codes.remove(code);
                    }
                    return Err(RedeemError::WrongTxCode { attempts_left });
                }
            }
        }
        codes
            .remove(code)
            .map(|(grant, _)| grant)
            .ok_or(RedeemError::Unknown)
    }
}
