//! `attester [--keystore FILE] [--key-ref REF] [--client-id ID] [--listen ADDR] [--ca-out FILE]`:
//! the Client Attester service. A missing keystore file is created with a fresh ES256 key under
//! `REF`. At every start a fresh demo attester CA certifies that key; attestations carry the
//! certificate in `x5c`, and the CA root is written to `FILE` (default
//! `demo-attester-ca.pem`) for an issuer's `x509-chain` `trustedRootCertificatesPem`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use examples::args::Args;
use examples::attester::{self, Attester};
use examples::clock::{Clock, SystemClock};
use examples::config::DEMO_ATTESTER_KEY_REFERENCE;
use examples::demo::{ATTESTER_CA_NAME, DEMO_CLIENT_ID};
use examples::error::DemoError;
use examples::keystore::Keystore;
use examples::pki::{DemoCa, LeafKind};
use jose_core::{Algorithm, SystemRandom};

fn run() -> Result<(), DemoError> {
    let args = Args::parse(
        &[],
        &["keystore", "key-ref", "client-id", "listen", "ca-out"],
    )?;
    examples::logging::init("info");
    let path = Path::new(args.value("keystore").unwrap_or("demo-keystore.json"));
    let key_ref = args.value("key-ref").unwrap_or(DEMO_ATTESTER_KEY_REFERENCE);
    let keystore = if path.exists() {
        Keystore::load(path)?
    } else {
        let mut keystore = Keystore::new();
        keystore.generate(key_ref, Algorithm::Es256, &SystemRandom::new())?;
        keystore.save(path)?;
        tracing::info!(path = %path.display(), "created keystore with a fresh key");
        keystore
    };
    let client_id = args.value("client-id").unwrap_or(DEMO_CLIENT_ID);
    let clock = Arc::new(SystemClock::new());
    let ca = DemoCa::generate(ATTESTER_CA_NAME, clock.now())?;
    let key = keystore
        .public_jwk(key_ref)
        .ok_or_else(|| DemoError::Keystore(format!("no key {key_ref} in the keystore")))?;
    let chain = ca.issue(
        "Demo Client Attester",
        &key,
        &LeafKind::Attester,
        clock.now(),
    )?;
    let ca_out = Path::new(args.value("ca-out").unwrap_or("demo-attester-ca.pem"));
    std::fs::write(ca_out, ca.root_pem())?;
    tracing::info!(path = %ca_out.display(), "wrote the attester CA root (x509-chain trustedRootCertificatesPem)");
    let attester = Arc::new(Attester::new(keystore, key_ref, client_id, clock)?.with_x5c(chain));
    let listen = args.value("listen").unwrap_or("127.0.0.1:8081").to_owned();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let (listener, url) = examples::issuer::bind(&listen).await?;
        examples::issuer::spawn(listener, attester::router(attester))?;
        tracing::info!(url = %url, "attester listening: POST /attestations {{\"jwk\": ...}}");
        tokio::signal::ctrl_c().await?;
        Ok(())
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("attester: {e}");
            ExitCode::FAILURE
        }
    }
}
