//! The demo issuer: OAuth authorization server and OpenID4VCI credential issuer in one axum
//! router, on one listener (the admin API answers loopback clients only).

mod access;
mod admin;
mod client_auth;
mod credential;
mod deferred;
mod lenient;
mod metadata;
mod mint;
mod nonce;
mod status;
mod token;

pub use admin::TX_CODE_LENGTH;
pub use lenient::{LENIENT_LOG_CAPACITY, LenientLog};
pub use status::STATUS_LIST_JWT_MEDIA_TYPE;

use core::net::SocketAddr;
use std::sync::Arc;

use attestation_jwt::{ClientAttestationConfig, ClientAttestationVerifier};
use axum::Router;
use axum::routing::{get, post};
use jose_core::{Algorithm, LocalSigner, SystemRandom};
use pop_verifier::{InMemoryReplayGuard, ReplayGuard, StatelessNonces};
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::{IssuerConfig, SigningKeyConfig};
use crate::error::DemoError;
use crate::keystore::Keystore;
use crate::pki::{DemoCa, LeafKind};
use oid4vci_issuer::{
    AccessTokenStore, CredentialRegistry, DeferredStore, InMemoryAccessTokens,
    InMemoryCredentialRegistry, InMemoryDeferred, InMemoryNotifications, InMemoryPreAuthCodes,
    InMemoryRefreshTokens, InMemoryStatusLists, NotificationStore, PreAuthCodeStore,
    RefreshTokenStore, StatusListStore,
};

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

/// Path of the status lists (`{base}/status-lists/{id}`).
pub const STATUS_LIST_PATH: &str = "/status-lists";

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

/// Everything the request handlers share.
#[non_exhaustive]
pub struct IssuerState {
    /// The configuration.
    pub config: IssuerConfig,
    /// The credential issuer identifier (also the AS issuer identifier).
    pub base_url: String,
    /// The credential and status list signing key.
    pub signer: LocalSigner,
    /// The `kid` of [`Self::signer`] (its JWK thumbprint).
    pub kid: String,
    /// The `x5c` of credentials and status list tokens: [`Self::signer`]'s certificate from
    /// the demo issuer CA (leaf only: the root is the verifier's trust anchor, as HAIP wants).
    pub x5c: Vec<Vec<u8>>,
    /// The mdoc Document Signer key (ES256), certified by the demo IACA.
    pub mdoc_signer: LocalSigner,
    /// The `x5chain` of mdoc `issuerAuth`: the Document Signer certificate (no IACA).
    pub mdoc_x5chain: Vec<Vec<u8>>,
    /// The parsed `clientAttestationConfig`.
    pub attestation: Option<ClientAttestationConfig>,
    /// The client attestation verifier, built once from [`Self::attestation`] at start-up.
    pub client_attestation: Option<Arc<ClientAttestationVerifier>>,
    /// The keystore that `kms-key` references resolve against.
    pub keystore: Keystore,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub rng: SystemRandom,
    /// c_nonce, attestation challenge and DPoP nonce keys.
    pub nonces: StatelessNonces,
    /// PoP / DPoP `jti` replay guard.
    pub replay: Arc<dyn ReplayGuard>,
    /// Pre-authorized codes.
    pub codes: Arc<dyn PreAuthCodeStore>,
    /// Access tokens.
    pub tokens: Arc<dyn AccessTokenStore>,
    /// Refresh token families.
    pub refresh: Arc<dyn RefreshTokenStore>,
    /// Issued credentials.
    pub registry: Arc<dyn CredentialRegistry>,
    /// Status lists.
    pub status: Arc<dyn StatusListStore>,
    /// Deferred transactions.
    pub deferred: Arc<dyn DeferredStore>,
    /// Notification ids.
    pub notifications: Arc<dyn NotificationStore>,
    /// The PEM roots a verifier needs for this issuer's certificates.
    pub trust_anchors: TrustAnchors,
    /// Lenient-mode acceptances, also logged as warnings (read by tests and the demo).
    pub lenient_log: LenientLog,
}

impl core::fmt::Debug for IssuerState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IssuerState")
            .field("base_url", &self.base_url)
            .field("kid", &self.kid)
            .field("attestation", &self.attestation)
            .finish_non_exhaustive()
    }
}

impl IssuerState {
    /// Builds the state with in-memory stores.
    ///
    /// # Errors
    /// [`DemoError::Config`] when the signing key or the attestation configuration is
    /// unusable (the message names the configuration path, e.g.
    /// `clientAttestationConfig: verificationMethod.keyReference: does not resolve: ...`), or a
    /// demo certificate cannot be generated (a P-521 signing key).
    pub fn new(
        config: IssuerConfig,
        base_url: String,
        keystore: Keystore,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, DemoError> {
        config.check()?;
        let rng = SystemRandom::new();
        let signer = match &config.signing_key {
            SigningKeyConfig::Generated { alg } => LocalSigner::generate(*alg, &rng)?,
            SigningKeyConfig::Pkcs8File { alg, path } => {
                let der = std::fs::read(path)?;
                LocalSigner::from_pkcs8(*alg, &der)
                    .map_err(|e| DemoError::Config(format!("signingKey: {e}")))?
            }
        };
        let kid = signer.public_jwk().thumbprint_base64url();
        let now = clock.now();
        let issuer_ca = DemoCa::generate(ISSUER_CA_NAME, now)?;
        let x5c = issuer_ca.issue(
            "Demo Credential Issuer",
            &signer.public_jwk(),
            &LeafKind::CredentialIssuer {
                issuer: base_url.trim_end_matches('/').to_owned(),
            },
            now,
        )?;
        let iaca = DemoCa::generate(IACA_NAME, now)?;
        let mdoc_signer = LocalSigner::generate(Algorithm::Es256, &rng)?;
        let mdoc_x5chain = iaca.issue(
            "Demo mDL Document Signer",
            &mdoc_signer.public_jwk(),
            &LeafKind::DocumentSigner,
            now,
        )?;
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
                ClientAttestationVerifier::builder(config, base_url.trim_end_matches('/'))
                    .with_key_resolver(Arc::new(keystore.clone()))
                    .with_attestation_algorithms(ACCEPTED_ALGORITHMS)
                    .with_pop_algorithms(ACCEPTED_ALGORITHMS)
                    .build()
            })
            .transpose()
            .map_err(|e| DemoError::Config(format!("clientAttestationConfig: {e}")))?;
        let mut secret = [0u8; 32];
        jose_core::RandomSource::fill(&rng, &mut secret)?;
        let nonces = StatelessNonces::new(&secret, None)
            .map_err(|e| DemoError::Config(format!("nonce secret: {e}")))?;
        let status_list_size = config.status_list_size;
        let config_attestation_roots = config.client_attestation_config.clone();
        Ok(Self {
            config,
            base_url: base_url.trim_end_matches('/').to_owned(),
            signer,
            kid,
            x5c,
            mdoc_signer,
            mdoc_x5chain,
            attestation,
            client_attestation,
            keystore,
            clock,
            rng,
            nonces,
            replay: Arc::new(InMemoryReplayGuard::default()),
            codes: Arc::new(InMemoryPreAuthCodes::default()),
            tokens: Arc::new(InMemoryAccessTokens::default()),
            refresh: Arc::new(InMemoryRefreshTokens::default()),
            registry: Arc::new(InMemoryCredentialRegistry::default()),
            status: Arc::new(InMemoryStatusLists::new(status_list_size)),
            deferred: Arc::new(InMemoryDeferred::default()),
            notifications: Arc::new(InMemoryNotifications::default()),
            trust_anchors: TrustAnchors {
                credential_issuer: vec![issuer_ca.root_pem().to_owned()],
                mdoc_iaca: vec![iaca.root_pem().to_owned()],
                attester: configured_attester_roots(config_attestation_roots.as_ref()),
            },
            lenient_log: LenientLog::default(),
        })
    }

    /// `{base_url}{path}`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The lenient-mode acceptances logged so far.
    #[must_use]
    pub fn lenient_warnings(&self) -> Vec<String> {
        self.lenient_log.entries()
    }

    /// A random base64url handle of 32 bytes.
    pub(crate) fn random_handle(&self) -> Result<String, crate::error::ApiError> {
        jose_core::random_base64url(&self.rng, 32)
            .map_err(|e| crate::error::ApiError::server_error(&e))
    }
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

/// The issuer's router over `state`.
pub fn router(state: Arc<IssuerState>) -> Router {
    Router::new()
        .route(
            "/.well-known/openid-credential-issuer",
            get(metadata::credential_issuer),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::authorization_server),
        )
        .route("/.well-known/jwt-vc-issuer", get(metadata::jwt_vc_issuer))
        .route("/token", post(token::token))
        .route("/nonce", post(nonce::nonce))
        .route("/challenge", post(nonce::challenge))
        .route("/credential", post(credential::credential))
        .route("/deferred_credential", post(deferred::deferred_credential))
        .route("/notification", post(deferred::notification))
        .route(
            &format!("{STATUS_LIST_PATH}/{{id}}"),
            get(status::status_list),
        )
        .route("/admin/offers", post(admin::create_offer))
        .route("/admin/credentials", get(admin::list_credentials))
        .route("/admin/revoke", post(admin::revoke))
        .route("/admin/trust-anchors", get(admin::trust_anchors))
        .fallback(|| async {
            crate::error::ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint",
            )
        })
        .with_state(state)
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

/// Serves `router` on `listener` in a background task (with peer addresses for the admin
/// API's loopback check).
///
/// # Errors
/// [`DemoError::Io`] when the listener has no local address.
pub fn spawn(listener: TcpListener, router: Router) -> Result<RunningServer, DemoError> {
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(RunningServer {
        addr,
        base_url: format!("http://{addr}"),
        task,
    })
}

/// Starts an issuer on `listen` with `config`: the base URL is `config.base_url` or
/// `http://{bound address}`.
///
/// # Errors
/// As [`bind`] and [`IssuerState::new`].
pub async fn start(
    config: IssuerConfig,
    listen: &str,
    keystore: Keystore,
    clock: Arc<dyn Clock>,
) -> Result<(RunningServer, Arc<IssuerState>), DemoError> {
    let (listener, bound_url) = bind(listen).await?;
    let base_url = config.base_url.clone().unwrap_or(bound_url);
    let state = Arc::new(IssuerState::new(config, base_url, keystore, clock)?);
    let server = spawn(listener, router(Arc::clone(&state)))?;
    Ok((server, state))
}
