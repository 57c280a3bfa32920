//! pkcs11-signer: one ES256 signature made in a SoftHSM2 token (through the session pool,
//! with and without the verify-after-sign check) against one in-process signature on ring and
//! on aws-lc-rs.
//!
//! SoftHSM reads its configuration from `SOFTHSM2_CONF` when the module is initialised, so the
//! bench creates a temporary token directory and runs itself again as a child with that
//! variable set. Without SoftHSM2 (Debian package `softhsm2`) it prints why and does nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

use core::hint::black_box;
use std::path::Path;
use std::process::{Command, Stdio};

use benches::{measure_floors, print_floors};
use criterion::Criterion;
use jose_core::{Algorithm, Signer};
use pkcs11_signer::{PinSource, Token, TokenConfig};

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const LABEL: &str = "bench";
const PIN: &str = "246813";
/// Set in the child: the PIN (read through `PinSource::Env`, as a server would).
const PIN_ENV: &str = "PKCS11_BENCH_PIN";

fn bench(c: &mut Criterion) {
    let config = TokenConfig::new(MODULE, LABEL, PinSource::Env(PIN_ENV.into()));
    let token = Token::open(&config).unwrap();
    let checked = token.find_or_generate(Algorithm::Es256, "es256").unwrap();
    let unchecked = token
        .find_or_generate(Algorithm::Es256, "es256")
        .unwrap()
        .without_verify_after_sign();
    let pkcs8 = benches::fresh_pkcs8(Algorithm::Es256);
    // A JWS signing input of a typical credential's size.
    let input = vec![b'a'; 1200];

    let hsm = || {
        black_box(checked.sign(black_box(&input)).unwrap());
    };
    let hsm_unchecked = || {
        black_box(unchecked.sign(black_box(&input)).unwrap());
    };
    let floor = |provider| {
        let key = benches::signing_key_on(provider, Algorithm::Es256, &pkcs8);
        let input = &input;
        move || {
            black_box(key.sign(black_box(input)).unwrap());
        }
    };
    c.bench_function("pkcs11/softhsm_sign/ES256", |b| b.iter(hsm));
    c.bench_function("pkcs11/softhsm_sign_unchecked/ES256", |b| {
        b.iter(hsm_unchecked)
    });
    for provider in benches::PROVIDERS {
        let mut sign = floor(provider);
        c.bench_function(&format!("pkcs11/{}_sign/ES256", provider.name()), |b| {
            b.iter(&mut sign)
        });
    }
    print_floors(
        "pkcs11 SoftHSM ES256 sign (+ verify-after-sign) vs an in-process sign",
        &measure_floors(20, 20, hsm, floor),
    );
    print_floors(
        "pkcs11 SoftHSM ES256 sign (no verify-after-sign) vs an in-process sign",
        &measure_floors(20, 20, hsm_unchecked, floor),
    );
}

fn main() {
    if std::env::var_os(PIN_ENV).is_some() {
        let mut criterion = Criterion::default().configure_from_args();
        bench(&mut criterion);
        criterion.final_summary();
        return;
    }
    if !Path::new(MODULE).exists() {
        println!("pkcs11 bench skipped: {MODULE} is missing (install the Debian package softhsm2)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("pkcs11-bench-{}", std::process::id()));
    let tokens = dir.join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let init = Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", &conf)
        .args(["--init-token", "--free", "--label", LABEL])
        .args(["--so-pin", "97531357", "--pin", PIN])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status();
    let status = match init {
        Ok(status) if status.success() => Command::new(std::env::current_exe().unwrap())
            .args(std::env::args_os().skip(1))
            .env("SOFTHSM2_CONF", &conf)
            .env(PIN_ENV, PIN)
            .status()
            .unwrap(),
        other => {
            println!("pkcs11 bench skipped: softhsm2-util --init-token failed ({other:?})");
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success(), "the pkcs11 bench failed: {status}");
}
