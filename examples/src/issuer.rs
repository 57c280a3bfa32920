//! The demo issuer: OAuth authorization server and OpenID4VCI credential issuer in one axum
//! router, on one listener (the admin API answers loopback clients only).

mod admin;
mod audit;
mod authorize;
mod endpoints;
mod expiring;
mod keys;
mod lenient;
mod metadata;
mod metrics;
mod offers;
mod pages;
mod sign_in_throttle;
mod status;
mod storage;

pub use admin::TX_CODE_LENGTH;
pub use audit::{
    AuditEntry, AuditTrail, DEFAULT_AUDIT_PAGE, DemoAudit, IN_MEMORY_AUDIT_CAPACITY,
    InMemoryAuditTrail, json_line,
};
pub use authorize::{LOCKED_OUT, MAX_FAILED_LOGINS, SESSION_COOKIE};
pub use keys::FOLLOW_INTERVAL;
pub use lenient::{LENIENT_LOG_CAPACITY, LenientLog};
pub use metrics::{METRICS_MEDIA_TYPE, Metrics};
pub use offers::{OFFER_PAGE_PATH, offer_qr_svg, offer_qr_terminal};
pub use pages::{STYLESHEET_PATH, content_security_policy};
pub use sign_in_throttle::{MAX_FAILURES_PER_USER, WINDOW_SECONDS as SIGN_IN_WINDOW_SECONDS};
pub use status::{
    STATUS_LIST_CWT_MEDIA_TYPE, STATUS_LIST_JWT_MEDIA_TYPE, STATUS_LIST_TOKEN_LIFETIME_SECONDS,
    STATUS_LIST_TTL_SECONDS,
};
pub use storage::{Database, OpenStorage, Storage};

use core::net::SocketAddr;
use std::sync::Arc;

use attestation_jwt::{ClientAttestationConfig, ClientAttestationVerifier};
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jose_core::jwe::KeyAgreement as _;
use jose_core::{Algorithm, LocalSigner, PublicJwk, Signer, SystemRandom};
use oid4vci_issuer::{
    AuditEvent, AuditSink as _, EncryptionSettings, IssuerEngine, IssuerKeys, KeyChange,
    RequestDecryptionKey, SigningKey,
};
use pop_verifier::KeyAttestationVerifier;
use tokio::net::TcpListener;
use trust_x509::{AnchorLookup, Policy};

use crate::clock::Clock;
use crate::config::{IssuerConfig, SigningKeyConfig};
use crate::datadir::{KeyMaterial, StoredKey};
use crate::error::DemoError;
use crate::hsm::Hsm;
use crate::keystore::Keystore;
use crate::pki::LeafKind;

/// The algorithms the issuer accepts for PoPs, key proofs and DPoP proofs.
pub const ACCEPTED_ALGORITHMS: &[Algorithm] = &[
    Algorithm::Es256,
    Algorithm::Es384,
    Algorithm::Es512,
    Algorithm::EdDsa,
];

/// Common name of the demo credential issuer CA.
pub const ISSUER_CA_NAME: &str = "Demo Credential Issuer CA";
/// Common name of the demo IACA.
pub const IACA_NAME: &str = "Demo IACA";

/// The largest request body the issuer reads: room for a 64 KiB credential request
/// (`oid4vci_types::MAX_MESSAGE_LEN`) encrypted as a JWE, and far below axum's 2 MB default.
/// A larger one is `413` with `invalid_request` before any handler runs.
pub const MAX_REQUEST_BODY_BYTES: usize = 256 * 1024;

/// Path of the status lists (`{base}/status-lists/{id}`).
pub const STATUS_LIST_PATH: &str = oid4vci_issuer::STATUS_LIST_PATH;

/// PEM trust anchors, served by `GET /admin/trust-anchors`: the roots a verifier needs for
/// this issuer's certificates, and the attester roots it trusts.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TrustAnchors {
    /// Roots of the credential issuer's signing certificates.
    pub credential_issuer: Vec<String>,
    /// mdoc IACA roots.
    pub mdoc_iaca: Vec<String>,
    /// Roots of the client attesters the issuer trusts (the `x509-chain` configuration's).
    pub attester: Vec<String>,
}

/// Everything the request handlers share: the configuration it was built from, the engine
/// that answers every OAuth and OpenID4VCI request, and what only the demo has (clock, the
/// served trust anchors, the lenient-mode log).
#[non_exhaustive]
pub struct IssuerState {
    /// The configuration.
    pub config: IssuerConfig,
    /// The endpoint engine: settings, active signing keys, stores, verifiers.
    pub engine: IssuerEngine,
    /// The parsed `clientAttestationConfig`.
    pub attestation: Option<ClientAttestationConfig>,
    /// The client attestation verifier, built once from [`Self::attestation`] at start-up
    /// (also the engine's client authenticator).
    pub client_attestation: Option<Arc<ClientAttestationVerifier>>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The PEM roots a verifier needs for this issuer's certificates.
    pub trust_anchors: TrustAnchors,
    /// The IACA's CRL (DER), served at [`crate::pki::IACA_CRL_PATH`].
    iaca_crl: axum::body::Bytes,
    /// Lenient-mode acceptances, also logged as warnings (read by tests and the demo).
    pub lenient_log: LenientLog,
    /// The engine's audit sink: JSON log lines, the trail `GET /admin/audit` reads, metrics.
    pub audit: Arc<DemoAudit>,
    /// What `GET /metrics` serves.
    pub metrics: Arc<Metrics>,
    /// The credential signing keys: the rotation state and the published keys.
    keys: keys::KeyRing,
    /// The served metadata documents, built at start-up.
    metadata: metadata::ServedMetadata,
    /// Users on their way through the login and consent pages.
    login_sessions: authorize::LoginSessions,
    /// Failed sign-ins per user, across sessions.
    sign_in_throttle: sign_in_throttle::SignInThrottle,
    /// The operator's offers (their pages and `issuer_state` values).
    offers: offers::Offers,
    /// The last signed token of each status list.
    status_tokens: status::SignedStatusLists,
    /// How handlers run their store calls.
    store_calls: StoreCalls,
}

/// How a handler runs the calls it makes on the stores (see [`off_runtime`]).
#[derive(Clone, Debug)]
enum StoreCalls {
    /// In memory: right on the async worker (the stores only take a mutex, and a hop to
    /// another thread would cost more than the call).
    Inline,
    /// On Tokio's blocking pool: the PostgreSQL stores (the synchronous client even refuses
    /// to run on an async worker thread), and other blocking work such as key files.
    Blocking,
    /// Right on the async worker (SQLite's statements take microseconds; a hop to the
    /// blocking pool and back cost a quarter of the issuer's CPU under load), with the
    /// request's commits synced once at its end, before the answer leaves, by awaiting
    /// [`issuer_store::SqliteStores::committed`]: the worker serves other requests meanwhile.
    Sqlite(issuer_store::SqliteStores),
}

impl core::fmt::Debug for IssuerState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IssuerState")
            .field("engine", &self.engine)
            .field("attestation", &self.attestation)
            .finish_non_exhaustive()
    }
}

/// The signing keys of a demo issuer, certified by its demo CAs: the leaf certificates are
/// issued at every start (the base URL may differ), the keys and CAs come from the storage, or
/// the private keys from a PKCS#11 token (then the CAs still come from the storage).
struct DemoKeys {
    signer: Arc<dyn Signer + Send + Sync>,
    signer_jwk: PublicJwk,
    x5c: Vec<Vec<u8>>,
    mdoc_signer: Arc<dyn Signer + Send + Sync>,
    mdoc_jwk: PublicJwk,
    mdoc_x5chain: Vec<Vec<u8>>,
    /// The IACA's CRL (DER), signed now.
    iaca_crl: Vec<u8>,
    anchors: TrustAnchors,
    /// Whether the signing keys were created now (in the storage or the token).
    created: bool,
}

impl DemoKeys {
    fn certify(
        config: &IssuerConfig,
        material: &KeyMaterial,
        hsm: Option<&Hsm>,
        base_url: &str,
        now: jose_core::UnixTime,
    ) -> Result<Self, DemoError> {
        let local = |signer: LocalSigner| {
            let jwk = signer.public_jwk();
            let signer: Arc<dyn Signer + Send + Sync> = Arc::new(signer);
            (signer, jwk)
        };
        let (signer, signer_jwk, mdoc_signer, mdoc_jwk, created) = match (hsm, &config.signing_key)
        {
            (Some(hsm), SigningKeyConfig::Generated { alg }) => {
                let credential =
                    hsm.find_or_generate(*alg, &crate::hsm::issuer_credential_key_label(*alg))?;
                let mdoc =
                    hsm.find_or_generate(Algorithm::Es256, crate::hsm::ISSUER_MDOC_KEY_LABEL)?;
                (
                    credential.dyn_signer(),
                    credential.public_jwk,
                    mdoc.dyn_signer(),
                    mdoc.public_jwk,
                    credential.created || mdoc.created,
                )
            }
            (Some(_), SigningKeyConfig::Pkcs8File { .. }) => {
                return Err(DemoError::Config(
                    "signingKey: a PKCS#8 file and the --pkcs11-* options exclude each other \
                     (with a token, use a generated signingKey: the key is created in it)"
                        .into(),
                ));
            }
            (None, signing_key) => {
                let (signer, jwk) = match signing_key {
                    SigningKeyConfig::Generated { .. } => {
                        local(stored(material.credential_signer.as_ref())?.signer()?)
                    }
                    SigningKeyConfig::Pkcs8File { alg, path } => {
                        let der = std::fs::read(path)?;
                        local(
                            LocalSigner::from_pkcs8(*alg, &der)
                                .map_err(|e| DemoError::Config(format!("signingKey: {e}")))?,
                        )
                    }
                };
                let (mdoc_signer, mdoc_jwk) =
                    local(stored(material.mdoc_signer.as_ref())?.signer()?);
                (signer, jwk, mdoc_signer, mdoc_jwk, false)
            }
        };
        let x5c = material.issuer_ca.issue(
            "Demo Credential Issuer",
            &signer_jwk,
            &LeafKind::CredentialIssuer {
                issuer: base_url.to_owned(),
            },
            now,
        )?;
        let mdoc_x5chain = material.iaca.issue(
            "Demo mDL Document Signer",
            &mdoc_jwk,
            &LeafKind::DocumentSigner {
                issuer: base_url.to_owned(),
            },
            now,
        )?;
        Ok(Self {
            signer,
            signer_jwk,
            x5c,
            mdoc_signer,
            mdoc_jwk,
            mdoc_x5chain,
            iaca_crl: material.iaca.crl(now)?,
            anchors: TrustAnchors {
                credential_issuer: vec![material.issuer_ca.root_pem().to_owned()],
                mdoc_iaca: vec![material.iaca.root_pem().to_owned()],
                attester: configured_attester_roots(config.client_attestation_config.as_ref()),
            },
            created,
        })
    }
}

/// A signing key of the data directory, which has none when it was created for a token.
fn stored(key: Option<&StoredKey>) -> Result<&StoredKey, DemoError> {
    key.ok_or_else(|| DemoError::Keystore("the data directory holds no signing keys".into()))
}

/// The key attestation verifier of `keyAttestationConfig`: ES256 (HAIP) and the other accepted
/// algorithms, chains validated to the configured roots under the attester profile (no
/// self-issued leaf, never the root itself as the chain).
///
/// # Errors
/// [`DemoError::Config`] naming `keyAttestationConfig` when the roots cannot be read or parsed,
/// or none are given.
pub fn key_attestation_verifier(
    config: &IssuerConfig,
) -> Result<Option<Arc<KeyAttestationVerifier>>, DemoError> {
    let Some(trust) = &config.key_attestation_config else {
        return Ok(None);
    };
    let mut pem = trust.trusted_root_certificates_pem.join("\n");
    if let Some(path) = &trust.trusted_root_certificates_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            DemoError::Config(format!(
                "keyAttestationConfig.trustedRootCertificatesFile: {}: {e} (run the attester once to write it, or remove keyAttestationConfig)",
                path.display()
            ))
        })?;
        pem.push('\n');
        pem.push_str(&text);
    }
    let anchors = trust_x509::TrustAnchors::from_pem(&pem).map_err(|e| {
        DemoError::Config(format!(
            "keyAttestationConfig.trustedRootCertificatesPem: {e}"
        ))
    })?;
    let verifier = KeyAttestationVerifier::builder()
        .algorithms(ACCEPTED_ALGORITHMS)
        .wallet_provider_roots(Arc::new(AnchorLookup::new(anchors, Policy::attester())))
        .build()
        .map_err(|e| DemoError::Config(e.to_string()))?;
    Ok(Some(Arc::new(verifier)))
}

impl IssuerState {
    /// Builds the state with in-memory stores and fresh keys ([`Storage::InMemory`]).
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn new(
        config: IssuerConfig,
        base_url: String,
        keystore: Keystore,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, DemoError> {
        Self::open(config, base_url, keystore, clock, &Storage::InMemory)
    }

    /// Builds the state on `storage`: its keys and CAs, its stores and replay guard.
    ///
    /// # Errors
    /// [`DemoError::Config`] when the signing key, a credential configuration or the
    /// attestation configuration is unusable (the message names the configuration path, e.g.
    /// `clientAttestationConfig: verificationMethod.keyReference: does not resolve: ...`), or a
    /// demo certificate cannot be generated (a P-521 signing key); as [`Storage::open`] when
    /// the storage cannot be opened.
    pub fn open(
        config: IssuerConfig,
        base_url: String,
        keystore: Keystore,
        clock: Arc<dyn Clock>,
        storage: &Storage,
    ) -> Result<Self, DemoError> {
        Self::open_with(config, base_url, keystore, clock, storage, None)
    }

    /// As [`Self::open`], with the signing keys in the PKCS#11 token `hsm` when given: the
    /// credential and status-list key ([`crate::hsm::issuer_credential_key_label`]) and the
    /// mdoc Document Signer key ([`crate::hsm::ISSUER_MDOC_KEY_LABEL`]) are created in it on
    /// first use and sign inside it, and `kms-key` references resolve through it (`keystore`
    /// is then not asked). The demo CAs, the engine secret and the request-encryption key stay
    /// in the storage.
    ///
    /// The active credential signing key is the one the data directory's rotation file names
    /// (see [`crate::rotation`]), else the initial one.
    ///
    /// # Errors
    /// As [`Self::open`]; [`DemoError::Pkcs11`] when a key cannot be found or created in the
    /// token; [`DemoError::Keystore`] naming the rotation file when it is malformed or its
    /// first key is not the initial signing key.
    pub fn open_with(
        config: IssuerConfig,
        base_url: String,
        keystore: Keystore,
        clock: Arc<dyn Clock>,
        storage: &Storage,
        hsm: Option<&Hsm>,
    ) -> Result<Self, DemoError> {
        config.check()?;
        let base_url = base_url.trim_end_matches('/').to_owned();
        let rng = SystemRandom::new();
        let credential_alg = match &config.signing_key {
            SigningKeyConfig::Generated { alg } | SigningKeyConfig::Pkcs8File { alg, .. } => *alg,
        };
        // With a token, the data directory holds no signing keys.
        let local_alg = hsm.is_none().then_some(credential_alg);
        let opened = storage.open(
            local_alg,
            &base_url,
            config.status_list_size,
            &rng,
            clock.now(),
        )?;
        tracing::info!(storage = %opened.description, "issuer state");
        let store_calls = match (storage, &opened.sqlite) {
            (Storage::InMemory, _) => StoreCalls::Inline,
            (_, Some(db)) => StoreCalls::Sqlite(db.clone()),
            (_, None) => StoreCalls::Blocking,
        };
        let keys = DemoKeys::certify(&config, &opened.keys, hsm, &base_url, clock.now())?;
        let key_lookup: Arc<dyn jose_core::keys::KeyLookup> = match hsm {
            Some(hsm) => Arc::new(hsm.key_lookup()),
            None => Arc::new(keystore),
        };
        let attestation = match &config.client_attestation_config {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Object(map)) => Some(
                ClientAttestationConfig::from_map(map)
                    .map_err(|e| DemoError::Config(format!("clientAttestationConfig: {e}")))?,
            ),
            Some(_) => {
                return Err(DemoError::Config(
                    "clientAttestationConfig must be an object".into(),
                ));
            }
        };
        let client_attestation = attestation
            .clone()
            .map(|config| {
                ClientAttestationVerifier::builder(config, &base_url)
                    // OpenID4VCI 1.0 §14.7 pins ABCA -07, where `iat` is optional, and its
                    // App. I.2 wallet attestation carries none: accepted, with a warning.
                    .with_missing_iat_tolerated(true)
                    .with_key_lookup(Arc::clone(&key_lookup), clock.now())
                    .with_attestation_algorithms(ACCEPTED_ALGORITHMS)
                    .with_pop_algorithms(ACCEPTED_ALGORITHMS)
                    .build()
            })
            .transpose()
            .map_err(|e| DemoError::Config(format!("clientAttestationConfig: {e}")))?;
        let kid = keys.signer_jwk.thumbprint_base64url();
        let mdoc_kid = keys.mdoc_jwk.thumbprint_base64url();
        let request_key = opened.keys.request_key()?;
        let engine_secret = opened.keys.engine_secret;
        // The active credential signing key: the initial one, or the rotation's.
        let (key_ring, credential_key) = keys::KeyRing::open(keys::RingSources {
            initial: (keys.signer, keys.signer_jwk, keys.x5c),
            file: storage.rotation_file(),
            hsm: hsm.cloned(),
            issuer_ca: opened.keys.issuer_ca,
            base_url: base_url.clone(),
            now: clock.now(),
        })?;
        let engine_keys = IssuerKeys::new(credential_key)
            .with_mdoc(SigningKey::new(keys.mdoc_signer, keys.mdoc_x5chain));
        let metrics = Arc::new(Metrics::new());
        let audit = Arc::new(DemoAudit::new(opened.audit, Arc::clone(&metrics)));
        if (opened.keys_created && hsm.is_none()) || keys.created {
            for (key_id, purpose) in [(kid.as_str(), "credential"), (mdoc_kid.as_str(), "mdoc")] {
                audit.record(
                    &AuditEvent::key_changed(key_id, purpose, KeyChange::Created),
                    clock.now(),
                );
            }
        }
        // The request-encryption key, published in the metadata.
        let request_kid = request_key.public_jwk().thumbprint_base64url();
        let encryption = EncryptionSettings::new(vec![RequestDecryptionKey::new(
            &request_kid,
            Arc::new(request_key),
        )])
        .with_zip(true);
        let mut builder = IssuerEngine::builder(
            config.engine_settings(&base_url),
            config.engine_profiles()?,
            engine_keys,
            &engine_secret,
            Arc::new(rng),
        )
        .with_stores(opened.stores)
        .with_audit_sink(audit.clone())
        .with_encryption(encryption);
        if let Some(replay) = opened.replay {
            builder = builder.with_replay_guard(replay);
        }
        if let Some(verifier) = &client_attestation {
            builder = builder.with_client_authenticator(verifier.clone());
        }
        if let Some(verifier) = key_attestation_verifier(&config)? {
            builder = builder.with_key_attestation_verifier(verifier);
        }
        let engine = builder
            .build()
            .map_err(|e| DemoError::Config(e.to_string()))?;
        check_user_claims(&config, &engine)?;
        let metadata = metadata::ServedMetadata::new(metadata::Sources {
            config: &config,
            engine: &engine,
            attestation: attestation.as_ref(),
            verifier: client_attestation.as_deref(),
        })?;
        Ok(Self {
            config,
            engine,
            attestation,
            client_attestation,
            clock,
            trust_anchors: keys.anchors,
            iaca_crl: keys.iaca_crl.into(),
            lenient_log: LenientLog::default(),
            audit,
            metrics,
            keys: key_ring,
            metadata,
            login_sessions: authorize::LoginSessions::default(),
            sign_in_throttle: sign_in_throttle::SignInThrottle::default(),
            offers: offers::Offers::default(),
            status_tokens: status::SignedStatusLists::default(),
            store_calls,
        })
    }

    /// The credential issuer identifier (also the AS issuer identifier).
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.engine.settings().credential_issuer
    }

    /// `{base_url}{path}`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        self.engine.settings().url(path)
    }

    /// The `kid` of the active credential signing key (its JWK thumbprint).
    #[must_use]
    pub fn kid(&self) -> String {
        self.keys.published().active_kid.clone()
    }

    /// The public key of the active credential signing key (with its `kid`).
    #[must_use]
    pub fn signer_jwk(&self) -> PublicJwk {
        self.keys.published().active_jwk.clone()
    }

    /// The `x5c` of credentials and status list tokens signed now: the active signing key's
    /// certificate from the demo issuer CA (leaf only: the root is the verifier's trust
    /// anchor, as HAIP wants).
    #[must_use]
    pub fn x5c(&self) -> Vec<Vec<u8>> {
        self.engine.keys().credential.chain().to_vec()
    }

    /// The `x5chain` of mdoc `issuerAuth`: the Document Signer certificate (no IACA);
    /// `None` when the engine has no mdoc signing key.
    #[must_use]
    pub fn mdoc_x5chain(&self) -> Option<Vec<Vec<u8>>> {
        self.engine.keys().mdoc.as_ref().map(|k| k.chain().to_vec())
    }

    /// The lenient-mode acceptances logged so far.
    #[must_use]
    pub fn lenient_warnings(&self) -> Vec<String> {
        self.lenient_log.entries()
    }
}

/// Refuses a configuration with a user whose claims some credential configuration could not
/// carry (a claim an SD-JWT VC reserves, a mistyped mDL element, an mdoc without elements):
/// the engine would otherwise find it only when that user consents, after the wallet's PAR
/// and sign-in.
fn check_user_claims(config: &IssuerConfig, engine: &IssuerEngine) -> Result<(), DemoError> {
    let ids: Vec<String> = config
        .credential_configurations
        .iter()
        .map(|c| c.id.clone())
        .collect();
    for (i, user) in config.users.iter().enumerate() {
        engine
            .check_claims(&ids, &config.subject_claims(user, &ids))
            .map_err(|e| {
                DemoError::Config(format!(
                    "users[{i}] ({}): {}",
                    user.username,
                    e.description()
                ))
            })?;
    }
    Ok(())
}

/// The `trustedRootCertificatesPem` of an `x509-chain` `clientAttestationConfig` (a string or
/// a list of strings), for `GET /admin/trust-anchors`.
fn configured_attester_roots(config: Option<&serde_json::Value>) -> Vec<String> {
    let Some(method) = config.and_then(|c| c.get("verificationMethod")) else {
        return Vec::new();
    };
    if method.get("type").and_then(serde_json::Value::as_str) != Some("x509-chain") {
        return Vec::new();
    }
    match method.get("trustedRootCertificatesPem") {
        Some(serde_json::Value::String(pem)) => vec![pem.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(serde_json::Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Runs a handler's body as `calls` says (see [`StoreCalls`]) and answers with what it
/// returns; a request whose SQLite commits could not be synced answers `500 server_error`
/// instead (what the engine answers for a failed store), never what the body returned.
async fn off_runtime<T: IntoResponse + Send + 'static>(
    calls: StoreCalls,
    body: impl FnOnce() -> T + Send + 'static,
) -> Response {
    use crate::error::ApiError;
    let answered = match calls {
        StoreCalls::Inline => Ok(body()),
        StoreCalls::Blocking => tokio::task::spawn_blocking(body)
            .await
            .map_err(|e| ApiError::server_error(&e)),
        StoreCalls::Sqlite(db) => match db.committed(body) {
            Ok(pending) => pending.await,
            Err(e) => Err(e),
        }
        .map_err(|e| ApiError::server_error(&e)),
    };
    match answered {
        Ok(answer) => answer.into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// The paths this process serves a metadata document at: `/.well-known/<suffix>`, and, when
/// the issuer identifier has a path (`https://host/tenant` behind a proxy that strips
/// `/tenant`), also where OpenID4VCI 1.0 §12.2.2, RFC 8414 §3.1 and SD-JWT VC put it:
/// `/.well-known/<suffix>/tenant`.
fn well_known_paths(document: oid4vci_types::WellKnown, issuer: &str) -> Vec<String> {
    let root = format!("/.well-known/{}", document.suffix());
    // The path part of the URL that the identifier's document has (after the authority).
    let inserted = document.url_for(issuer).ok().and_then(|url| {
        let after_scheme = url.split_once("://")?.1;
        after_scheme
            .find('/')
            .map(|at| after_scheme[at..].to_owned())
    });
    match inserted {
        Some(path) if path != root => vec![root, path],
        _ => vec![root],
    }
}

/// The issuer's router over `state`.
pub fn router(state: Arc<IssuerState>) -> Router {
    use oid4vci_types::WellKnown;
    let issuer = state.engine.settings().credential_issuer.clone();
    let mut routes = Router::new();
    for (document, handler) in [
        (
            WellKnown::CredentialIssuer,
            get(metadata::credential_issuer),
        ),
        (
            WellKnown::AuthorizationServer,
            get(metadata::authorization_server),
        ),
        (WellKnown::JwtVcIssuer, get(metadata::jwt_vc_issuer)),
    ] {
        for path in well_known_paths(document, &issuer) {
            routes = routes.route(&path, handler.clone());
        }
    }
    routes
        .route(oid4vci_issuer::PAR_PATH, post(endpoints::par))
        .route("/authorize", get(authorize::authorize))
        .route("/authorize/login", post(authorize::login))
        .route(
            "/authorize/consent",
            get(authorize::consent_page).post(authorize::consent),
        )
        .route(
            &format!("{OFFER_PAGE_PATH}/{{id}}"),
            get(offers::offer_page),
        )
        .route(STYLESHEET_PATH, get(pages::stylesheet))
        .route(crate::pki::IACA_CRL_PATH, get(metadata::iaca_crl))
        .route("/token", post(endpoints::token))
        .route("/nonce", post(endpoints::nonce))
        .route("/challenge", post(endpoints::challenge))
        .route("/credential", post(endpoints::credential))
        .route("/deferred_credential", post(endpoints::deferred_credential))
        .route("/notification", post(endpoints::notification))
        .route(
            &format!("{STATUS_LIST_PATH}/{{id}}"),
            get(status::status_list),
        )
        .route(
            &format!(
                "{STATUS_LIST_PATH}/{{id}}{}",
                oid4vci_issuer::STATUS_LIST_CWT_SUFFIX
            ),
            get(status::status_list_cwt),
        )
        .route("/admin/offers", post(admin::create_offer))
        .route("/admin/credentials", get(admin::list_credentials))
        .route("/admin/revoke", post(admin::revoke))
        .route("/admin/trust-anchors", get(admin::trust_anchors))
        .route("/admin/keys", get(keys::list))
        .route("/admin/keys/rotate", post(keys::rotate))
        .route("/admin/keys/retire", post(keys::retire))
        .route("/admin/audit", get(audit::audit_page))
        .route("/metrics", get(metrics::metrics))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            metrics::track,
        ))
        .fallback(|| async {
            crate::error::ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
        .layer(axum::middleware::map_response(json_payload_too_large))
        .with_state(state)
}

/// axum's answer to a body past [`MAX_REQUEST_BODY_BYTES`] is plain text; every error of this
/// issuer is OAuth JSON, so it becomes `413` with `invalid_request`.
async fn json_payload_too_large(response: Response) -> Response {
    // Only axum's body limit answers 413 here; the handlers never do.
    if response.status() != axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    crate::error::ApiError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "invalid_request",
        format!("the request body is larger than {MAX_REQUEST_BODY_BYTES} bytes"),
    )
    .into_response()
}

/// A server running on a background task.
#[derive(Debug)]
#[non_exhaustive]
pub struct RunningServer {
    /// The bound address.
    pub addr: SocketAddr,
    /// `http://{addr}`.
    pub base_url: String,
    /// The serving task.
    pub task: tokio::task::JoinHandle<()>,
}

/// Binds `listen` (port 0: an ephemeral port) and returns the listener and its base URL.
///
/// # Errors
/// [`DemoError::Io`] when binding fails.
pub async fn bind(listen: &str) -> Result<(TcpListener, String), DemoError> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    Ok((listener, format!("http://{addr}")))
}

/// Serves `router` on `listener` in a background task, with peer addresses for the admin
/// API's loopback check and deadlines for slow clients ([`crate::serve`]).
///
/// # Errors
/// [`DemoError::Io`] when the listener has no local address.
pub fn spawn(listener: TcpListener, router: Router) -> Result<RunningServer, DemoError> {
    spawn_with(listener, router, crate::serve::Deadlines::default())
}

/// [`spawn`] with other deadlines for slow clients.
///
/// # Errors
/// [`DemoError::Io`] when the listener has no local address.
pub fn spawn_with(
    listener: TcpListener,
    router: Router,
    deadlines: crate::serve::Deadlines,
) -> Result<RunningServer, DemoError> {
    let addr = listener.local_addr()?;
    let task = tokio::spawn(crate::serve::serve(listener, router, deadlines));
    Ok(RunningServer {
        addr,
        base_url: format!("http://{addr}"),
        task,
    })
}

/// Starts an issuer on `listen` with `config`, keeping its state in `storage`: the base URL is
/// `config.base_url` or `http://{bound address}`.
///
/// # Errors
/// As [`bind`] and [`IssuerState::open`].
pub async fn start(
    config: IssuerConfig,
    listen: &str,
    keystore: Keystore,
    clock: Arc<dyn Clock>,
    storage: &Storage,
) -> Result<(RunningServer, Arc<IssuerState>), DemoError> {
    start_with(config, listen, keystore, clock, storage, None).await
}

/// As [`start`], with the signing keys in the PKCS#11 token `hsm` when given (see
/// [`IssuerState::open_with`]).
///
/// # Errors
/// As [`bind`] and [`IssuerState::open_with`].
pub async fn start_with(
    config: IssuerConfig,
    listen: &str,
    keystore: Keystore,
    clock: Arc<dyn Clock>,
    storage: &Storage,
    hsm: Option<Hsm>,
) -> Result<(RunningServer, Arc<IssuerState>), DemoError> {
    let (listener, bound_url) = bind(listen).await?;
    let base_url = config.base_url.clone().unwrap_or(bound_url);
    // Opening the storage blocks on its database (and a PostgreSQL connection must not be
    // made on an async worker thread).
    let storage = storage.clone();
    let state = tokio::task::spawn_blocking(move || {
        IssuerState::open_with(config, base_url, keystore, clock, &storage, hsm.as_ref())
    })
    .await
    .map_err(|e| DemoError::Config(format!("issuer start-up: {e}")))??;
    let state = Arc::new(state);
    if state.keys.has_file() {
        // A fleet shares the rotation file: take up the other instances' rotations.
        tokio::spawn(keys::follow(Arc::downgrade(&state)));
    }
    let server = spawn(listener, router(Arc::clone(&state)))?;
    Ok((server, state))
}

#[cfg(test)]
mod tests {
    use oid4vci_types::WellKnown;

    use super::well_known_paths;

    /// An identifier with a path is also served where the specs put its documents (the
    /// well-known segment between host and path); one without has only the root paths, and so
    /// does one `url_for` refuses (plain http on a non-loopback host).
    #[test]
    fn metadata_is_served_where_an_identifier_with_a_path_puts_it() {
        assert_eq!(
            well_known_paths(WellKnown::CredentialIssuer, "https://issuer.example"),
            ["/.well-known/openid-credential-issuer"]
        );
        assert_eq!(
            well_known_paths(WellKnown::CredentialIssuer, "https://issuer.example/tenant"),
            [
                "/.well-known/openid-credential-issuer",
                "/.well-known/openid-credential-issuer/tenant"
            ]
        );
        assert_eq!(
            well_known_paths(WellKnown::JwtVcIssuer, "http://127.0.0.1:8080/a/b"),
            [
                "/.well-known/jwt-vc-issuer",
                "/.well-known/jwt-vc-issuer/a/b"
            ]
        );
        assert_eq!(
            well_known_paths(WellKnown::AuthorizationServer, "http://0.0.0.0:8080/a"),
            ["/.well-known/oauth-authorization-server"]
        );
    }
}
