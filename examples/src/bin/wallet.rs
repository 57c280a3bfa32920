//! `wallet --offer URI | --issuer URL [--mdl] [--attester URL] [--tx-code CODE] [--dpop] [--count N]`:
//! runs the flow and prints the verified credentials' claims. With `--issuer`, the offer is
//! created through that issuer's admin API (the demo issuer, on loopback): an SD-JWT VC, or
//! with `--mdl` an mDL (`mso_mdoc`).

use std::process::ExitCode;
use std::sync::Arc;

use examples::args::Args;
use examples::clock::SystemClock;
use examples::config::{IDENTITY_CONFIGURATION_ID, MDL_CONFIGURATION_ID};
use examples::demo;
use examples::error::DemoError;
use examples::narrate::Narrator;
use examples::wallet::Wallet;

fn run() -> Result<(), DemoError> {
    let args = Args::parse(
        &["dpop", "mdl"],
        &["offer", "issuer", "attester", "tx-code", "count"],
    )?;
    examples::logging::init("warn");
    let mut wallet = Wallet::new(Arc::new(SystemClock::new()), Narrator::stdout())?;
    if args.flag("dpop") {
        wallet = wallet.with_dpop()?;
    }
    if let Some(attester) = args.value("attester") {
        wallet.fetch_attestation(attester)?;
    }
    let count = args
        .value("count")
        .map(str::parse)
        .transpose()
        .map_err(|_| DemoError::Config("--count must be a number".into()))?
        .unwrap_or(1);
    let (offer, tx_code) = match (args.value("offer"), args.value("issuer")) {
        (Some(offer), None) => (offer.to_owned(), args.value("tx-code").map(str::to_owned)),
        (None, Some(issuer)) => {
            let (configuration, claims) = if args.flag("mdl") {
                (MDL_CONFIGURATION_ID, demo::mdl_claims())
            } else {
                (IDENTITY_CONFIGURATION_ID, demo::demo_claims())
            };
            let (uri, tx, _) = demo::create_offer(
                &wallet.http,
                issuer.trim_end_matches('/'),
                configuration,
                &claims,
                false,
            )?;
            (uri, tx)
        }
        _ => {
            return Err(DemoError::Config(
                "give exactly one of --offer and --issuer".into(),
            ));
        }
    };
    let outcome = wallet.run_offer(&offer, tx_code.as_deref(), count)?;
    for credential in &outcome.credentials {
        let claims = serde_json::Value::Object(credential.claims.clone());
        let text = serde_json::to_string_pretty(&claims)
            .map_err(|e| DemoError::Protocol(format!("claims: {e}")))?;
        println!("{text}");
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wallet: {e}");
            ExitCode::FAILURE
        }
    }
}
