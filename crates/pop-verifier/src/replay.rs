//! Replay protection: the [`ReplayGuard`] seam, the [`Unrecorded`] marker every verifier
//! returns, and a bounded in-memory guard.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use jose_core::UnixTime;

use crate::error::ReplayError;
use crate::limits::DEFAULT_MAX_REPLAY_ENTRIES;

/// Records proof identifiers (`jti`, single-use nonces) and refuses the second use.
///
/// Implementations must be atomic: when many threads present the same key at once, exactly one
/// sees `Ok`. They must fail closed: when they cannot record (full, storage down) they refuse.
/// Implement it over a shared store (Redis `SET NX EX`, a database unique key) for a fleet.
pub trait ReplayGuard: Send + Sync {
    /// Records `key` until `expires_at`, or refuses it.
    ///
    /// # Errors
    /// [`ReplayError::Replayed`] when `key` is recorded and not expired;
    /// [`ReplayError::AlreadyExpired`] when `expires_at <= now`; [`ReplayError::Full`] or
    /// [`ReplayError::Unavailable`] when it cannot record.
    fn check_and_record(
        &self,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), ReplayError>;

    /// Records every `(key, expires_at)` of `entries`, or refuses: for the proofs of one
    /// request (a credential request's batch of key proofs), recorded with one write.
    ///
    /// The provided implementation calls [`Self::check_and_record`] for each entry in order, so
    /// the entries before a refused one stay recorded. A guard that can should record all or
    /// none in one write (the in-memory guard under one lock; the SQLite and PostgreSQL guards of
    /// `issuer-store` in one transaction); then a refused batch records nothing.
    ///
    /// # Errors
    /// As [`Self::check_and_record`], for an entry refused (the provided implementation: the
    /// first); a key given twice in `entries` is [`ReplayError::Replayed`].
    fn check_and_record_all(
        &self,
        entries: &[(&str, UnixTime)],
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        for &(key, expires_at) in entries {
            self.check_and_record(key, expires_at, now)?;
        }
        Ok(())
    }
}

/// The checks of a batch that need no store, made first by every
/// [`ReplayGuard::check_and_record_all`] of this workspace: whether there is anything to record.
///
/// ```
/// use jose_core::UnixTime;
/// use pop_verifier::{ReplayError, check_batch};
/// let (now, later) = (UnixTime::from_secs(10), UnixTime::from_secs(20));
/// assert_eq!(check_batch(&[("a", later), ("b", later)], now), Ok(true));
/// assert_eq!(check_batch(&[], now), Ok(false));
/// assert_eq!(check_batch(&[("a", later), ("a", later)], now), Err(ReplayError::Replayed));
/// assert_eq!(check_batch(&[("a", later), ("b", now)], now), Err(ReplayError::AlreadyExpired));
/// ```
///
/// # Errors
/// [`ReplayError::AlreadyExpired`] when an entry's `expires_at` is not after `now`;
/// [`ReplayError::Replayed`] when a key is given twice (a batch recording a proof twice replays
/// it within itself, and one multi-row statement may not touch a row twice).
pub fn check_batch(entries: &[(&str, UnixTime)], now: UnixTime) -> Result<bool, ReplayError> {
    if entries.iter().any(|&(_, expires_at)| expires_at <= now) {
        return Err(ReplayError::AlreadyExpired);
    }
    if repeats_a_key(entries) {
        return Err(ReplayError::Replayed);
    }
    Ok(!entries.is_empty())
}

/// Whether a key appears twice in `entries`.
fn repeats_a_key(entries: &[(&str, UnixTime)]) -> bool {
    // A request's batch is a few proofs: comparing each pair beats hashing them.
    const PAIRWISE_UP_TO: usize = 8;
    if entries.len() <= PAIRWISE_UP_TO {
        return entries.iter().enumerate().any(|(at, (key, _))| {
            entries
                .iter()
                .skip(at.saturating_add(1))
                .any(|(other, _)| other == key)
        });
    }
    let mut seen = HashSet::with_capacity(entries.len());
    entries.iter().any(|&(key, _)| !seen.insert(key))
}

/// A replay-guard key for `jti` under a namespace (`abca-pop`, `dpop`, `openid4vci-proof`) and
/// a scope (a client id, a key thumbprint). The parts are length-prefixed, so no two distinct
/// triples give the same key.
///
/// ```
/// assert_eq!(pop_verifier::replay_key("dpop", "abc", "j1"), "dpop|3:abc|j1");
/// ```
#[must_use]
pub fn replay_key(namespace: &str, scope: &str, jti: &str) -> String {
    format!("{namespace}|{}:{scope}|{jti}", scope.len())
}

/// A proof that passed every check but is not accepted yet: its identifier has not been
/// recorded in a [`ReplayGuard`].
///
/// Every verifier of this crate returns one. It exposes nothing of the proof: the only way to
/// the accepted value (the holder key, the DPoP `jkt`, the claims) is [`Self::record`], which
/// records the proof's replay key until the end of its acceptance window and refuses a replay.
/// A forgotten replay check therefore does not compile (compare rustls-webpki's
/// `CertNotRevoked`). Dropping it accepts nothing.
///
/// Record it after every other check of the request passed (ABCA -10 §7.1 step 15), so a
/// request refused for another reason does not consume the proof.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a verified proof is accepted only through `record`"]
pub struct Unrecorded<T> {
    accepted: T,
    key: String,
    expires_at: UnixTime,
    /// The single-use nonces the proof spends: each [`spent_nonce_key`](crate::spent_nonce_key)
    /// and until when it is kept. Only key proofs spend nonces, and a key proof's own key (the
    /// digest of its signing input) covers its nonce and its `key_attestation` header, so a
    /// replayed proof is also a spent nonce.
    spends: Vec<(String, UnixTime)>,
}

impl<T> Unrecorded<T> {
    /// Wraps the accepted value with its replay key and the end of its acceptance window.
    pub(crate) const fn new(accepted: T, key: String, expires_at: UnixTime) -> Self {
        Self {
            accepted,
            key,
            expires_at,
            spends: Vec::new(),
        }
    }

    /// Records `nonce` (a [`spent_nonce_key`](crate::spent_nonce_key) and until when to keep
    /// it) with the proof, which then spends that nonce too: for the nonce of the key
    /// attestation a key proof carries
    /// ([`VerifiedKeyAttestation::spent_nonce`](crate::VerifiedKeyAttestation::spent_nonce)).
    /// A nonce given twice, or the proof's own, is recorded once.
    ///
    /// For key proofs: a key proof's own key covers everything it carries, so when a proof
    /// that spends a nonce is refused the refusal is reported as [`ReplayError::NonceSpent`].
    /// Given to a DPoP or PoP proof, a replayed `jti` would be reported so too.
    pub fn spending(mut self, nonce: (String, UnixTime)) -> Self {
        self.spends.push(nonce);
        self
    }

    /// Records the proof in `guard` and returns the accepted proof.
    ///
    /// The key is namespaced and scoped ([`replay_key`]): `abca-pop` by the client id,
    /// `dpop` by the key thumbprint, `openid4vci-proof` the SHA-256 of the proof; it lives
    /// until `iat + window + skew + 1`, from when the `iat` check refuses the proof by itself.
    /// A proof that spends its nonce (a key proof's stateless c_nonce, by default) records
    /// the nonce's key in the same write, until the nonce is too old to be accepted.
    ///
    /// # Errors
    /// The guard's: [`ReplayError::Replayed`] for a replay, [`ReplayError::NonceSpent`] for a
    /// proof whose nonce was spent (itself replayed, or another proof with its nonce);
    /// [`ReplayError::Full`] or [`ReplayError::Unavailable`] when it cannot record (it fails
    /// closed: answer 503, never accept); [`ReplayError::AlreadyExpired`] when `now` is past
    /// the window.
    pub fn record(self, guard: &dyn ReplayGuard, now: UnixTime) -> Result<T, ReplayError> {
        Self::record_slice(core::slice::from_ref(&self), guard, now)?;
        Ok(self.accepted)
    }

    /// Records every proof of `proofs` in one write (one [`ReplayGuard::check_and_record_all`]
    /// call; [`ReplayGuard::check_and_record`] when there is one key) and returns the accepted
    /// proofs in their order: for the proofs of one request, verified first and recorded
    /// together, so a request refused by one proof's checks spends none. The proofs of a batch
    /// may share a nonce: the batch spends it once. A batch that holds one proof twice is
    /// refused without asking the guard.
    ///
    /// # Errors
    /// As [`Self::record`], for the batch: the guard's [`ReplayGuard::check_and_record_all`]
    /// refusal (a proof given twice is [`ReplayError::Replayed`]).
    pub fn record_all(
        proofs: Vec<Self>,
        guard: &dyn ReplayGuard,
        now: UnixTime,
    ) -> Result<Vec<T>, ReplayError> {
        Self::record_slice(&proofs, guard, now)?;
        Ok(proofs.into_iter().map(|proof| proof.accepted).collect())
    }

    /// Records `proofs`: their keys, then each nonce they spend, once.
    ///
    /// # Errors
    /// As [`record_entries`]; [`ReplayError::Replayed`] for a proof given twice (its nonce is
    /// not what was replayed).
    fn record_slice(
        proofs: &[Self],
        guard: &dyn ReplayGuard,
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        let mut keys: Vec<(&str, UnixTime)> = proofs
            .iter()
            .map(|proof| (proof.key.as_str(), proof.expires_at))
            .collect();
        if repeats_a_key(&keys) {
            return Err(ReplayError::Replayed);
        }
        let proof_count = keys.len();
        for (nonce_key, expires_at) in proofs.iter().flat_map(|proof| &proof.spends) {
            if !keys
                .iter()
                .skip(proof_count)
                .any(|(key, _)| key == nonce_key)
            {
                keys.push((nonce_key.as_str(), *expires_at));
            }
        }
        record_entries(guard, &keys, keys.len() > proof_count, now)
    }

    /// The accepted value, for the verifier of its kind to expose what the caller must check
    /// before recording (a key proof's `key_attestation` header).
    pub(crate) const fn peek(&self) -> &T {
        &self.accepted
    }

    /// The replay key (tests only).
    #[cfg(test)]
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The nonce it spends and until when (tests only).
    #[cfg(test)]
    pub(crate) fn spends(&self) -> Option<(&str, UnixTime)> {
        self.spends
            .first()
            .map(|(key, until)| (key.as_str(), *until))
    }

    /// Until when the key is kept (tests only).
    #[cfg(test)]
    pub(crate) const fn expires_at(&self) -> UnixTime {
        self.expires_at
    }
}

/// Records `keys` in `guard`: one key through [`ReplayGuard::check_and_record`], more in one
/// [`ReplayGuard::check_and_record_all`]. When `spends_a_nonce`, a replay is
/// [`ReplayError::NonceSpent`]: the proofs' keys cover their nonces, so a replayed proof also
/// presents a spent nonce, and the guard cannot tell which key it had seen.
pub(crate) fn record_entries(
    guard: &dyn ReplayGuard,
    keys: &[(&str, UnixTime)],
    spends_a_nonce: bool,
    now: UnixTime,
) -> Result<(), ReplayError> {
    let result = match keys {
        [(key, expires_at)] => guard.check_and_record(key, *expires_at, now),
        keys => guard.check_and_record_all(keys, now),
    };
    result.map_err(|e| match e {
        ReplayError::Replayed if spends_a_nonce => ReplayError::NonceSpent,
        other => other,
    })
}

/// A bounded, thread-safe, in-process [`ReplayGuard`].
///
/// Entries live until their `expires_at`; expired entries are dropped as time passes. When
/// `max_entries` unexpired entries are held, new keys are **refused** with
/// [`ReplayError::Full`] rather than forgetting entries that could still be replayed.
/// Use it for a single server; a fleet needs a shared store behind [`ReplayGuard`].
///
/// ```
/// use jose_core::UnixTime;
/// use pop_verifier::{InMemoryReplayGuard, ReplayError, ReplayGuard};
/// let guard = InMemoryReplayGuard::new(1000);
/// let now = UnixTime::from_secs(1_000);
/// guard.check_and_record("jti-1", now.saturating_add(600), now)?;
/// assert_eq!(guard.check_and_record("jti-1", now.saturating_add(600), now), Err(ReplayError::Replayed));
/// # Ok::<(), ReplayError>(())
/// ```
#[derive(Debug)]
pub struct InMemoryReplayGuard {
    max_entries: usize,
    state: Mutex<State>,
}

/// The live keys, and the same keys by expiry. Each key is allocated once and shared by both;
/// the expiry order is kept on `(expires_at, sequence)`, so ordering it never compares the
/// keys themselves (under load many keys share an expiry second, and keys share long
/// `namespace|scope|` prefixes).
#[derive(Debug, Default)]
struct State {
    live: HashSet<Arc<str>>,
    by_expiry: BTreeMap<(UnixTime, u64), Arc<str>>,
    /// The sequence number of the next record.
    next: u64,
}

impl State {
    /// Drops every entry with `expires_at <= now`.
    fn purge(&mut self, now: UnixTime) {
        while let Some(entry) = self.by_expiry.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let key = entry.remove();
            self.live.remove(&key);
        }
    }

    fn record(&mut self, key: &str, expires_at: UnixTime) {
        let key: Arc<str> = Arc::from(key);
        self.live.insert(Arc::clone(&key));
        self.by_expiry.insert((expires_at, self.next), key);
        self.next = self.next.wrapping_add(1);
    }
}

impl InMemoryReplayGuard {
    /// A guard holding at most `max_entries` unexpired entries.
    #[must_use]
    pub fn new(max_entries: usize) -> Self {
        Self {
            max_entries,
            state: Mutex::new(State::default()),
        }
    }

    /// How many entries are held (expired ones included until the next call purges them).
    ///
    /// A poisoned lock still reports the true count (recording through it fails closed).
    #[must_use]
    pub fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .live
            .len()
    }

    /// Whether no entry is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for InMemoryReplayGuard {
    /// A guard with [`DEFAULT_MAX_REPLAY_ENTRIES`].
    fn default() -> Self {
        Self::new(DEFAULT_MAX_REPLAY_ENTRIES)
    }
}

impl ReplayGuard for InMemoryReplayGuard {
    fn check_and_record(
        &self,
        key: &str,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        self.check_and_record_all(&[(key, expires_at)], now)
    }

    /// All or none, under one lock.
    fn check_and_record_all(
        &self,
        entries: &[(&str, UnixTime)],
        now: UnixTime,
    ) -> Result<(), ReplayError> {
        if !check_batch(entries, now)? {
            return Ok(());
        }
        let mut state = self.state.lock().map_err(|_| ReplayError::Unavailable {
            reason: "lock poisoned".to_owned(),
        })?;
        state.purge(now);
        if entries.iter().any(|(key, _)| state.live.contains(*key)) {
            return Err(ReplayError::Replayed);
        }
        if state.live.len().saturating_add(entries.len()) > self.max_entries {
            return Err(ReplayError::Full {
                max: self.max_entries,
            });
        }
        for &(key, expires_at) in entries {
            state.record(key, expires_at);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
