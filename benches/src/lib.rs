//! Shared helpers for the criterion benchmarks in `benches/`.
//!
//! Criterion measures and reports each operation; on top of that every bench file prints the
//! ratio of an operation to its cryptographic floor, both timed here in the same process, over
//! the same inputs, interleaved so that machine noise hits both alike.

use core::hint::black_box;
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
