//! What every backend shares: how secrets are keyed, how a pre-authorized code's `tx_code`
//! is checked, and how a status index is drawn.

use core::fmt::Write as _;

use jose_core::RandomSource;
use oid4vci_issuer::{RedeemError, StoreError};

/// The key a presented secret (code, token, id) is stored under: its SHA-256, in hex.
pub(crate) fn secret_key(secret: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest.as_ref() {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// A stored value that does not decode: the database was changed behind the store.
pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Unavailable(format!("a stored {what} does not decode"))
}

/// Every table with an `expires_at` column, purged by `purge_expired`.
pub(crate) const EXPIRING_TABLES: &[&str] = &[
    "replay",
    "pre_auth_codes",
    "access_tokens",
    "refresh_tokens",
    "rotated_refresh_tokens",
    "revoked_grants",
    "deferred",
    "notifications",
    "pushed_requests",
    "authorization_codes",
    "redeemed_codes",
];

/// Compares two secrets without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a redemption does after comparing the presented `tx_code` with the grant's.
#[derive(Debug)]
pub(crate) enum TxCodeCheck {
    /// The codes match (or neither side has one): redeem.
    Pass,
    /// Refuse without touching the attempt count.
    Refuse(RedeemError),
    /// A wrong `tx_code`: store `attempts_left` (delete the code at 0) and refuse.
    Wrong {
        /// The attempts left after this one.
        attempts_left: u32,
    },
}

/// Compares the grant's `tx_code` with the presented one, `attempts` being left before this one.
pub(crate) fn check_tx_code(
    expected: Option<&str>,
    got: Option<&str>,
    attempts: u32,
) -> TxCodeCheck {
    match (expected, got) {
        (None, None) => TxCodeCheck::Pass,
        (None, Some(_)) => TxCodeCheck::Refuse(RedeemError::TxCodeUnexpected),
        (Some(_), None) => TxCodeCheck::Refuse(RedeemError::TxCodeMissing),
        (Some(expected), Some(got)) => {
            if constant_time_eq(expected.as_bytes(), got.as_bytes()) {
                TxCodeCheck::Pass
            } else {
                TxCodeCheck::Wrong {
                    attempts_left: attempts.saturating_sub(1),
                }
            }
        }
    }
}

/// Draws in rejection sampling before falling back to an exact draw over the free indices.
pub(crate) const RANDOM_TRIES: usize = 16;

/// A status list failure as a store failure.
pub(crate) fn status_error(e: &status_list::Error) -> StoreError {
    StoreError::StatusList(e.to_string())
}

/// A uniform draw in `0..n` (`n > 0`) by rejection sampling on 32-bit words.
pub(crate) fn uniform_below(rng: &dyn RandomSource, n: u32) -> Result<u32, StoreError> {
    let range = u64::from(n);
    let space = 1u64 << 32;
    let zone = space - space % range;
    loop {
        let mut word = [0u8; 4];
        rng.fill(&mut word)
            .map_err(|e| StoreError::StatusList(format!("random source: {e}")))?;
        let x = u64::from(u32::from_le_bytes(word));
        if x < zone {
            return u32::try_from(x % range)
                .map_err(|_| StoreError::StatusList("a draw below a u32 fits u32".into()));
        }
    }
}

/// The row id a status list id names: only the canonical decimal form ("01" does not name
/// list 1).
pub(crate) fn parse_list_id(list_id: &str) -> Option<i64> {
    list_id
        .parse::<i64>()
        .ok()
        .filter(|id| id.to_string() == list_id)
}
