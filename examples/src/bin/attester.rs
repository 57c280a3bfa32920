//! `attester [--keystore FILE] [--key-ref REF] [--client-id ID] [--listen ADDR] [--ca-out FILE]
//! [--pkcs11-module PATH --pkcs11-token LABEL (--pkcs11-pin-env NAME | --pkcs11-pin-file PATH)]`:
//! the Client Attester service. A missing keystore file is created with a fresh ES256 key under
//! `REF`. With the `--pkcs11-*` options (see `examples::hsm`) the key is the token's key
//! labelled `REF` instead, created there on first use; no keystore file is read or written. At every start a fresh demo attester CA certifies that key; attestations carry the
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
use examples::hsm::HsmOptions;
use examples::keystore::Keystore;
use examples::pki::{DemoCa, LeafKind};
use jose_core::{Algorithm, PublicJwk, Signer, SystemRandom};

fn run() -> Result<(), DemoError> {
    let mut known = vec!["keystore", "key-ref", "client-id", "listen", "ca-out"];
    known.extend_from_slice(examples::hsm::HSM_OPTIONS);
    let args = Args::parse(&[], &known)?;
    examples::logging::init("info");
    let key_ref = args.value("key-ref").unwrap_or(DEMO_ATTESTER_KEY_REFERENCE);
    let (signer, key) = match HsmOptions::from_args(&args)? {
        Some(options) => {
            if args.value("keystore").is_some() {
                return Err(DemoError::Config(
                    "--keystore and the --pkcs11-* options exclude each other".into(),
                ));
            }
            let key = options
                .open()?
                .find_or_generate(Algorithm::Es256, key_ref)?;
            (key.dyn_signer(), key.public_jwk)
        }
        None => keystore_key(
            Path::new(args.value("keystore").unwrap_or("demo-keystore.json")),
            key_ref,
        )?,
    };
    let client_id = args.value("client-id").unwrap_or(DEMO_CLIENT_ID);
    let clock = Arc::new(SystemClock::new());
    let ca = DemoCa::generate(ATTESTER_CA_NAME, clock.now())?;
    let chain = ca.issue(
        "Demo Client Attester",
        &key,
        &LeafKind::Attester,
        clock.now(),
    )?;
    let ca_out = Path::new(args.value("ca-out").unwrap_or("demo-attester-ca.pem"));
    std::fs::write(ca_out, ca.root_pem())?;
    tracing::info!(path = %ca_out.display(), "wrote the attester CA root (x509-chain trustedRootCertificatesPem)");
    let attester =
        Arc::new(Attester::with_signer(signer, key_ref, client_id, clock).with_x5c(chain));
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

/// The key `key_ref` of the keystore file at `path`, created with a fresh ES256 key when missing.
fn keystore_key(
    path: &Path,
    key_ref: &str,
) -> Result<(Arc<dyn Signer + Send + Sync>, PublicJwk), DemoError> {
    let keystore = if path.exists() {
        Keystore::load(path)?
    } else {
        let mut keystore = Keystore::new();
        keystore.generate(key_ref, Algorithm::Es256, &SystemRandom::new())?;
        keystore.save(path)?;
        tracing::info!(path = %path.display(), "created keystore with a fresh key");
        keystore
    };
    let missing = || DemoError::Keystore(format!("no key {key_ref} in the keystore"));
    let signer = keystore.signer(key_ref).ok_or_else(missing)?;
    let key = keystore.public_jwk(key_ref).ok_or_else(missing)?;
    Ok((signer, key))
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
