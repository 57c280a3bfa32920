//! `issuer [--config FILE] [--listen ADDR] [--data-dir DIR]
//! [--store memory|sqlite:PATH|postgres://...] [--replay redis://...] | --print-default-config`:
//! the demo issuer.
//!
//! Its keys live in the data directory (default `issuer-data` under the working directory, see
//! `examples::datadir`) and its state in SQLite there, or in PostgreSQL with `--store
//! postgres://...` (a fleet: every instance on one database and one keys file), with the
//! replay guard in Redis with `--replay`. Stop it and start it again and nothing is lost.
//! `--store memory` keeps everything in memory instead.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use examples::args::Args;
use examples::clock::SystemClock;
use examples::config::IssuerConfig;
use examples::error::DemoError;
use examples::issuer::Storage;
use examples::keystore::Keystore;

fn run() -> Result<(), DemoError> {
    let args = Args::parse(
        &["print-default-config"],
        &["config", "listen", "data-dir", "store", "replay"],
    )?;
    if args.flag("print-default-config") {
        println!("{}", IssuerConfig::default_config().to_json()?);
        return Ok(());
    }
    examples::logging::init("info");
    let config = match args.value("config") {
        Some(path) => IssuerConfig::from_json(&std::fs::read_to_string(path)?)?,
        None => IssuerConfig::default_config(),
    };
    let keystore = match &config.keystore {
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
            examples::issuer::start(config, &listen, keystore, clock, &storage).await?;
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
