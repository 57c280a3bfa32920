//! Shared set-up: servers on ephemeral ports, a manual clock shared by every party.

use std::sync::Arc;

use examples::clock::{Clock, ManualClock};
use examples::config::{IDENTITY_CONFIGURATION_ID, IssuerConfig};
use examples::demo::{self, DemoEnv, create_offer, demo_claims};
use examples::narrate::Narrator;
use examples::pki::DemoCa;
use examples::wallet::{Http, IssuerInfo, Tokens, VerifiedCredential, Wallet};
use jose_core::UnixTime;
use serde_json::{Value, json};

pub(crate) struct TestEnv {
    pub(crate) env: DemoEnv,
    pub(crate) clock: Arc<ManualClock>,
    // Keeps the server tasks alive.
    _runtime: tokio::runtime::Runtime,
}

pub(crate) const START: i64 = 1_800_000_000;

impl TestEnv {
    pub(crate) fn start() -> Self {
        Self::with(None, |_| {})
    }

    pub(crate) fn with(
        attestation: Option<Value>,
        configure: impl FnOnce(&mut IssuerConfig),
    ) -> Self {
        let ca = DemoCa::generate("Test Attester CA", UnixTime::from_secs(START)).unwrap();
        Self::with_attester_ca(&ca, attestation, configure)
    }

    /// An environment whose attester is certified by `ca`.
    pub(crate) fn with_attester_ca(
        ca: &DemoCa,
        attestation: Option<Value>,
        configure: impl FnOnce(&mut IssuerConfig),
    ) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let clock = Arc::new(ManualClock::new(UnixTime::from_secs(START)));
        let shared: Arc<dyn Clock> = clock.clone();
        let env = runtime
            .block_on(demo::start_with_attester_ca(
                shared,
                ca,
                attestation,
                configure,
            ))
            .unwrap();
        Self {
            env,
            clock,
            _runtime: runtime,
        }
    }

    pub(crate) fn lenient() -> Self {
        Self::with(
            Some(json!({
                "required": false,
                "verificationMethod": {"type": "kms-key", "keyReference": "demo-attester"}
            })),
            |_| {},
        )
    }

    /// A wallet on the shared clock, with an attestation from the demo attester.
    pub(crate) fn wallet(&self) -> Wallet {
        let mut wallet = Wallet::new(self.clock.clone(), Narrator::quiet()).unwrap();
        wallet.fetch_attestation(&self.env.attester_url).unwrap();
        wallet
    }

    pub(crate) fn offer(&self, tx_code: bool) -> (String, Option<String>, String) {
        self.offer_for(IDENTITY_CONFIGURATION_ID, &demo_claims(), tx_code)
    }

    pub(crate) fn offer_for(
        &self,
        configuration_id: &str,
        claims: &Value,
        tx_code: bool,
    ) -> (String, Option<String>, String) {
        create_offer(
            &Http::new(),
            &self.env.issuer_url,
            configuration_id,
            claims,
            tx_code,
        )
        .unwrap()
    }

    /// `POST /admin/offers` with `body`, answered as it is.
    pub(crate) fn admin_offer(&self, body: &Value) -> examples::wallet::Reply {
        Http::new()
            .post_json(
                "offer",
                &format!("{}/admin/offers", self.env.issuer_url),
                body,
                &[],
            )
            .unwrap()
    }

    /// The served `GET /admin/trust-anchors` document.
    pub(crate) fn served_anchors(&self) -> Value {
        Http::new()
            .get(
                "anchors",
                &format!("{}/admin/trust-anchors", self.env.issuer_url),
            )
            .unwrap()
            .expect("anchors", 200)
            .unwrap()
            .body
    }

    /// A trust store of the PEM roots served under `name`.
    pub(crate) fn served_roots(&self, name: &str) -> trust_x509::TrustAnchors {
        let body = self.served_anchors();
        let pems: Vec<String> = body[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        examples::wallet::anchors(&pems).unwrap().unwrap()
    }

    /// Discovery plus a redeemed pre-authorized code for `configuration_id` (demo claims).
    pub(crate) fn tokens_for(
        &self,
        wallet: &Wallet,
        configuration_id: &str,
    ) -> (IssuerInfo, Tokens) {
        let info = wallet.discover(&self.env.issuer_url).unwrap();
        let (_, _, code) = self.offer_for(configuration_id, &demo_claims(), false);
        let tokens = wallet.redeem(&info, &code, None).unwrap();
        (info, tokens)
    }

    /// Discovery plus a redeemed pre-authorized code.
    pub(crate) fn tokens(&self, wallet: &Wallet) -> (IssuerInfo, Tokens) {
        let info = wallet.discover(&self.env.issuer_url).unwrap();
        let (_, tx, code) = self.offer(false);
        assert!(tx.is_none());
        let tokens = wallet.redeem(&info, &code, None).unwrap();
        (info, tokens)
    }
}

/// A key proof by a fresh holder key, with a fresh `c_nonce`.
pub(crate) fn fresh_proof(wallet: &Wallet, info: &IssuerInfo) -> String {
    let nonce = wallet.nonce(info).unwrap();
    wallet
        .proof(&info.issuer, &wallet.new_holder_key().unwrap(), &nonce)
        .unwrap()
}

/// The default configuration without client or key attestation (and without the configurations
/// that require a key attestation): for tests about something else that start no attester.
pub(crate) fn config_without_attestation() -> IssuerConfig {
    let mut config = IssuerConfig::default_config();
    config.keystore = None;
    config.client_attestation_config = None;
    config.key_attestation_config = None;
    config
        .credential_configurations
        .retain(|c| c.key_attestations_required.is_none());
    config
}

/// One identity credential through the whole pre-authorized flow: an offer from the admin API
/// of the issuer at `url`, redeemed by `wallet`.
pub(crate) fn issue_identity_credential(
    http: &Http,
    url: &str,
    wallet: &Wallet,
) -> VerifiedCredential {
    let (uri, _, _) =
        create_offer(http, url, IDENTITY_CONFIGURATION_ID, &demo_claims(), false).unwrap();
    wallet
        .run_offer(&uri, None, 1)
        .unwrap()
        .credentials
        .remove(0)
}

/// Asserts that the file at `path` is readable and writable by its owner only (Unix).
pub(crate) fn assert_owner_only(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
}
