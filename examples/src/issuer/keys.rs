//! The credential signing key's rotation at run time (the states and the file are in
//! [`crate::rotation`]), and its admin API (loopback clients only):
//!
//! ```text
//! GET  /admin/keys           the keys, their states, the active kid
//! POST /admin/keys/rotate    a new key (data directory or token) becomes the active one
//! POST /admin/keys/retire    {"kid": KID}: a published key is no longer published
//! ```
//!
//! A rotation makes the new key, certifies it with the demo credential issuer CA, writes the
//! rotation file, publishes the new key beside the old ones in `/.well-known/jwt-vc-issuer`
//! and only then hands it to the engine: from then on every credential and Status List Token
//! is signed by it. A request reads the engine's keys once (one snapshot), so it never mixes
//! two keys. Rotations and retirements take one lock, so they never interleave.
//!
//! **A fleet** shares the rotation file (one data directory). Every instance reads it again
//! every [`FOLLOW_INTERVAL`] ([`follow`]) and takes up what another instance changed: the
//! published keys first, then the active key. A rotation or retirement holds an exclusive OS
//! lock on `issuer-key-rotation.lock` beside the file while it reads the file, changes the
//! state and writes it back, so two instances never build on the same old state.

use core::net::SocketAddr;
use core::time::Duration;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jose_core::{Algorithm, LocalSigner, PublicJwk, RandomSource, Signer, UnixTime};
use oid4vci_issuer::{AuditEvent, AuditSink as _, IssuerEngine, IssuerKeys, KeyChange, SigningKey};
use sdjwt_vc::IssuerMetadata;
use serde::Deserialize;
use serde_json::{Value, json};

use super::IssuerState;
use super::admin::loopback_only;
use crate::error::{ApiError, DemoError};
use crate::hsm::Hsm;
use crate::pki::{DemoCa, LeafKind};
use crate::rotation::{KeyRotation, KeySource, RetireError, RotatedKey};

/// The audit `purpose` of the credential (and Status List Token) signing key.
const PURPOSE: &str = "credential";

/// The common name of the credential signing certificates.
const LEAF_NAME: &str = "Demo Credential Issuer";

/// How often an issuer with a rotation file reads it again to take up what another instance
/// of its fleet changed: a new key is published everywhere within this time of its rotation
/// (wallets re-fetch `jwt-vc-issuer` when they meet an unknown `kid`).
pub const FOLLOW_INTERVAL: Duration = Duration::from_secs(2);

/// The published side of the credential signing keys: what one request reads.
#[derive(Debug)]
pub(super) struct PublishedKeys {
    /// The active key's `kid`.
    pub(super) active_kid: String,
    /// The active key's public key.
    pub(super) active_jwk: PublicJwk,
    /// The `/.well-known/jwt-vc-issuer` document: every key that is not retired.
    pub(super) jwt_vc_issuer: Value,
}

/// What a rotation needs, and the state it changes.
struct Maker {
    rotation: KeyRotation,
    /// The rotation file (`None`: the state is in memory only).
    file: Option<PathBuf>,
    /// The rotation file's text as this instance last read or wrote it: other text means
    /// another instance changed it.
    seen: Option<String>,
    /// The initial key, as the engine signs with it.
    initial: SigningKey,
    /// The initial key's public key (the rotation file's first key must be it).
    initial_jwk: PublicJwk,
    hsm: Option<Hsm>,
    issuer_ca: DemoCa,
    base_url: String,
}

/// The issuer's credential signing keys.
pub(super) struct KeyRing {
    maker: Mutex<Maker>,
    published: RwLock<Arc<PublishedKeys>>,
}

impl core::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyRing")
            .field("published", &self.published())
            .finish_non_exhaustive()
    }
}

/// What [`KeyRing::open`] starts from.
pub(super) struct RingSources {
    /// The initial key's signer, public key and certificate chain.
    pub(super) initial: (Arc<dyn Signer + Send + Sync>, PublicJwk, Vec<Vec<u8>>),
    /// The rotation file, if the issuer has a data directory.
    pub(super) file: Option<PathBuf>,
    /// The token, if the keys are in one.
    pub(super) hsm: Option<Hsm>,
    /// The CA that certifies credential signing keys.
    pub(super) issuer_ca: DemoCa,
    /// The credential issuer identifier (the certificates' SAN).
    pub(super) base_url: String,
    /// Now.
    pub(super) now: UnixTime,
}

impl KeyRing {
    /// The ring of an issuer starting now: the rotation file's state (or the initial key
    /// alone), and the active key for the engine.
    ///
    /// # Errors
    /// As [`KeyRotation::load`]; [`DemoError::Keystore`] when the active key is in a token the
    /// issuer does not run with; [`DemoError::Pkcs11`] when the token lacks it; as
    /// [`DemoCa::issue`].
    pub(super) fn open(sources: RingSources) -> Result<(Self, SigningKey), DemoError> {
        let (initial_signer, initial_jwk, initial_x5c) = sources.initial;
        let seen = match &sources.file {
            Some(path) => KeyRotation::read(path)?,
            None => None,
        };
        let rotation = match (&sources.file, &seen) {
            (Some(path), Some(text)) => KeyRotation::parse(path, text, &initial_jwk)?,
            _ => KeyRotation::new(RotatedKey::new(
                initial_signer.algorithm(),
                &initial_jwk,
                KeySource::Initial,
                sources.now,
            )),
        };
        let initial = SigningKey::new(initial_signer, initial_x5c)
            .with_kid(&initial_jwk.thumbprint_base64url());
        let maker = Maker {
            rotation,
            file: sources.file,
            seen,
            initial,
            initial_jwk,
            hsm: sources.hsm,
            issuer_ca: sources.issuer_ca,
            base_url: sources.base_url,
        };
        let signing_key = maker.signing_key(maker.rotation.active()?, sources.now)?;
        let published = Arc::new(maker.published()?);
        Ok((
            Self {
                maker: Mutex::new(maker),
                published: RwLock::new(published),
            },
            signing_key,
        ))
    }

    /// Whether the state is in a rotation file that other instances may change.
    pub(super) fn has_file(&self) -> bool {
        self.lock().file.is_some()
    }

    /// Reads the rotation file again and takes up what another instance changed: publishes
    /// the keys it lists, then hands its active key to `engine` if that is another key.
    /// Whether anything changed.
    ///
    /// # Errors
    /// As [`KeyRotation::read`] and [`KeyRotation::parse`], and as making the signer of the
    /// new active key; the current keys then stay.
    pub(super) fn follow_file(
        &self,
        engine: &IssuerEngine,
        now: UnixTime,
    ) -> Result<bool, DemoError> {
        let mut maker = self.lock();
        self.catch_up(&mut maker, engine, now)
    }

    /// The state to change, for a rotation or retirement: this instance's lock, the OS lock
    /// on the rotation file (held until the returned file is dropped), and what another
    /// instance changed taken up first, so the change builds on the newest state.
    ///
    /// # Errors
    /// As [`Self::follow_file`], and [`DemoError::Io`] when the lock file cannot be locked.
    fn lock_newest(
        &self,
        engine: &IssuerEngine,
        now: UnixTime,
    ) -> Result<(std::sync::MutexGuard<'_, Maker>, Option<File>), DemoError> {
        let mut maker = self.lock();
        let held = maker.lock_file()?;
        self.catch_up(&mut maker, engine, now)?;
        Ok((maker, held))
    }

    fn catch_up(
        &self,
        maker: &mut Maker,
        engine: &IssuerEngine,
        now: UnixTime,
    ) -> Result<bool, DemoError> {
        match maker.read_file_again(now)? {
            FileChange::Unchanged => Ok(false),
            FileChange::Published => {
                self.publish(maker)?;
                Ok(true)
            }
            FileChange::Active(key) => {
                // Published first, then signing, as at a rotation here.
                self.publish(maker)?;
                hand_to_engine(engine, key)?;
                Ok(true)
            }
        }
    }

    /// The published keys now (one snapshot).
    pub(super) fn published(&self) -> Arc<PublishedKeys> {
        Arc::clone(
            &self
                .published
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    fn publish(&self, maker: &Maker) -> Result<(), DemoError> {
        let published = Arc::new(maker.published()?);
        *self
            .published
            .write()
            .unwrap_or_else(PoisonError::into_inner) = published;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Maker> {
        self.maker.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The keys as the admin API lists them.
    fn listing(&self) -> Value {
        listing(&self.lock().rotation)
    }
}

impl Maker {
    /// The published keys of the current state.
    fn published(&self) -> Result<PublishedKeys, DemoError> {
        let active = self.rotation.active()?;
        let keys: Vec<PublicJwk> = self.rotation.published().map(|k| k.jwk.clone()).collect();
        Ok(PublishedKeys {
            active_kid: active.kid.clone(),
            active_jwk: active.jwk.clone(),
            jwt_vc_issuer: IssuerMetadata::new(self.base_url.as_str(), keys).to_value(),
        })
    }

    /// The signer of a rotated-in key.
    fn signer(
        &self,
        alg: Algorithm,
        source: &KeySource,
        kid: &str,
    ) -> Result<Arc<dyn Signer + Send + Sync>, DemoError> {
        match (source, &self.hsm) {
            (KeySource::Local(der), _) => Ok(Arc::new(
                LocalSigner::from_pkcs8(alg, der.as_bytes())
                    .map_err(|e| DemoError::Keystore(format!("key {kid}: {e}")))?,
            )),
            (KeySource::Token(label), Some(hsm)) => Ok(hsm.key(alg, label)?.dyn_signer()),
            (KeySource::Token(label), None) => Err(DemoError::Keystore(format!(
                "key {kid} is the token's key {label:?}: start with the same --pkcs11-* options"
            ))),
            (KeySource::Initial, _) => Err(DemoError::Keystore(format!(
                "key {kid} is the initial key, not a rotated-in one"
            ))),
        }
    }

    /// The signing key of `signer` with a certificate from the demo credential issuer CA.
    fn certify(
        &self,
        signer: Arc<dyn Signer + Send + Sync>,
        jwk: &PublicJwk,
        kid: &str,
        now: UnixTime,
    ) -> Result<SigningKey, DemoError> {
        let chain = self.issuer_ca.issue(
            LEAF_NAME,
            jwk,
            &LeafKind::CredentialIssuer {
                issuer: self.base_url.clone(),
            },
            now,
        )?;
        Ok(SigningKey::new(signer, chain).with_kid(kid))
    }

    /// A new key pair: in the token under a new label, or a local key.
    fn generate(
        &self,
        alg: Algorithm,
        rng: &dyn RandomSource,
    ) -> Result<(Arc<dyn Signer + Send + Sync>, PublicJwk, KeySource), DemoError> {
        match &self.hsm {
            Some(hsm) => {
                let base = crate::hsm::issuer_credential_key_label(alg);
                let label = self
                    .rotation
                    .token_label(&base, |label| hsm.label_taken(label));
                let key = hsm.generate(alg, &label)?;
                Ok((key.dyn_signer(), key.public_jwk, KeySource::Token(label)))
            }
            None => {
                let der = LocalSigner::generate_pkcs8(alg, rng)?;
                let signer = LocalSigner::from_pkcs8(alg, der.as_bytes())
                    .map_err(|e| DemoError::Keystore(format!("new key: {e}")))?;
                let jwk = signer.public_jwk();
                Ok((Arc::new(signer), jwk, KeySource::Local(der)))
            }
        }
    }

    /// Writes the rotation file, if there is one, and remembers what it wrote.
    fn save(&mut self) -> Result<(), DemoError> {
        if let Some(path) = &self.file {
            self.seen = Some(self.rotation.save(path)?);
        }
        Ok(())
    }

    /// The engine's signing key for `key`.
    fn signing_key(&self, key: &RotatedKey, now: UnixTime) -> Result<SigningKey, DemoError> {
        match &key.source {
            KeySource::Initial => Ok(self.initial.clone()),
            source => {
                let signer = self.signer(key.alg, source, &key.kid)?;
                self.certify(signer, &key.jwk, &key.kid, now)
            }
        }
    }

    /// Reads the rotation file again: what changed since this instance last read or wrote
    /// it. The state is replaced only when the whole file is valid and the new active key's
    /// signer could be made.
    fn read_file_again(&mut self, now: UnixTime) -> Result<FileChange, DemoError> {
        let Some(path) = &self.file else {
            return Ok(FileChange::Unchanged);
        };
        let Some(text) = KeyRotation::read(path)? else {
            return Ok(FileChange::Unchanged);
        };
        if self.seen.as_deref() == Some(text.as_str()) {
            return Ok(FileChange::Unchanged);
        }
        let loaded = KeyRotation::parse(path, &text, &self.initial_jwk)?;
        let active = loaded.active()?;
        let change = if active.kid == self.rotation.active()?.kid {
            FileChange::Published
        } else {
            FileChange::Active(self.signing_key(active, now)?)
        };
        self.rotation = loaded;
        self.seen = Some(text);
        Ok(change)
    }

    /// An exclusive OS lock on `issuer-key-rotation.lock` beside the rotation file, held
    /// until the returned file is dropped (`None` without a rotation file). Blocks while
    /// another instance holds it.
    fn lock_file(&self) -> Result<Option<File>, DemoError> {
        let Some(path) = &self.file else {
            return Ok(None);
        };
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path(path))?;
        file.lock()?;
        Ok(Some(file))
    }
}

/// The lock file beside the rotation file at `path`.
fn lock_path(path: &Path) -> PathBuf {
    path.with_extension("lock")
}

/// What reading the rotation file again changed.
enum FileChange {
    /// Nothing: the text is what this instance last read or wrote.
    Unchanged,
    /// The keys or their states, but the same key is active.
    Published,
    /// Another key is active: its signing key.
    Active(SigningKey),
}

/// Makes `key` the engine's credential signing key, keeping its mdoc Document Signer.
fn hand_to_engine(engine: &IssuerEngine, key: SigningKey) -> Result<(), DemoError> {
    let current = engine.keys();
    let mut next = IssuerKeys::new(key);
    if let Some(mdoc) = &current.mdoc {
        next = next.with_mdoc(mdoc.clone());
    }
    engine
        .replace_keys(next)
        .map(drop)
        .map_err(|e| DemoError::Keystore(e.to_string()))
}

/// Reads the rotation file of the issuer behind `state` every [`FOLLOW_INTERVAL`] (on the
/// blocking pool: it reads a file and may open a token session) and takes up what another
/// instance changed, until the issuer is dropped. A file that cannot be taken up (unreadable,
/// malformed, a key whose signer cannot be made) is logged, once for each reason, and the
/// current keys stay.
pub(super) async fn follow(state: Weak<IssuerState>) {
    let mut tick = tokio::time::interval(FOLLOW_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate: the file was read at start.
    tick.tick().await;
    let mut last_warning = String::new();
    loop {
        tick.tick().await;
        let Some(state) = state.upgrade() else {
            return;
        };
        let taken = tokio::task::spawn_blocking(move || {
            state.keys.follow_file(&state.engine, state.clock.now())
        })
        .await;
        let warning = match taken {
            Ok(Ok(changed)) => {
                if changed {
                    tracing::info!("credential signing keys changed by another instance: taken up");
                }
                String::new()
            }
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        if !warning.is_empty() && warning != last_warning {
            tracing::warn!(error = %warning, "the rotation file could not be taken up; the current keys stay");
        }
        last_warning = warning;
    }
}

/// The keys of `rotation` as the admin API lists them.
fn listing(rotation: &KeyRotation) -> Value {
    let keys: Vec<Value> = rotation
        .keys()
        .iter()
        .map(|k| {
            let location = match &k.source {
                KeySource::Local(_) => "data-dir".to_owned(),
                KeySource::Token(label) => format!("pkcs11:{label}"),
                _ => "initial".to_owned(),
            };
            json!({
                "kid": k.kid,
                "alg": k.alg.jose_name(),
                "state": k.state.as_str(),
                "created_at": k.created_at.secs(),
                "retired_at": k.retired_at.map(UnixTime::secs),
                "location": location,
            })
        })
        .collect();
    let active = rotation.active().map(|k| k.kid.clone()).ok();
    json!({"active": active, "keys": keys})
}

/// Answers `GET /admin/keys`.
pub(super) async fn list(
    State(state): State<Arc<IssuerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Response, ApiError> {
    loopback_only(peer)?;
    Ok(Json(state.keys.listing()).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateRequest {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetireRequest {
    kid: String,
}

fn json_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::invalid_request(format!("body: {e}")))
}

/// `POST /admin/keys/rotate` (no body, or `{}`): 201 with `{"active": NEW, "previous": OLD,
/// "keys": [...]}`.
pub(super) async fn rotate(
    State(state): State<Arc<IssuerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    // A token or a file is written: always off the async workers.
    super::off_runtime(
        super::StoreCalls::Blocking,
        move || -> Result<Response, ApiError> {
            loopback_only(peer)?;
            if !body.is_empty() {
                let RotateRequest {} = json_body(&body)?;
            }
            let now = state.clock.now();
            let server = |e: DemoError| ApiError::server_error(&e);
            let (mut maker, _held) = state.keys.lock_newest(&state.engine, now).map_err(server)?;
            let alg = state.engine.keys().credential.signer().algorithm();
            let (signer, jwk, source) = maker.generate(alg, state.engine.rng()).map_err(server)?;
            let key = RotatedKey::new(alg, &jwk, source, now);
            let kid = key.kid.clone();
            let signing_key = maker.certify(signer, &key.jwk, &kid, now).map_err(server)?;
            let previous = maker.rotation.rotate(key).map_err(server)?;
            if let Err(e) = maker.save() {
                maker.rotation.undo_rotate(&previous);
                return Err(server(e));
            }
            // Published first, then signing: a verifier can know the key before it meets it.
            state.keys.publish(&maker).map_err(server)?;
            hand_to_engine(&state.engine, signing_key).map_err(server)?;
            for change in [KeyChange::Created, KeyChange::Rotated] {
                state
                    .audit
                    .record(&AuditEvent::key_changed(&kid, PURPOSE, change), now);
            }
            tracing::info!(active = %kid, %previous, "credential signing key rotated");
            let mut body = listing(&maker.rotation);
            if let Some(map) = body.as_object_mut() {
                map.insert("previous".into(), Value::String(previous));
            }
            Ok((StatusCode::CREATED, Json(body)).into_response())
        },
    )
    .await
}

/// `POST /admin/keys/retire` with `{"kid": KID}`: 200 with `{"retired": KID, "active": ...,
/// "keys": [...]}`; 404 `not_found` for an unknown `kid`, 409 `key_in_use` for the active
/// key, 409 `key_retired` for a retired one.
pub(super) async fn retire(
    State(state): State<Arc<IssuerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    super::off_runtime(
        super::StoreCalls::Blocking,
        move || -> Result<Response, ApiError> {
            loopback_only(peer)?;
            let request: RetireRequest = json_body(&body)?;
            let kid = request.kid;
            let now = state.clock.now();
            let server = |e: DemoError| ApiError::server_error(&e);
            let (mut maker, _held) = state.keys.lock_newest(&state.engine, now).map_err(server)?;
            maker.rotation.retire(&kid, now).map_err(|e| match e {
                RetireError::Active => ApiError::new(
                    StatusCode::CONFLICT,
                    "key_in_use",
                    "this is the active signing key: rotate to a new key first",
                ),
                RetireError::AlreadyRetired => ApiError::new(
                    StatusCode::CONFLICT,
                    "key_retired",
                    "this signing key is already retired",
                ),
                _ => ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such signing key"),
            })?;
            if let Err(e) = maker.save() {
                maker.rotation.undo_retire(&kid);
                return Err(server(e));
            }
            state.keys.publish(&maker).map_err(server)?;
            state.audit.record(
                &AuditEvent::key_changed(&kid, PURPOSE, KeyChange::Retired),
                now,
            );
            tracing::info!(retired = %kid, "credential signing key retired");
            let mut body = listing(&maker.rotation);
            if let Some(map) = body.as_object_mut() {
                map.insert("retired".into(), Value::String(kid));
            }
            Ok(Json(body).into_response())
        },
    )
    .await
}
