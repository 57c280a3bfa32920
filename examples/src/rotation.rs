//! Rotation of the issuer's credential signing key (the German EAA guide §5.4: keys rotate
//! routinely, with a transition period in which the old and the new key are both trusted):
//! which keys exist, which one signs, which are retired, and the file that keeps this in the
//! data directory.
//!
//! A key is in one of three [`KeyState`]s. Exactly one is `active`: it signs every new
//! SD-JWT VC and every Status List Token. `published` keys signed before and still verify:
//! they stay in `/.well-known/jwt-vc-issuer`. `retired` keys are no longer published, so what
//! they signed no longer verifies. A rotation makes a new key `active` and the previous one
//! `published`; a retirement makes a `published` key `retired` (never the active one).
//!
//! ```text
//! DIR/issuer-key-rotation.json   the rotation state (mode 0600: it holds the private keys
//!                                of rotated-in keys kept in the data directory)
//! ```
//!
//! ```json
//! { "version": 1,
//!   "credentialKeys": [
//!     { "kid": "…", "alg": "ES256", "jwk": {…}, "state": "published", "createdAt": 1800000000,
//!       "initial": true },
//!     { "kid": "…", "alg": "ES256", "jwk": {…}, "state": "active", "createdAt": 1800000100,
//!       "pkcs8": "<base64url PKCS#8>" } ] }
//! ```
//!
//! The first key is always the issuer's initial one (`initial`: its private key stays where it
//! was, the keys file's `credentialSigner`, the `signingKey` file or the token's
//! [`crate::hsm::issuer_credential_key_label`] key). A rotated-in key carries its private key
//! as `pkcs8`, or, with a PKCS#11 token, the label of its key pair in the token as
//! `pkcs11Label`. Only public keys and key ids are ever logged or audited. Without the file
//! the initial key is the only, active, key. The file is written again, through a temporary
//! file renamed into place, at every rotation and retirement. Instances of a fleet that share
//! the data directory read it again to follow each other (see the issuer's `keys` module).

use std::path::Path;

use jose_core::{Algorithm, LocalSigner, Pkcs8Secret, PublicJwk, UnixTime};
use serde::{Deserialize, Serialize};

use crate::error::DemoError;

/// The rotation file inside the data directory.
pub const ROTATION_FILE: &str = "issuer-key-rotation.json";

const ROTATION_FILE_VERSION: u32 = 1;

/// Where a credential signing key is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum KeyState {
    /// Signs new credentials and Status List Tokens; published.
    Active,
    /// No longer signs; published, so what it signed still verifies.
    Published,
    /// No longer signs and no longer published: what it signed no longer verifies.
    Retired,
}

impl KeyState {
    /// The state as the admin API and the file name it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Published => "published",
            Self::Retired => "retired",
        }
    }
}

/// Where the private half of a credential signing key is.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeySource {
    /// The issuer's initial key (keys file, `signingKey` file or the token's first key).
    Initial,
    /// A rotated-in key kept in the rotation file.
    Local(Pkcs8Secret),
    /// A rotated-in key pair in the PKCS#11 token, by label.
    Token(String),
}

/// One credential signing key of the rotation.
#[derive(Debug)]
#[non_exhaustive]
pub struct RotatedKey {
    /// Its `kid`: the JWK thumbprint.
    pub kid: String,
    /// Its algorithm.
    pub alg: Algorithm,
    /// Its public key, with `kid` set.
    pub jwk: PublicJwk,
    /// Its state.
    pub state: KeyState,
    /// When it was created (or, for the initial key, first recorded).
    pub created_at: UnixTime,
    /// When it was retired.
    pub retired_at: Option<UnixTime>,
    /// Where its private half is.
    pub source: KeySource,
}

impl RotatedKey {
    /// An `active` key created at `now` from `source`, named by its thumbprint.
    #[must_use]
    pub fn new(alg: Algorithm, jwk: &PublicJwk, source: KeySource, now: UnixTime) -> Self {
        let kid = jwk.thumbprint_base64url();
        Self {
            jwk: jwk.clone().with_kid(&kid),
            kid,
            alg,
            state: KeyState::Active,
            created_at: now,
            retired_at: None,
            source,
        }
    }
}

/// Why a key cannot be retired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetireError {
    /// No key has this `kid`.
    Unknown,
    /// It is the active key: rotate to a new key first.
    Active,
    /// It is already retired.
    AlreadyRetired,
}

/// The credential signing keys of an issuer: exactly one active, in creation order.
#[derive(Debug)]
pub struct KeyRotation {
    keys: Vec<RotatedKey>,
}

impl KeyRotation {
    /// The state of an issuer that never rotated: `initial` (the issuer's first key) active.
    #[must_use]
    pub fn new(initial: RotatedKey) -> Self {
        Self {
            keys: vec![initial],
        }
    }

    /// Every key, oldest first.
    #[must_use]
    pub fn keys(&self) -> &[RotatedKey] {
        &self.keys
    }

    /// The active key.
    ///
    /// # Errors
    /// [`DemoError::Keystore`] when none is (a state this type never makes).
    pub fn active(&self) -> Result<&RotatedKey, DemoError> {
        self.keys
            .iter()
            .find(|k| k.state == KeyState::Active)
            .ok_or_else(|| DemoError::Keystore("no active credential signing key".into()))
    }

    /// The keys that verify: the active one and the published ones, oldest first.
    pub fn published(&self) -> impl Iterator<Item = &RotatedKey> {
        self.keys.iter().filter(|k| k.state != KeyState::Retired)
    }

    /// Makes `key` the active key and the active one `published`; answers the previous
    /// active key's `kid`.
    ///
    /// # Errors
    /// [`DemoError::Keystore`] when `key`'s `kid` is already in the rotation (the state is
    /// then unchanged).
    pub fn rotate(&mut self, mut key: RotatedKey) -> Result<String, DemoError> {
        if self.keys.iter().any(|k| k.kid == key.kid) {
            return Err(DemoError::Keystore(format!(
                "key {} is already in the rotation",
                key.kid
            )));
        }
        let previous = self.active()?.kid.clone();
        for k in &mut self.keys {
            if k.state == KeyState::Active {
                k.state = KeyState::Published;
            }
        }
        key.state = KeyState::Active;
        self.keys.push(key);
        Ok(previous)
    }

    /// Undoes the last [`Self::rotate`] (its new key could not be kept): `previous` is
    /// active again.
    pub fn undo_rotate(&mut self, previous: &str) {
        self.keys.pop();
        for k in &mut self.keys {
            if k.kid == previous {
                k.state = KeyState::Active;
            }
        }
    }

    /// Retires the published key `kid` at `now`.
    ///
    /// # Errors
    /// The [`RetireError`]; the state is then unchanged.
    pub fn retire(&mut self, kid: &str, now: UnixTime) -> Result<(), RetireError> {
        let key = self
            .keys
            .iter_mut()
            .find(|k| k.kid == kid)
            .ok_or(RetireError::Unknown)?;
        match key.state {
            KeyState::Active => Err(RetireError::Active),
            KeyState::Retired => Err(RetireError::AlreadyRetired),
            KeyState::Published => {
                key.state = KeyState::Retired;
                key.retired_at = Some(now);
                Ok(())
            }
        }
    }

    /// Undoes [`Self::retire`] of `kid` (the change could not be kept).
    pub fn undo_retire(&mut self, kid: &str) {
        if let Some(key) = self.keys.iter_mut().find(|k| k.kid == kid) {
            key.state = KeyState::Published;
            key.retired_at = None;
        }
    }

    /// The first free token label for a rotated-in key: `{base}-{n}`, `n` from the number of
    /// keys plus one, past the labels `taken` says are in use.
    #[must_use]
    pub fn token_label(&self, base: &str, taken: impl Fn(&str) -> bool) -> String {
        let mut n = self.keys.len().saturating_add(1);
        loop {
            let label = format!("{base}-{n}");
            if !taken(&label) && !self.uses_label(&label) {
                return label;
            }
            n = n.saturating_add(1);
        }
    }

    fn uses_label(&self, label: &str) -> bool {
        self.keys
            .iter()
            .any(|k| matches!(&k.source, KeySource::Token(l) if l == label))
    }

    /// Reads the rotation file at `path`: `None` when there is none. `initial` is the
    /// issuer's initial key as it starts now: it must be the file's first key.
    ///
    /// # Errors
    /// As [`Self::read`] and [`Self::parse`].
    pub fn load(path: &Path, initial: &PublicJwk) -> Result<Option<Self>, DemoError> {
        match Self::read(path)? {
            Some(text) => Self::parse(path, &text, initial).map(Some),
            None => Ok(None),
        }
    }

    /// The text of the rotation file at `path`: `None` when there is none.
    ///
    /// # Errors
    /// [`DemoError::Io`] when it exists but cannot be read.
    pub fn read(path: &Path) -> Result<Option<String>, DemoError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The state in `text`, the rotation file read from `path` (named in errors). `initial`
    /// is the issuer's initial key as it starts now: it must be the file's first key.
    ///
    /// # Errors
    /// [`DemoError::Keystore`] naming the file when it is malformed: another version, no or
    /// several active keys, a `kid` that is not its key's thumbprint or used twice, a `pkcs8`
    /// key that does not parse or is not its `jwk`, or a first key that is not `initial` (the
    /// configured signing key changed).
    pub fn parse(path: &Path, text: &str, initial: &PublicJwk) -> Result<Self, DemoError> {
        let named = |reason: String| DemoError::Keystore(format!("{}: {reason}", path.display()));
        let file: RotationFile = serde_json::from_str(text).map_err(|e| named(e.to_string()))?;
        Self::from_file(file, initial).map_err(named)
    }

    fn from_file(file: RotationFile, initial: &PublicJwk) -> Result<Self, String> {
        if file.version != ROTATION_FILE_VERSION {
            return Err(format!(
                "version {} is not {ROTATION_FILE_VERSION}",
                file.version
            ));
        }
        let mut keys: Vec<RotatedKey> = Vec::with_capacity(file.credential_keys.len());
        for (i, entry) in file.credential_keys.into_iter().enumerate() {
            let path = format!("credentialKeys[{i}]");
            let key = entry.key(&path)?;
            if keys.iter().any(|k| k.kid == key.kid) {
                return Err(format!("{path}.kid: used twice"));
            }
            let is_initial = matches!(key.source, KeySource::Initial);
            if is_initial != (i == 0) {
                return Err(format!(
                    "{path}: the first key, and only it, is the initial key"
                ));
            }
            if i == 0 && key.kid != initial.thumbprint_base64url() {
                return Err(format!(
                    "{path}: the initial key {} is not this issuer's credential signing key \
                     {}: start with the same signingKey (and --pkcs11-* options), or another \
                     data directory",
                    key.kid,
                    initial.thumbprint_base64url()
                ));
            }
            keys.push(key);
        }
        let active = keys.iter().filter(|k| k.state == KeyState::Active).count();
        if active != 1 {
            return Err(format!("{active} active keys, not one"));
        }
        Ok(Self { keys })
    }

    /// Writes the rotation file at `path` (readable by the owner only), through a temporary
    /// file renamed into place; answers the text written.
    ///
    /// # Errors
    /// [`DemoError::Io`] when it cannot be written; [`DemoError::Keystore`] when it cannot be
    /// serialised.
    pub fn save(&self, path: &Path) -> Result<String, DemoError> {
        let text = serde_json::to_string_pretty(&self.to_file())
            .map_err(|e| DemoError::Keystore(e.to_string()))?;
        let temporary = crate::datadir::write_private_temporary(path, text.as_bytes())?;
        std::fs::rename(&temporary, path)?;
        Ok(text)
    }

    fn to_file(&self) -> RotationFile {
        RotationFile {
            version: ROTATION_FILE_VERSION,
            credential_keys: self
                .keys
                .iter()
                .map(|k| {
                    let (initial, pkcs8, pkcs11_label) = match &k.source {
                        KeySource::Initial => (true, None, None),
                        KeySource::Local(der) => (
                            false,
                            Some(jose_core::base64url::encode(der.as_bytes())),
                            None,
                        ),
                        KeySource::Token(label) => (false, None, Some(label.clone())),
                    };
                    KeyFile {
                        kid: k.kid.clone(),
                        alg: k.alg,
                        jwk: k.jwk.to_value(),
                        state: k.state,
                        created_at: k.created_at.secs(),
                        retired_at: k.retired_at.map(UnixTime::secs),
                        initial,
                        pkcs8,
                        pkcs11_label,
                    }
                })
                .collect(),
        }
    }
}

/// The rotation file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RotationFile {
    version: u32,
    credential_keys: Vec<KeyFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyFile {
    kid: String,
    alg: Algorithm,
    jwk: serde_json::Value,
    state: KeyState,
    created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retired_at: Option<i64>,
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    initial: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pkcs8: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pkcs11_label: Option<String>,
}

impl KeyFile {
    fn key(self, path: &str) -> Result<RotatedKey, String> {
        let jwk = PublicJwk::from_value(&self.jwk).map_err(|e| format!("{path}.jwk: {e}"))?;
        if jwk.thumbprint_base64url() != self.kid {
            return Err(format!("{path}.kid: not the thumbprint of its jwk"));
        }
        let source = match (self.initial, self.pkcs8, self.pkcs11_label) {
            (true, None, None) => KeySource::Initial,
            (false, Some(pkcs8), None) => {
                let der = jose_core::base64url::decode_secret(&pkcs8)
                    .ok_or_else(|| format!("{path}.pkcs8: not base64url"))?;
                let signer = LocalSigner::from_pkcs8(self.alg, &der)
                    .map_err(|e| format!("{path}.pkcs8: {e}"))?;
                if !signer.public_jwk().same_key(&jwk) {
                    return Err(format!("{path}.pkcs8: not the key of its jwk"));
                }
                KeySource::Local(Pkcs8Secret::new(der))
            }
            (false, None, Some(label)) => KeySource::Token(label),
            _ => {
                return Err(format!(
                    "{path}: exactly one of initial, pkcs8 and pkcs11Label"
                ));
            }
        };
        Ok(RotatedKey {
            kid: self.kid,
            alg: self.alg,
            jwk,
            state: self.state,
            created_at: UnixTime::from_secs(self.created_at),
            retired_at: self.retired_at.map(UnixTime::from_secs),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use jose_core::SystemRandom;

    use super::*;

    fn local(now: i64) -> RotatedKey {
        let rng = SystemRandom::new();
        let der = LocalSigner::generate_pkcs8(Algorithm::Es256, &rng).unwrap();
        let jwk = LocalSigner::from_pkcs8(Algorithm::Es256, der.as_bytes())
            .unwrap()
            .public_jwk();
        RotatedKey::new(
            Algorithm::Es256,
            &jwk,
            KeySource::Local(der),
            UnixTime::from_secs(now),
        )
    }

    fn initial() -> (RotatedKey, PublicJwk) {
        let mut key = local(1);
        key.source = KeySource::Initial;
        let jwk = key.jwk.clone();
        (key, jwk)
    }

    #[test]
    fn a_rotation_keeps_one_active_key_and_retires_only_published_ones() {
        let (first, _) = initial();
        let a = first.kid.clone();
        let mut rotation = KeyRotation::new(first);
        let b = local(2);
        let b_kid = b.kid.clone();
        assert_eq!(rotation.rotate(b).unwrap(), a);
        assert_eq!(rotation.active().unwrap().kid, b_kid);
        assert_eq!(rotation.published().count(), 2);
        let now = UnixTime::from_secs(3);
        assert_eq!(rotation.retire(&b_kid, now), Err(RetireError::Active));
        assert_eq!(rotation.retire("nope", now), Err(RetireError::Unknown));
        assert_eq!(rotation.retire(&a, now), Ok(()));
        assert_eq!(rotation.retire(&a, now), Err(RetireError::AlreadyRetired));
        assert_eq!(
            rotation
                .published()
                .map(|k| k.kid.as_str())
                .collect::<Vec<_>>(),
            [b_kid.as_str()]
        );
        rotation.undo_retire(&a);
        assert_eq!(rotation.published().count(), 2);
        let c = local(4);
        rotation.rotate(c).unwrap();
        rotation.undo_rotate(&b_kid);
        assert_eq!(rotation.active().unwrap().kid, b_kid);
        assert_eq!(rotation.keys().len(), 2);
    }

    #[test]
    fn the_file_round_trips_and_refuses_another_initial_key() {
        let dir = std::env::temp_dir().join(format!("rotation-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(ROTATION_FILE);
        let (first, initial_jwk) = initial();
        let mut rotation = KeyRotation::new(first);
        rotation.rotate(local(2)).unwrap();
        rotation.save(&path).unwrap();
        let loaded = KeyRotation::load(&path, &initial_jwk).unwrap().unwrap();
        let kids = |r: &KeyRotation| {
            r.keys()
                .iter()
                .map(|k| (k.kid.clone(), k.state))
                .collect::<Vec<_>>()
        };
        assert_eq!(kids(&loaded), kids(&rotation));
        assert!(matches!(loaded.keys()[1].source, KeySource::Local(_)));
        let (_, other) = initial();
        let refused = KeyRotation::load(&path, &other).unwrap_err();
        assert!(
            matches!(&refused, DemoError::Keystore(m) if m.contains("credentialKeys[0]: the initial key")),
            "{refused}"
        );
        assert!(
            KeyRotation::load(&dir.join("none.json"), &other)
                .unwrap()
                .is_none()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
