//! Shared helpers for the criterion benchmarks in `benches/`.
//!
//! Criterion measures and reports each operation; on top of that every bench file prints the
//! ratio of an operation to its cryptographic floor, both timed here in the same process, over
//! the same inputs, interleaved so that machine noise hits both alike.

use core::hint::black_box;

use attestation_jwt::{AttestationClaims, AttesterKeyId, PopClaims, build_pop, issue_attestation};
use jose_core::crypto::{AWS_LC_RS, CryptoProvider, RING, SigningKey, default_provider};
use jose_core::{Algorithm, LocalSigner, PublicKey, SystemRandom, UnixTime};
use pop_verifier::{ReplayError, ReplayGuard};
use std::time::Instant;

/// The crypto providers every signature floor is timed on, in this order.
pub const PROVIDERS: [&'static dyn CryptoProvider; 2] = [&RING, &AWS_LC_RS];

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

/// An operation timed against its floor on each of [`PROVIDERS`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Floors {
    /// Median nanoseconds per call of the operation (on the build's default provider).
    pub op_ns: f64,
    /// Median nanoseconds per call of the floor, on each of [`PROVIDERS`] in order.
    pub floor_ns: [f64; 2],
}

impl Floors {
    /// The operation against the floor of the provider it runs on (the build's default:
    /// ring, or aws-lc-rs when `benches` is built with its `aws-lc-rs` feature).
    #[must_use]
    pub fn ratio(&self) -> Ratio {
        let own = PROVIDERS
            .iter()
            .position(|p| p.name() == default_provider().name())
            .and_then(|i| self.floor_ns.get(i).copied())
            .unwrap_or(f64::NAN);
        Ratio {
            op_ns: self.op_ns,
            floor_ns: own,
        }
    }
}

/// Times `op` against the floor that `floor_on` builds for each of [`PROVIDERS`]: `samples`
/// rounds of one batch of `batch` calls each, interleaved so noise hits all alike. `floor_on`
/// runs before timing (key loading belongs there); the closures it returns are what is timed.
pub fn measure_floors<F: FnMut()>(
    samples: usize,
    batch: u32,
    mut op: impl FnMut(),
    floor_on: impl Fn(&'static dyn CryptoProvider) -> F,
) -> Floors {
    let mut floors = PROVIDERS.map(floor_on);
    let mut op_times = Vec::with_capacity(samples);
    let mut floor_times = [Vec::with_capacity(samples), Vec::with_capacity(samples)];
    for _ in 0..samples {
        op_times.push(time_batch(batch, &mut op));
        for (floor, times) in floors.iter_mut().zip(floor_times.iter_mut()) {
            times.push(time_batch(batch, floor));
        }
    }
    Floors {
        op_ns: median(&mut op_times),
        floor_ns: floor_times.map(|mut times| median(&mut times)),
    }
}

/// Prints one ratio line against the floor of the provider the operation runs on, then the
/// floor on every provider and the ratio to each:
/// `RATIO <label>: 1.08x (op 25.1 us on ring, floor 23.2 us) | floors: ring 23.2 us (1.08x), aws-lc-rs 19.0 us (1.32x)`.
pub fn print_floors(label: &str, floors: &Floors) {
    let own = floors.ratio();
    let each: Vec<String> = PROVIDERS
        .iter()
        .zip(floors.floor_ns)
        .map(|(p, ns)| {
            format!(
                "{} {:.1} us ({:.2}x)",
                p.name(),
                ns / 1e3,
                floors.op_ns / ns
            )
        })
        .collect();
    println!(
        "RATIO {label}: {:.2}x (op {:.1} us on {}, floor {:.1} us) | floors: {}",
        own.ratio(),
        own.op_ns / 1e3,
        default_provider().name(),
        own.floor_ns / 1e3,
        each.join(", ")
    );
}

/// One signature verification of a floor: the key, algorithm, message and signature an
/// operation checks, verified with a provider's bare primitive.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifyInput {
    /// The public key.
    pub key: PublicKey,
    /// The algorithm.
    pub alg: Algorithm,
    /// The signed bytes.
    pub message: Vec<u8>,
    /// The JOSE-form signature.
    pub signature: Vec<u8>,
}

impl VerifyInput {
    /// The signing input and signature of the compact JWS `token`, signed by `key` with `alg`.
    ///
    /// # Panics
    /// If `token` is not a compact JWS (a broken fixture).
    #[must_use]
    pub fn of_jws(token: &str, key: PublicKey, alg: Algorithm) -> Self {
        let (message, signature) = split_jws(token);
        Self {
            key,
            alg,
            message,
            signature,
        }
    }

    /// Raw inputs.
    #[must_use]
    pub const fn new(key: PublicKey, alg: Algorithm, message: Vec<u8>, signature: Vec<u8>) -> Self {
        Self {
            key,
            alg,
            message,
            signature,
        }
    }

    /// Verifies on `provider`'s bare primitive.
    ///
    /// # Panics
    /// When the signature does not verify (a broken fixture).
    pub fn verify_on(&self, provider: &dyn CryptoProvider) {
        let ok = provider
            .verify_signature(
                &self.key,
                self.alg,
                black_box(&self.message),
                black_box(&self.signature),
            )
            .unwrap_or_else(|e| panic!("{} floor: {e}", provider.name()));
        assert!(
            ok,
            "{} floor: the fixture signature does not verify",
            provider.name()
        );
    }
}

/// The floor of verifying every one of `inputs`, on one provider.
pub fn verify_floor(
    inputs: Vec<VerifyInput>,
) -> impl Fn(&'static dyn CryptoProvider) -> Box<dyn FnMut()> {
    move |provider| {
        let inputs = inputs.clone();
        Box::new(move || {
            for input in &inputs {
                input.verify_on(provider);
            }
        })
    }
}

/// A fresh private key for `alg` as PKCS#8, which every provider can load for a sign floor.
///
/// # Panics
/// When generation fails (a broken fixture).
#[must_use]
#[expect(clippy::expect_used, reason = "benchmark fixture")]
pub fn fresh_pkcs8(alg: Algorithm) -> Vec<u8> {
    LocalSigner::generate_pkcs8(alg, &SystemRandom::new())
        .expect("key generation")
        .as_bytes()
        .to_vec()
}

/// `pkcs8` loaded on `provider`, for a sign floor.
///
/// # Panics
/// When the provider cannot load it (a broken fixture).
#[must_use]
pub fn signing_key_on(
    provider: &dyn CryptoProvider,
    alg: Algorithm,
    pkcs8: &[u8],
) -> Box<dyn SigningKey> {
    provider
        .signing_key_from_pkcs8(alg, pkcs8)
        .unwrap_or_else(|e| panic!("{} cannot load the key: {e}", provider.name()))
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

    /// The two signature checks of verifying this client (the attestation signature, the PoP
    /// signature): the cryptographic floor of an attested request, for [`verify_floor`].
    #[must_use]
    pub fn floor_inputs(&self, alg: Algorithm) -> Vec<VerifyInput> {
        vec![
            VerifyInput::of_jws(
                &self.attestation,
                self.attester.public_jwk().key().clone(),
                alg,
            ),
            VerifyInput::of_jws(&self.pop, self.instance.public_jwk().key().clone(), alg),
        ]
    }
}
