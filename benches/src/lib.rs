//! Shared helpers for the criterion benchmarks in `benches/`.
//!
//! Criterion measures and reports each operation; on top of that every bench file prints the
//! ratio of an operation to its cryptographic floor, both timed here in the same process, over
//! the same inputs, interleaved so that machine noise hits both alike.

use core::hint::black_box;

use attestation_jwt::{AttestationClaims, AttesterKeyId, PopClaims, build_pop, issue_attestation};
use jose_core::{Algorithm, LocalSigner, PublicKey, SystemRandom, UnixTime};
use pop_verifier::{ReplayError, ReplayGuard};
use ring::signature::{UnparsedPublicKey, VerificationAlgorithm};
use std::time::Instant;

/// Median time in nanoseconds of one call of `op` and one call of `floor`, measured in
/// alternating batches, and their ratio.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Ratio {
    /// Median nanoseconds per call of the operation.
    pub op_ns: f64,
    /// Median nanoseconds per call of the floor.
    pub floor_ns: f64,
}

impl Ratio {
    /// `op_ns / floor_ns`.
    #[must_use]
    pub fn ratio(&self) -> f64 {
        self.op_ns / self.floor_ns
    }
}

/// Times `op` against `floor`: `samples` alternating batches of `batch` calls each.
pub fn measure_ratio(
    samples: usize,
    batch: u32,
    mut op: impl FnMut(),
    mut floor: impl FnMut(),
) -> Ratio {
    let mut ops = Vec::with_capacity(samples);
    let mut floors = Vec::with_capacity(samples);
    for _ in 0..samples {
        ops.push(time_batch(batch, &mut op));
        floors.push(time_batch(batch, &mut floor));
    }
    Ratio {
        op_ns: median(&mut ops),
        floor_ns: median(&mut floors),
    }
}

fn time_batch(batch: u32, f: &mut impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..batch {
        f();
        black_box(());
    }
    start.elapsed().as_secs_f64() * 1e9 / f64::from(batch)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Prints one ratio line in the format every bench uses.
pub fn print_ratio(label: &str, ratio: &Ratio) {
    println!(
        "RATIO {label}: {:.2}x (op {:.1} us, floor {:.1} us)",
        ratio.ratio(),
        ratio.op_ns / 1e3,
        ratio.floor_ns / 1e3
    );
}

/// The aim of every refusal bench (issue 14 §5): hostile input refused in under 50 ms.
pub const REFUSAL_AIM_MS: f64 = 50.0;

/// Median wall time in nanoseconds of one call of `op`, over `samples` calls each timed on its
/// own (a refusal is timed per call, not in batches: one slow call is seen whole).
pub fn median_ns(samples: usize, mut op: impl FnMut()) -> f64 {
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        times.push(time_batch(1, &mut op));
    }
    median(&mut times)
}

/// Prints one refusal line in the format of the `refusal` bench:
/// `REFUSE <label>: <median ms> ms (aim < 50 ms)`, with a marker when the median misses the aim.
/// Never asserts: timings depend on the machine.
pub fn print_refusal(label: &str, median_ns: f64) {
    let ms = median_ns / 1e6;
    let over = if ms < REFUSAL_AIM_MS {
        ""
    } else {
        "  <-- over the aim"
    };
    // Three decimals hide a refusal that takes nanoseconds; show those to the nanosecond.
    let digits = if ms < 0.01 { 6 } else { 3 };
    println!("REFUSE {label}: {ms:.digits$} ms (aim < {REFUSAL_AIM_MS} ms){over}");
}

/// The signing input and the decoded signature of a compact JWS, for the bare-ring floor.
///
/// # Panics
/// If `token` is not a compact JWS with a base64url signature (a broken fixture).
#[must_use]
#[expect(clippy::expect_used, reason = "benchmark fixture")]
pub fn split_jws(token: &str) -> (Vec<u8>, Vec<u8>) {
    let (input, sig) = token.rsplit_once('.').expect("compact JWS");
    let signature = jose_core::base64url::decode(sig).expect("base64url signature");
    (input.as_bytes().to_vec(), signature)
}

/// The raw public key ring verifies with: the SEC1 point of an EC key, the 32 bytes of Ed25519.
///
/// # Panics
/// For RSA keys, which no bench signs with.
#[must_use]
pub fn raw_public_key(signer: &LocalSigner) -> Vec<u8> {
    match signer.public_jwk().key() {
        PublicKey::Ec { point, .. } => point.clone(),
        PublicKey::Ed25519 { x } => x.to_vec(),
        other => panic!("no raw ring key for {}", other.describe()),
    }
}

/// A replay guard that accepts every `jti`: benches present the same proof over and over (the
/// in-memory guard's own cost is measured by the pop_verifier bench).
#[derive(Debug)]
#[expect(
    clippy::exhaustive_structs,
    reason = "a unit guard, complete by definition"
)]
pub struct AcceptAll;

impl ReplayGuard for AcceptAll {
    fn check_and_record(&self, _: &str, _: UnixTime, _: UnixTime) -> Result<(), ReplayError> {
        Ok(())
    }
}

/// A wallet instance attested by an attester, both with `alg` keys, and one attestation and
/// one PoP for `audience` at `now`: the input of every attested token request bench.
#[derive(Debug)]
#[non_exhaustive]
pub struct AttestedClient {
    /// The attester's key.
    pub attester: LocalSigner,
    /// The wallet instance key (`cnf.jwk`).
    pub instance: LocalSigner,
    /// The client attestation JWT.
    pub attestation: String,
    /// The PoP JWT.
    pub pop: String,
}

impl AttestedClient {
    /// Fresh keys, an attestation valid around `now` and a PoP for `audience`.
    ///
    /// # Panics
    /// When a key cannot be generated or a token signed (a broken fixture).
    #[must_use]
    #[expect(clippy::expect_used, reason = "benchmark fixture")]
    pub fn new(alg: Algorithm, audience: &str, now: UnixTime) -> Self {
        let rng = SystemRandom::new();
        let attester = LocalSigner::generate(alg, &rng).expect("attester key");
        let instance = LocalSigner::generate(alg, &rng).expect("instance key");
        let claims = AttestationClaims::new(
            "https://wallet.example.com",
            instance.public_jwk(),
            now.saturating_sub(60),
            now.saturating_add(86_400),
        );
        let attestation =
            issue_attestation(&claims, &AttesterKeyId::Kid("att-1".into()), &attester)
                .expect("attestation");
        let pop = build_pop(&PopClaims::new(audience, now), &instance, &rng).expect("PoP");
        Self {
            attester,
            instance,
            attestation,
            pop,
        }
    }

    /// The cryptographic floor of verifying this client: two bare ring verifications (the
    /// attestation signature, the PoP signature).
    ///
    /// # Panics
    /// When a signature does not verify (a broken fixture).
    #[expect(clippy::expect_used, reason = "benchmark fixture")]
    pub fn floor(&self, ring_alg: &'static dyn VerificationAlgorithm) -> impl Fn() + use<> {
        let (att_input, att_sig) = split_jws(&self.attestation);
        let (pop_input, pop_sig) = split_jws(&self.pop);
        let (att_key, pop_key) = (
            raw_public_key(&self.attester),
            raw_public_key(&self.instance),
        );
        move || {
            UnparsedPublicKey::new(ring_alg, &att_key)
                .verify(black_box(&att_input), black_box(&att_sig))
                .expect("attestation signature");
            UnparsedPublicKey::new(ring_alg, &pop_key)
                .verify(black_box(&pop_input), black_box(&pop_sig))
                .expect("PoP signature");
        }
    }
}
