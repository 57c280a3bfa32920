//! The load generator: `N` complete issuances at concurrency `C` against a demo issuer on
//! loopback, each as a HAIP wallet runs it, with the server's CPU time per issuance set against
//! the crypto floor of the same issuance, measured in the same run.
//!
//! One issuance, by one of `C` worker threads (each a wallet instance with its own client
//! attestation and DPoP key):
//! 1. `POST /admin/offers`: the operator's pre-authorized code (step `offer`);
//! 2. `POST /token`: the client attestation, a fresh PoP and a DPoP proof (step `token`; with the
//!    `/challenge` round trip when the issuer advertises one);
//! 3. the same token request again, byte for byte (step `token replay`): it must be refused
//!    for its replayed PoP or DPoP proof (`invalid_client` or `invalid_dpop_proof`);
//! 4. `POST /nonce` (step `nonce`);
//! 5. `POST /credential` with a batch of `B` key proofs for fresh holder keys, DPoP-bound
//!    (step `credential`);
//! 6. each credential verified against the issuer's `jwt-vc-issuer` key.
//!
//! After the run every status reference must be unique, and each must read VALID in the status
//! list the issuer serves. Any refusal, transport error or malformed answer is a failure,
//! reported with its reason.
//!
//! **The floor** of one issuance is what the server cannot avoid: `5 + B` ES256 verifications
//! (the attestation, its PoP, the DPoP proofs at `/token` and `/credential`, the `B` key
//! proofs, and the replayed request's DPoP proof, whose signature is checked before its `jti`
//! is found used) and `B` ES256 signatures (the credentials), timed here with the bare primitives
//! of the build's crypto provider (ring, or aws-lc-rs with the `aws-lc-rs` feature) on one core,
//! before the load and again after it; the lower reading counts, as a neighbour busy on the
//! machine during one reading only makes it slower. Access tokens are random handles, nonces are MACs, and the status list token is only
//! signed again when its list changed (see the issuer's status module), so none of those is a
//! signature per issuance. The server's CPU time is read from `/proc` (Linux), so the issuer
//! must be a separate process: [`LocalServers`] starts the demo binaries for that.

use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use jose_core::crypto::default_provider;
use jose_core::{Algorithm, LocalSigner, SystemRandom};
use sdjwt_vc::{IssuerMetadata, KeyBinding, Verifier};
use serde_json::{Value, json};
use status_list::StatusIndex;

use crate::clock::{Clock as _, SystemClock};
use crate::config::{IDENTITY_CONFIGURATION_ID, IssuerConfig};
use crate::demo::{create_offer, demo_claims};
use crate::error::DemoError;
use crate::issuer::ACCEPTED_ALGORITHMS;
use crate::narrate::Narrator;
use crate::spawn::{self, ChildServer, RoundRobinProxy};
use crate::wallet::{IssuerInfo, Tokens, Wallet, credential_request_body};

mod durable_floor;
pub use durable_floor::durable_floor;

/// The token request's grant type.
const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
/// The most issuances one run may ask for.
pub const MAX_ISSUANCES: usize = 1_000_000;
/// The most worker threads.
pub const MAX_CONCURRENCY: usize = 256;
/// The most credentials per issuance.
pub const MAX_BATCH: usize = 100;
/// The longest run.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);

/// How much load to generate.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Complete issuances to run (the run stops earlier at `time_limit`).
    pub issuances: usize,
    /// Worker threads, each a wallet instance.
    pub concurrency: usize,
    /// Credentials (key proofs) per credential request.
    pub batch: usize,
    /// The run stops starting issuances after this long.
    pub time_limit: Duration,
}

impl Default for LoadOptions {
    /// 200 issuances by 4 wallets, batches of 3, at most two minutes.
    fn default() -> Self {
        Self {
            issuances: 200,
            concurrency: 4,
            batch: 3,
            time_limit: Duration::from_secs(120),
        }
    }
}

impl LoadOptions {
    /// These options with `issuances`, `concurrency` and `batch`.
    #[must_use]
    pub const fn with_counts(mut self, issuances: usize, concurrency: usize, batch: usize) -> Self {
        self.issuances = issuances;
        self.concurrency = concurrency;
        self.batch = batch;
        self
    }

    /// These options with `time_limit`.
    #[must_use]
    pub const fn with_time_limit(mut self, time_limit: Duration) -> Self {
        self.time_limit = time_limit;
        self
    }

    fn check(&self) -> Result<(), DemoError> {
        let bad = |what: &str| Err(DemoError::Config(format!("load: {what}")));
        if self.issuances == 0 || self.issuances > MAX_ISSUANCES {
            return bad(&format!("issuances must be 1..={MAX_ISSUANCES}"));
        }
        if self.concurrency == 0 || self.concurrency > MAX_CONCURRENCY {
            return bad(&format!("concurrency must be 1..={MAX_CONCURRENCY}"));
        }
        if self.batch == 0 || self.batch > MAX_BATCH {
            return bad(&format!("batch must be 1..={MAX_BATCH}"));
        }
        if self.time_limit.is_zero() || self.time_limit > MAX_DURATION {
            return bad("the time limit must be at most an hour");
        }
        Ok(())
    }
}

/// The issuer under load.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Target {
    /// The issuer's base URL (loopback only).
    pub issuer_url: String,
    /// The attester's base URL.
    pub attester_url: String,
    /// The process ids of the issuer (one per instance of a fleet), for the server's CPU time
    /// (empty: not reported).
    pub server_pids: Vec<u32>,
}

impl Target {
    /// A target; `server_pid` is the issuer's process id.
    #[must_use]
    pub fn new(issuer_url: String, attester_url: String, server_pid: Option<u32>) -> Self {
        Self {
            issuer_url,
            attester_url,
            server_pids: server_pid.into_iter().collect(),
        }
    }

    /// This target with the issuer's CPU time summed over `pids`.
    #[must_use]
    pub fn with_server_pids(mut self, pids: Vec<u32>) -> Self {
        self.server_pids = pids;
        self
    }

    /// The CPU seconds the issuer processes have used, if every one can be read.
    fn cpu_seconds(&self) -> Option<f64> {
        if self.server_pids.is_empty() {
            return None;
        }
        self.server_pids
            .iter()
            .map(|pid| spawn::cpu_seconds(*pid))
            .sum()
    }
}

/// Latencies of one step.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Latencies {
    samples: Vec<Duration>,
}

impl Latencies {
    /// The number of samples.
    #[must_use]
    pub fn count(&self) -> usize {
        self.samples.len()
    }

    /// The quantile `permille`/1000 (500: the median, 990: p99), nearest rank; zero without
    /// samples.
    #[must_use]
    pub fn quantile(&self, permille: usize) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let Some(last) = sorted.len().checked_sub(1) else {
            return Duration::ZERO;
        };
        let index = last.saturating_mul(permille.min(1000)).saturating_add(500) / 1000;
        sorted.get(index.min(last)).copied().unwrap_or_default()
    }
}

/// What a run measured and checked.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LoadReport {
    /// Issuances that completed.
    pub issuances: usize,
    /// Credentials received and verified.
    pub credentials: usize,
    /// Wall time of the run.
    pub wall: Duration,
    /// Latencies per step (`offer`, `token`, `token replay`, `nonce`, `credential`).
    pub steps: BTreeMap<&'static str, Latencies>,
    /// Replayed token requests sent.
    pub replays_sent: usize,
    /// Replayed token requests refused for their replayed proof.
    pub replays_refused: usize,
    /// The server's CPU time over the run, summed over its instances (`None` without their
    /// process ids).
    pub server_cpu: Option<Duration>,
    /// The crypto floor of one issuance on one core: the lower of [`Self::floor_readings`]
    /// (a busy neighbour on the machine only ever makes a reading slower).
    pub floor: Duration,
    /// The floor as timed before the load and again after it.
    pub floor_readings: [Duration; 2],
    /// The durable floor of one issuance on SQLite ([`durable_floor()`]), when the issuer
    /// ran on SQLite and it was timed ([`Self::with_durable_floor`]).
    pub durable_floor: Option<Duration>,
    /// Everything that went wrong, each with its reason.
    pub failures: Vec<String>,
}

impl LoadReport {
    /// Completed issuances per second of wall time.
    #[must_use]
    pub fn issuances_per_second(&self) -> f64 {
        ratio(self.issuances, self.wall.as_secs_f64())
    }

    /// The server's CPU time per completed issuance.
    #[must_use]
    pub fn server_cpu_per_issuance(&self) -> Option<Duration> {
        let cpu = self.server_cpu?;
        let count = u32::try_from(self.issuances).ok().filter(|n| *n > 0)?;
        Some(cpu / count)
    }

    /// Server CPU per issuance over the floor (the aim is at most 2).
    #[must_use]
    pub fn floor_ratio(&self) -> Option<f64> {
        let per = self.server_cpu_per_issuance()?;
        Some(per.as_secs_f64() / self.floor.as_secs_f64())
    }

    /// This report with the durable floor the issuer's store had (timed after the run).
    #[must_use]
    pub const fn with_durable_floor(mut self, durable_floor: Duration) -> Self {
        self.durable_floor = Some(durable_floor);
        self
    }

    /// Server CPU per issuance over the crypto and the durable floor together, when the
    /// durable floor was timed.
    #[must_use]
    pub fn durable_floor_ratio(&self) -> Option<f64> {
        let per = self.server_cpu_per_issuance()?;
        let floors = self.floor.saturating_add(self.durable_floor?);
        Some(per.as_secs_f64() / floors.as_secs_f64())
    }
}

fn ratio(count: usize, seconds: f64) -> f64 {
    f64::from(u32::try_from(count).unwrap_or(u32::MAX)) / seconds
}

impl core::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        writeln!(
            f,
            "{} issuances ({} credentials) in {:.2} s: {:.1} issuances/s",
            self.issuances,
            self.credentials,
            self.wall.as_secs_f64(),
            self.issuances_per_second()
        )?;
        writeln!(
            f,
            "{:<14} {:>7} {:>9} {:>9}",
            "step", "count", "p50 ms", "p99 ms"
        )?;
        for (step, latencies) in &self.steps {
            writeln!(
                f,
                "{step:<14} {:>7} {:>9.2} {:>9.2}",
                latencies.count(),
                ms(latencies.quantile(500)),
                ms(latencies.quantile(990))
            )?;
        }
        match (self.server_cpu_per_issuance(), self.floor_ratio()) {
            (Some(per), Some(r)) => writeln!(
                f,
                "server CPU {:.3} ms per issuance; crypto floor ({}) {:.3} ms: {r:.2}x the floor \
                 (floor timed {:.3} ms before the load, {:.3} ms after; the lower counts)",
                ms(per),
                default_provider().name(),
                ms(self.floor),
                ms(self.floor_readings[0]),
                ms(self.floor_readings[1])
            )?,
            _ => writeln!(
                f,
                "server CPU not measured; crypto floor ({}) {:.3} ms per issuance",
                default_provider().name(),
                ms(self.floor)
            )?,
        }
        if let (Some(durable), Some(r)) = (self.durable_floor, self.durable_floor_ratio()) {
            writeln!(
                f,
                "durable floor (bare SQLite: the same records, one synced commit per request \
                 that records anything) {:.3} ms: {r:.2}x the crypto and durable floors",
                ms(durable)
            )?;
        }
        writeln!(
            f,
            "replayed token requests refused: {}/{}",
            self.replays_refused, self.replays_sent
        )?;
        if self.failures.is_empty() {
            writeln!(f, "no failures")
        } else {
            writeln!(f, "{} failures:", self.failures.len())?;
            for failure in self.failures.iter().take(20) {
                writeln!(f, "  {failure}")?;
            }
            Ok(())
        }
    }
}

/// What the workers collect.
#[derive(Default)]
struct Collected {
    steps: BTreeMap<&'static str, Latencies>,
    /// `(status list uri, idx, kid)` of every verified credential.
    references: Vec<(String, u64, String)>,
    issuances: usize,
    replays_sent: usize,
    replays_refused: usize,
    failures: Vec<String>,
}

impl Collected {
    fn time(&mut self, step: &'static str, since: Instant) {
        self.steps
            .entry(step)
            .or_default()
            .samples
            .push(since.elapsed());
    }

    fn merge(&mut self, other: Self) {
        for (step, latencies) in other.steps {
            self.steps
                .entry(step)
                .or_default()
                .samples
                .extend(latencies.samples);
        }
        self.references.extend(other.references);
        self.issuances += other.issuances;
        self.replays_sent += other.replays_sent;
        self.replays_refused += other.replays_refused;
        self.failures.extend(other.failures);
    }
}

/// Runs the load against `target`.
///
/// # Errors
/// [`DemoError::Config`] for options out of range or a target that is not on loopback;
/// [`DemoError`] when the issuer's keys cannot be fetched. Failures during the run are not
/// errors: they are in [`LoadReport::failures`].
pub fn run(target: &Target, options: &LoadOptions) -> Result<LoadReport, DemoError> {
    options.check()?;
    for url in [&target.issuer_url, &target.attester_url] {
        if !is_loopback(url) {
            return Err(DemoError::Config(format!(
                "load: {url} is not on loopback (http://127.0.0.1, http://[::1] or http://localhost)"
            )));
        }
    }
    let checker = Wallet::new(Arc::new(SystemClock::new()), Narrator::quiet())?;
    let metadata = checker.issuer_keys(&target.issuer_url)?;
    let floor_before = floor_per_issuance(options.batch)?;
    let next = AtomicUsize::new(0);
    let collected = Mutex::new(Collected::default());
    let cpu_before = target.cpu_seconds();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..options.concurrency {
            scope.spawn(|| {
                let mut mine = Collected::default();
                if let Err(e) = work(target, options, &metadata, &next, started, &mut mine) {
                    mine.failures.push(format!("wallet set-up: {e}"));
                }
                collected
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .merge(mine);
            });
        }
    });
    let wall = started.elapsed();
    let cpu_after = target.cpu_seconds();
    let floor_after = floor_per_issuance(options.batch)?;
    let mut collected = collected
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    check_statuses(&checker, &metadata, &mut collected);
    let server_cpu = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) if after >= before => {
            Some(Duration::from_secs_f64(after - before))
        }
        _ => None,
    };
    Ok(LoadReport {
        issuances: collected.issuances,
        credentials: collected.references.len(),
        wall,
        steps: collected.steps,
        replays_sent: collected.replays_sent,
        replays_refused: collected.replays_refused,
        server_cpu,
        floor: floor_before.min(floor_after),
        floor_readings: [floor_before, floor_after],
        durable_floor: None,
        failures: collected.failures,
    })
}

fn is_loopback(url: &str) -> bool {
    ["http://127.0.0.1:", "http://[::1]:", "http://localhost:"]
        .iter()
        .any(|prefix| url.starts_with(prefix))
}

/// One worker: a wallet instance that runs issuances until the count or the time is used up.
fn work(
    target: &Target,
    options: &LoadOptions,
    metadata: &IssuerMetadata,
    next: &AtomicUsize,
    started: Instant,
    mine: &mut Collected,
) -> Result<(), DemoError> {
    let mut wallet = Wallet::new(Arc::new(SystemClock::new()), Narrator::quiet())?.with_dpop()?;
    wallet.fetch_attestation(&target.attester_url)?;
    let info = wallet.discover(&target.issuer_url)?;
    while next.fetch_add(1, Ordering::Relaxed) < options.issuances
        && started.elapsed() < options.time_limit
    {
        if let Err(e) = issue(&wallet, &info, metadata, options.batch, mine) {
            mine.failures.push(e.to_string());
        }
    }
    Ok(())
}

/// One complete issuance (see the module docs).
fn issue(
    wallet: &Wallet,
    info: &IssuerInfo,
    metadata: &IssuerMetadata,
    batch: usize,
    mine: &mut Collected,
) -> Result<(), DemoError> {
    let since = Instant::now();
    let (_, _, code) = create_offer(
        &wallet.http,
        &info.issuer,
        IDENTITY_CONFIGURATION_ID,
        &demo_claims(),
        false,
    )?;
    mine.time("offer", since);

    let since = Instant::now();
    let headers = wallet.token_headers(info)?;
    let form = [
        ("grant_type", PRE_AUTHORIZED_GRANT),
        ("pre-authorized_code", code.as_str()),
    ];
    let reply = wallet.post_token(info, &form, &headers)?;
    mine.time("token", since);
    let tokens = Tokens::from_reply(&reply.expect("token", 200)?)?;

    let since = Instant::now();
    let replay = wallet.post_token(info, &form, &headers)?;
    mine.time("token replay", since);
    mine.replays_sent += 1;
    match replay.error_code() {
        Some("invalid_client" | "invalid_dpop_proof") if replay.status >= 400 => {
            mine.replays_refused += 1;
        }
        other => mine.failures.push(format!(
            "a replayed token request was answered {} {other:?}",
            replay.status
        )),
    }

    let since = Instant::now();
    let nonce = wallet.nonce(info)?;
    mine.time("nonce", since);
    let proofs = (0..batch)
        .map(|_| wallet.proof(&info.issuer, &wallet.new_holder_key()?, &nonce))
        .collect::<Result<Vec<_>, _>>()?;
    let body = credential_request_body(IDENTITY_CONFIGURATION_ID, &proofs);
    let since = Instant::now();
    let reply =
        wallet.post_authorized("credential", info.credential_endpoint()?, &tokens, &body)?;
    mine.time("credential", since);
    let reply = reply.expect("credential", 200)?;
    let credentials = reply
        .body
        .get("credentials")
        .and_then(Value::as_array)
        .ok_or_else(|| DemoError::Protocol("credential response without credentials".into()))?;
    if credentials.len() != batch {
        return Err(DemoError::Protocol(format!(
            "asked for {batch} credentials, received {}",
            credentials.len()
        )));
    }
    let verifier = Verifier::new(metadata, ACCEPTED_ALGORITHMS, KeyBinding::forbidden());
    let now = SystemClock::new().now();
    for credential in credentials {
        let compact = credential
            .get("credential")
            .and_then(Value::as_str)
            .ok_or_else(|| DemoError::Protocol("a credentials entry without credential".into()))?;
        let verified = verifier
            .verify(compact, now)
            .map_err(|e| DemoError::Protocol(format!("credential: {e}")))?;
        let reference = verified
            .status_list()
            .ok_or_else(|| DemoError::Protocol("credential without a status reference".into()))?;
        mine.references.push((
            reference.uri().to_owned(),
            reference.idx().get(),
            verified.header().kid().unwrap_or_default().to_owned(),
        ));
    }
    mine.issuances += 1;
    Ok(())
}

/// Every status reference is unique and reads VALID in the served list.
fn check_statuses(checker: &Wallet, metadata: &IssuerMetadata, collected: &mut Collected) {
    let mut seen = BTreeSet::new();
    for (uri, idx, _) in &collected.references {
        if !seen.insert((uri.as_str(), *idx)) {
            collected.failures.push(format!(
                "status index {idx} of {uri} was given to two credentials"
            ));
        }
    }
    let mut lists = BTreeMap::new();
    for (uri, idx, kid) in &collected.references {
        if !lists.contains_key(uri) {
            let Some(key) = metadata
                .keys()
                .iter()
                .find(|k| k.kid() == Some(kid.as_str()))
            else {
                collected.failures.push(format!("no issuer key {kid}"));
                continue;
            };
            match checker.status_list(uri, key) {
                Ok(list) => {
                    lists.insert(uri.clone(), list);
                }
                Err(e) => {
                    collected.failures.push(format!("status list {uri}: {e}"));
                    continue;
                }
            }
        }
        let status = lists.get(uri).map(|list| list.get(StatusIndex::new(*idx)));
        if !matches!(status, Some(Ok(s)) if s.is_valid()) {
            collected
                .failures
                .push(format!("status {idx} of {uri} reads {status:?}, not VALID"));
        }
    }
}

/// The crypto floor of one issuance with batches of `batch`: `5 + batch` ES256 verifications
/// and `batch` ES256 signatures, timed with the bare primitives of the build's crypto provider
/// (the issuer's: both binaries come from this crate), median of several rounds.
fn floor_per_issuance(batch: usize) -> Result<Duration, DemoError> {
    const ROUNDS: u32 = 200;
    let provider = default_provider();
    let pkcs8 = LocalSigner::generate_pkcs8(Algorithm::Es256, &SystemRandom::new())?;
    let key = provider.signing_key_from_pkcs8(Algorithm::Es256, pkcs8.as_bytes())?;
    let message = [0x5au8; 600];
    let signature = key.sign(&message)?;
    let mut signs = Vec::new();
    let mut verifies = Vec::new();
    for _ in 0..9 {
        let since = Instant::now();
        for _ in 0..ROUNDS {
            core::hint::black_box(key.sign(core::hint::black_box(&message))?);
        }
        signs.push(since.elapsed() / ROUNDS);
        let since = Instant::now();
        for _ in 0..ROUNDS {
            let valid = provider.verify_signature(
                key.public_key(),
                Algorithm::Es256,
                core::hint::black_box(&message),
                &signature,
            )?;
            if !valid {
                return Err(DemoError::Config(
                    "the floor's signature does not verify".into(),
                ));
            }
        }
        verifies.push(since.elapsed() / ROUNDS);
    }
    signs.sort_unstable();
    verifies.sort_unstable();
    let median = |v: &[Duration]| v.get(v.len() / 2).copied().unwrap_or_default();
    let batch = u32::try_from(batch).map_err(|_| DemoError::Config("batch too large".into()))?;
    Ok(median(&verifies) * batch.saturating_add(5) + median(&signs) * batch)
}

/// Where the local servers keep their state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadStore {
    /// `--store memory`.
    InMemory,
    /// A fresh data directory (SQLite).
    Sqlite,
}

/// A demo attester and one or more issuer instances started as processes in a fresh temporary
/// directory, with the default configuration made strict (client attestation required) and
/// batches of `batch`. Several instances share the data directory (one keys file) and sit
/// behind a [`RoundRobinProxy`] whose URL is their common base URL, as a fleet behind a load
/// balancer. Everything is killed and the directory removed when this is dropped.
#[derive(Debug)]
pub struct LocalServers {
    /// Where to send the load (the proxy, for several instances).
    pub target: Target,
    /// Each instance's own URL (to reach one instance directly).
    pub instances: Vec<String>,
    dir: PathBuf,
    // Dropped (killed) before the directory goes.
    proxy: Option<RoundRobinProxy>,
    issuers: Vec<ChildServer>,
    attester: Option<ChildServer>,
}

impl LocalServers {
    /// One issuer on `store`.
    ///
    /// # Errors
    /// [`DemoError`] when a binary is missing or does not start.
    pub fn start(store: LoadStore, batch: usize) -> Result<Self, DemoError> {
        let args: &[&str] = match store {
            LoadStore::InMemory => &["--store", "memory"],
            LoadStore::Sqlite => &[],
        };
        Self::fleet(args, 1, batch)
    }

    /// `instances` issuers started with `store_args` (e.g. `["--store", "postgres://…"]`;
    /// every instance also gets `--data-dir state` in the shared directory).
    ///
    /// # Errors
    /// [`DemoError`] when a binary is missing or does not start.
    pub fn fleet(store_args: &[&str], instances: usize, batch: usize) -> Result<Self, DemoError> {
        let dir = std::env::temp_dir().join(format!(
            "issuer-load-{}-{}",
            std::process::id(),
            spawn::free_port()?
        ));
        std::fs::create_dir_all(&dir)?;
        let mut servers = Self {
            target: Target::new(String::new(), String::new(), None),
            instances: Vec::new(),
            dir,
            proxy: None,
            issuers: Vec::new(),
            attester: None,
        };
        let attester_listen = format!("127.0.0.1:{}", spawn::free_port()?);
        let attester_url = format!("http://{attester_listen}");
        servers.attester = Some(spawn::start(
            &spawn::sibling_binary("attester")?,
            &servers.dir,
            &["--listen", &attester_listen],
            &format!("{attester_url}/"),
        )?);
        let mut listens = Vec::new();
        for _ in 0..instances.max(1) {
            listens.push(core::net::SocketAddr::from((
                [127, 0, 0, 1],
                spawn::free_port()?,
            )));
        }
        let mut config = IssuerConfig::default_config();
        config.batch_size = config.batch_size.max(batch);
        if let Some(attestation) = config.client_attestation_config.as_mut() {
            attestation["required"] = json!(true);
        }
        if listens.len() > 1 {
            let proxy = RoundRobinProxy::start(listens.clone())?;
            config.base_url = Some(proxy.url());
            servers.proxy = Some(proxy);
        }
        std::fs::write(servers.dir.join("config.json"), config.to_json()?)?;
        let binary = spawn::sibling_binary("issuer")?;
        let mut pids = Vec::new();
        for listen in &listens {
            let listen = listen.to_string();
            let mut args = vec!["--listen", &listen, "--config", "config.json"];
            args.extend_from_slice(&["--data-dir", "state"]);
            args.extend_from_slice(store_args);
            let url = format!("http://{listen}");
            let issuer = spawn::start(
                &binary,
                &servers.dir,
                &args,
                &format!("{url}/.well-known/openid-credential-issuer"),
            )?;
            pids.push(issuer.id());
            servers.issuers.push(issuer);
            servers.instances.push(url);
        }
        let base_url = config
            .base_url
            .clone()
            .or_else(|| servers.instances.first().cloned())
            .unwrap_or_default();
        servers.target = Target::new(base_url, attester_url, None).with_server_pids(pids);
        Ok(servers)
    }

    /// The temporary directory the servers run in (their data directory is `state` in it).
    #[must_use]
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The connections the proxy gave each instance (empty for one instance).
    #[must_use]
    pub fn connections(&self) -> Vec<usize> {
        self.proxy
            .as_ref()
            .map(RoundRobinProxy::connections)
            .unwrap_or_default()
    }
}

impl Drop for LocalServers {
    fn drop(&mut self) {
        drop(self.proxy.take());
        self.issuers.clear();
        drop(self.attester.take());
        // A leftover temporary directory is harmless.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
