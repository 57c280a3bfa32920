//! `attester [--keystore FILE] [--key-ref REF] [--client-id ID] [--listen ADDR]`: the Client
//! Attester service. A missing keystore file is created with a fresh ES256 key under `REF`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use examples::args::Args;
use examples::attester::{self, Attester};
use examples::clock::SystemClock;
use examples::config::DEMO_ATTESTER_KEY_REFERENCE;
use examples::demo::DEMO_CLIENT_ID;
use examples::error::DemoError;
use examples::keystore::Keystore;
use jose_core::{Algorithm, SystemRandom};

fn run() -> Result<(), DemoError> {
    let args = Args::parse(&[], &["keystore", "key-ref", "client-id", "listen"])?;
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
    let attester = Arc::new(Attester::new(
        keystore,
        key_ref,
        client_id,
        Arc::new(SystemClock::new()),
    )?);
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
