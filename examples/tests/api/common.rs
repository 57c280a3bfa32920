//! Shared set-up: servers on ephemeral ports, a manual clock shared by every party.

use std::sync::Arc;

use examples::clock::{Clock, ManualClock};
use examples::config::{IDENTITY_CONFIGURATION_ID, IssuerConfig};
use examples::demo::{self, DemoEnv};
use examples::narrate::Narrator;
use examples::wallet::{IssuerInfo, Tokens, Wallet};
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
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let clock = Arc::new(ManualClock::new(UnixTime::from_secs(START)));
        let shared: Arc<dyn Clock> = clock.clone();
        let env = runtime
            .block_on(demo::start(shared, attestation, configure))
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
        demo::create_offer(
            &examples::wallet::Http::new(),
            &self.env.issuer_url,
            IDENTITY_CONFIGURATION_ID,
            &demo::demo_claims(),
            tx_code,
        )
        .unwrap()
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
