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

use core::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jose_core::{Algorithm, LocalSigner, PublicJwk, RandomSource, Signer, UnixTime};
use oid4vci_issuer::{AuditEvent, AuditSink as _, IssuerKeys, KeyChange, SigningKey};
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
        let rotation = match &sources.file {
            Some(path) => KeyRotation::load(path, &initial_jwk)?,
            None => None,
        }
        .unwrap_or_else(|| {
            KeyRotation::new(RotatedKey::new(
                initial_signer.algorithm(),
                &initial_jwk,
                KeySource::Initial,
                sources.now,
            ))
        });
        let maker = Maker {
            rotation,
            file: sources.file,
            hsm: sources.hsm,
            issuer_ca: sources.issuer_ca,
            base_url: sources.base_url,
        };
        let active = maker.rotation.active()?;
        let signing_key = match &active.source {
            KeySource::Initial => {
                SigningKey::new(initial_signer, initial_x5c).with_kid(&active.kid)
            }
            source => {
                let signer = maker.signer(active.alg, source, &active.kid)?;
                maker.certify(signer, &active.jwk, &active.kid, sources.now)?
            }
        };
        let published = Arc::new(maker.published()?);
        Ok((
            Self {
                maker: Mutex::new(maker),
                published: RwLock::new(published),
            },
            signing_key,
        ))
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

    fn save(&self) -> Result<(), DemoError> {
        match &self.file {
            Some(path) => self.rotation.save(path),
            None => Ok(()),
        }
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
    super::off_runtime(true, move || -> Result<Response, ApiError> {
        loopback_only(peer)?;
        if !body.is_empty() {
            let RotateRequest {} = json_body(&body)?;
        }
        let now = state.clock.now();
        let server = |e: DemoError| ApiError::server_error(&e);
        let mut maker = state.keys.lock();
        let current = state.engine.keys();
        let alg = current.credential.signer().algorithm();
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
        let mut next = IssuerKeys::new(signing_key);
        if let Some(mdoc) = &current.mdoc {
            next = next.with_mdoc(mdoc.clone());
        }
        state
            .engine
            .replace_keys(next)
            .map_err(|e| ApiError::server_error(&e))?;
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
    })
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
    super::off_runtime(true, move || -> Result<Response, ApiError> {
        loopback_only(peer)?;
        let request: RetireRequest = json_body(&body)?;
        let kid = request.kid;
        let now = state.clock.now();
        let server = |e: DemoError| ApiError::server_error(&e);
        let mut maker = state.keys.lock();
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
    })
    .await
}
