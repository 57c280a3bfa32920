//! Named defaults for every time window and size this crate bounds.
//!
//! The default clock skew is jose-core's
//! [`DEFAULT_HOLDER_CLOCK_SKEW_SECONDS`](jose_core::DEFAULT_HOLDER_CLOCK_SKEW_SECONDS) (300 s):
//! every proof here is signed by a wallet or client device, whose clock is the holder's
//! (the `clientAttestationConfig` default `clockSkewSeconds`; RFC 9449 §11.1 likewise asks
//! for "a reasonable window" around `iat`).

/// Default replay window: how long after its `iat` a proof is still accepted: 300 s.
///
/// The `clientAttestationConfig` default (`replayWindowSeconds`); ABCA -10 §11.1 describes the
/// `jti` cache over a sliding `iat` window that this bounds.
pub const DEFAULT_REPLAY_WINDOW_SECS: u64 = 300;

/// Default maximum length of a `jti` in bytes: 256.
///
/// `jti` values are stored by the replay guard; real ones are UUIDs (36 bytes) or 16-32 random
/// bytes in base64url. The bound keeps a full guard's memory predictable.
pub const DEFAULT_MAX_JTI_LEN: usize = 256;

/// Default number of entries an [`InMemoryReplayGuard`](crate::InMemoryReplayGuard) holds
/// before it refuses new ones: 1 048 576 (about 300 MB worst case with maximal `jti`s, about
/// 100 MB with UUIDs).
pub const DEFAULT_MAX_REPLAY_ENTRIES: usize = 1 << 20;

/// Default tolerance for a stateless nonce whose issue time lies in the verifier's future: 60 s.
///
/// Nonces are issued and verified by servers of one fleet, whose clocks are expected to agree
/// far better than a client's; anything further ahead is refused as forged or misconfigured.
pub const DEFAULT_NONCE_FUTURE_SKEW_SECS: u64 = 60;

/// Minimum length of a stateless-nonce secret: 32 bytes (the HMAC-SHA256 output size,
/// RFC 2104 §3).
pub const MIN_NONCE_SECRET_LEN: usize = 32;
