//! `load [--issuances N] [--concurrency C] [--batch B] [--seconds S]
//! [--store memory|sqlite|postgres://…] [--instances K] [--issuer URL --attester URL
//! [--server-pid PID]]`: the load generator (see `examples::load`). Without `--issuer` it
//! starts a demo attester and issuer of its own (the binaries beside it) on loopback, with the
//! given store (PostgreSQL: an existing database, which the issuer migrates; with
//! `--instances K`, K issuers on it behind a round-robin proxy); with `--issuer` it loads that
//! issuer, which must be on loopback. Exits 1 when anything was lost, duplicated, accepted
//! twice or failed.

use core::time::Duration;
use std::process::ExitCode;

use examples::args::Args;
use examples::error::DemoError;
use examples::load::{self, LoadOptions, LoadStore, LocalServers, Target};

fn number(args: &Args, name: &str, default: usize) -> Result<usize, DemoError> {
    args.value(name).map_or(Ok(default), |v| {
        v.parse()
            .map_err(|_| DemoError::Config(format!("--{name} {v}: not a number")))
    })
}

fn run() -> Result<bool, DemoError> {
    let args = Args::parse(
        &[],
        &[
            "issuances",
            "concurrency",
            "batch",
            "seconds",
            "store",
            "instances",
            "issuer",
            "attester",
            "server-pid",
        ],
    )?;
    let defaults = LoadOptions::default();
    let options = LoadOptions::default()
        .with_counts(
            number(&args, "issuances", defaults.issuances)?,
            number(&args, "concurrency", defaults.concurrency)?,
            number(&args, "batch", defaults.batch)?,
        )
        .with_time_limit(Duration::from_secs(
            u64::try_from(number(&args, "seconds", 120)?)
                .map_err(|_| DemoError::Config("--seconds: too large".into()))?,
        ));
    let mut sqlite_dir = None;
    let _servers;
    let target = match args.value("issuer") {
        Some(issuer) => {
            let attester = args.value("attester").ok_or_else(|| {
                DemoError::Config("--issuer needs --attester (the wallets' attester)".into())
            })?;
            let pid = args
                .value("server-pid")
                .map(|p| {
                    p.parse()
                        .map_err(|_| DemoError::Config(format!("--server-pid {p}: not a pid")))
                })
                .transpose()?;
            Target::new(issuer.to_owned(), attester.to_owned(), pid)
        }
        None => {
            let store = args.value("store").unwrap_or("memory");
            let instances = number(&args, "instances", 1)?;
            let servers = match store {
                "memory" => LocalServers::start(LoadStore::InMemory, options.batch)?,
                "sqlite" => LocalServers::start(LoadStore::Sqlite, options.batch)?,
                url if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                    LocalServers::fleet(&["--store", url], instances.max(1), options.batch)?
                }
                other => {
                    return Err(DemoError::Config(format!(
                        "--store {other}: expected memory, sqlite or a postgres:// URL"
                    )));
                }
            };
            let target = servers.target.clone();
            if store == "sqlite" {
                sqlite_dir = Some(servers.dir().to_owned());
            }
            _servers = servers;
            target
        }
    };
    eprintln!(
        "load: {} issuances, {} wallets, batches of {} against {}",
        options.issuances, options.concurrency, options.batch, target.issuer_url
    );
    let mut report = load::run(&target, &options)?;
    if let Some(dir) = sqlite_dir {
        // Timed after the load, on the issuer's file system, for as many issuances (up to
        // 2,000) as the load ran.
        // The load's report stands without it.
        let rounds = report.issuances.clamp(1, 2_000);
        match load::durable_floor(&dir, options.batch, 200, rounds) {
            Ok(floor) => report = report.with_durable_floor(floor),
            Err(e) => eprintln!("load: the durable floor was not timed: {e}"),
        }
    }
    print!("{report}");
    Ok(report.failures.is_empty()
        && report.replays_refused == report.replays_sent
        && report.issuances > 0)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::from(2)
        }
    }
}
