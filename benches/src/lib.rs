//! Shared helpers for the criterion benchmarks in `benches/`.
//!
//! Criterion measures and reports each operation; on top of that every bench file prints the
//! ratio of an operation to its cryptographic floor, both timed here in the same process, over
//! the same inputs, interleaved so that machine noise hits both alike.

use core::hint::black_box;

use jose_core::{LocalSigner, PublicKey};
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
