//! `issuer [--config FILE] [--listen ADDR] [--data-dir DIR]
//! [--store memory|sqlite:PATH|postgres://...] [--replay redis://...]
//! [--pkcs11-module PATH --pkcs11-token LABEL (--pkcs11-pin-env NAME | --pkcs11-pin-file PATH)]
//! | --print-default-config`: the demo issuer.
//!
//! Its keys live in the data directory (default `issuer-data` under the working directory, see
//! `examples::datadir`) and its state in SQLite there, or in PostgreSQL with `--store
//! postgres://...` (a fleet: every instance on one database and one keys file), with the
//! replay guard in Redis with `--replay`. Stop it and start it again and nothing is lost.
//! `--store memory` keeps everything in memory instead.
//!
//! With the `--pkcs11-*` options (see `examples::hsm`) the credential, status-list and mdoc
//! signing keys live in a PKCS#11 token instead: created there on first use, they sign inside
//! it, and the `kms-key` attester key reference is looked up in it (the `keystore` file of the
//! configuration is then not read).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use examples::args::Args;
use examples::clock::SystemClock;
use examples::config::IssuerConfig;
use examples::error::DemoError;
use examples::hsm::HsmOptions;
use examples::issuer::Storage;
use examples::keystore::Keystore;

fn run() -> Result<(), DemoError> {
    let mut known = vec!["config", "listen", "data-dir", "store", "replay"];
    known.extend_from_slice(examples::hsm::HSM_OPTIONS);
    let args = Args::parse(&["print-default-config"], &known)?;
    if args.flag("print-default-config") {
        println!("{}", IssuerConfig::default_config().to_json()?);
        return Ok(());
    }
    examples::logging::init("info");
    let config = match args.value("config") {
        Some(path) => IssuerConfig::from_json(&std::fs::read_to_string(path)?)?,
        None => IssuerConfig::default_config(),
    };
    let hsm = HsmOptions::from_args(&args)?
        .map(|options| options.open())
        .transpose()?;
    let keystore = match &config.keystore {
        // kms-key references resolve through the token.
        _ if hsm.is_some() => Keystore::new(),
        Some(path) if Path::new(path).exists() => Keystore::load(path)?,
        Some(path) => {
            return Err(DemoError::Config(format!(
                "keystore: {} does not exist (run the attester once to create it, or remove \"keystore\")",
                path.display()
            )));
        }
        None => Keystore::new(),
    };
    let storage = Storage::from_options(
        args.value("store"),
        args.value("data-dir"),
        args.value("replay"),
    )?;
    let listen = args.value("listen").unwrap_or("127.0.0.1:8080").to_owned();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let clock = Arc::new(SystemClock::new());
        let (server, _state) =
            examples::issuer::start_with(config, &listen, keystore, clock, &storage, hsm).await?;
        tracing::info!(base_url = %server.base_url, "issuer listening");
        tokio::signal::ctrl_c().await?;
        Ok(())
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("issuer: {e}");
            ExitCode::FAILURE
        }
    }
}
