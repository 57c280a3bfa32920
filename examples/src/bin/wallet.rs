//! `wallet --offer URI | --issuer URL [--mdl] [--attester URL] [--tx-code CODE] [--dpop] [--encrypt]
//! [--count N] [--code-flow [--user NAME]]`: runs the flow and prints the verified credentials'
//! claims. `--encrypt` encrypts the credential requests and asks for encrypted answers when the
//! issuer offers both. With
//! `--issuer`, the offer is created through that issuer's admin API (the demo issuer, on
//! loopback): an SD-JWT VC, or with `--mdl` an mDL (`mso_mdoc`).
//!
//! `--code-flow` runs the authorization code flow instead (it needs `--attester`): with
//! `--issuer`, wallet-initiated from the metadata; with `--offer`, an offer with the
//! `authorization_code` grant. The wallet signs in as the demo user, or as `--user NAME` with the
//! password from the `WALLET_PASSWORD` environment variable (never from the command line).

use std::process::ExitCode;
use std::sync::Arc;

use examples::args::Args;
use examples::clock::SystemClock;
use examples::config::{
    DEMO_PASSWORD, DEMO_USERNAME, IDENTITY_CONFIGURATION_ID, MDL_CONFIGURATION_ID,
};
use examples::demo;
use examples::error::DemoError;
use examples::narrate::Narrator;
use examples::wallet::{CodeFlowStart, VerifiedCredential, Wallet};

fn run() -> Result<(), DemoError> {
    let args = Args::parse(
        &["dpop", "mdl", "code-flow", "encrypt"],
        &["offer", "issuer", "attester", "tx-code", "count", "user"],
    )?;
    examples::logging::init("warn");
    let mut wallet = Wallet::new(Arc::new(SystemClock::new()), Narrator::stdout())?;
    if args.flag("dpop") {
        wallet = wallet.with_dpop()?;
    }
    if args.flag("encrypt") {
        wallet = wallet.with_encryption();
    }
    if let Some(attester) = args.value("attester") {
        // The attester is also the wallet provider that attests holder keys.
        wallet = wallet.with_key_attester(attester);
        wallet.fetch_attestation(attester)?;
    }
    let count = args
        .value("count")
        .map(str::parse)
        .transpose()
        .map_err(|_| DemoError::Config("--count must be a number".into()))?
        .unwrap_or(1);
    let configuration = if args.flag("mdl") {
        MDL_CONFIGURATION_ID
    } else {
        IDENTITY_CONFIGURATION_ID
    };
    if args.flag("code-flow") {
        let (user, password) = match args.value("user") {
            None => (DEMO_USERNAME.to_owned(), DEMO_PASSWORD.to_owned()),
            Some(user) => (
                user.to_owned(),
                std::env::var("WALLET_PASSWORD").map_err(|_| {
                    DemoError::Config("--user needs WALLET_PASSWORD in the environment".into())
                })?,
            ),
        };
        let start = match (args.value("offer"), args.value("issuer")) {
            (Some(offer), None) => CodeFlowStart::Offer(offer),
            (None, Some(issuer)) => CodeFlowStart::Metadata {
                issuer: issuer.trim_end_matches('/'),
                configuration_id: configuration,
            },
            _ => {
                return Err(DemoError::Config(
                    "give exactly one of --offer and --issuer".into(),
                ));
            }
        };
        let outcome = wallet.run_code_flow(start, &user, &password)?;
        return print_claims(&outcome.credentials);
    }
    let (offer, tx_code) = match (args.value("offer"), args.value("issuer")) {
        (Some(offer), None) => (offer.to_owned(), args.value("tx-code").map(str::to_owned)),
        (None, Some(issuer)) => {
            let claims = if args.flag("mdl") {
                demo::mdl_claims()
            } else {
                demo::demo_claims()
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
    print_claims(&outcome.credentials)
}

fn print_claims(credentials: &[VerifiedCredential]) -> Result<(), DemoError> {
    for credential in credentials {
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
