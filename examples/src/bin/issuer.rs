//! `issuer [--config FILE] [--listen ADDR] | --print-default-config`: the demo issuer.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use examples::args::Args;
use examples::clock::SystemClock;
use examples::config::IssuerConfig;
use examples::error::DemoError;
use examples::keystore::Keystore;

fn run() -> Result<(), DemoError> {
    let args = Args::parse(&["print-default-config"], &["config", "listen"])?;
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
    let listen = args.value("listen").unwrap_or("127.0.0.1:8080").to_owned();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let (server, _state) =
            examples::issuer::start(config, &listen, keystore, Arc::new(SystemClock::new())).await?;
        tracing::info!(base_url = %server.base_url, "issuer listening (state is in memory: a restart forgets it)");
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
