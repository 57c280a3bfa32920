//! status-list: encode, and decode + lookup, of a 1,048,576-entry 1-bit list with 1 % revoked,
//! each against bare flate2 deflate/inflate of the same bytes (performance-anchors.md: decode +
//! lookup ≤ 1.2× bare inflate).
#![allow(
    clippy::unwrap_used,
    reason = "benchmark setup: a failure is a broken fixture"
)]

use core::hint::black_box;
use std::io::{Read as _, Write as _};

use benches::{measure_ratio, print_ratio};
use criterion::{Criterion, criterion_group, criterion_main};
use flate2::Compression;
use status_list::{Bits, Limits, Status, StatusIndex, StatusList};

const ENTRIES: u64 = 1 << 20;

/// The list: every entry at a pseudo-random position is INVALID, 1 % of all entries.
fn list() -> StatusList {
    let mut list = StatusList::new(Bits::One, ENTRIES, &Limits::default()).unwrap();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut revoked = 0;
    while revoked < ENTRIES / 100 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let idx = StatusIndex::new(x % ENTRIES);
        if list.get(idx).unwrap().is_valid() {
            list.set(idx, Status::INVALID).unwrap();
            revoked += 1;
        }
    }
    list
}

fn bare_deflate(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn bare_inflate(zlib: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(zlib)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn bench(c: &mut Criterion) {
    let list = list();
    let bytes = list.as_bytes().to_vec();
    let lst = list.to_lst();
    let zlib = list.to_zlib();
    let probe = StatusIndex::new(524_287);
    let limits = Limits::default();
    println!(
        "status list: {} entries, {} bytes packed, {} bytes zlib, {} chars lst",
        ENTRIES,
        bytes.len(),
        zlib.len(),
        lst.len()
    );

    let encode = || {
        black_box(black_box(&list).to_lst());
    };
    let deflate = || {
        black_box(bare_deflate(black_box(&bytes)));
    };
    let decode_lookup = || {
        let decoded = StatusList::from_lst(Bits::One, black_box(&lst), None, &limits).unwrap();
        black_box(decoded.get(probe).unwrap());
    };
    let decode_zlib_lookup = || {
        let decoded = StatusList::from_zlib(Bits::One, black_box(&zlib), None, &limits).unwrap();
        black_box(decoded.get(probe).unwrap());
    };
    let inflate = || {
        black_box(bare_inflate(black_box(&zlib)));
    };

    c.bench_function("status_list/encode_lst", |b| b.iter(encode));
    c.bench_function("status_list/bare_deflate", |b| b.iter(deflate));
    c.bench_function("status_list/decode_lst_lookup", |b| b.iter(decode_lookup));
    c.bench_function("status_list/decode_zlib_lookup", |b| {
        b.iter(decode_zlib_lookup)
    });
    c.bench_function("status_list/bare_inflate", |b| b.iter(inflate));

    print_ratio(
        "status-list encode (zlib 9 + base64url) vs bare flate2 deflate",
        &measure_ratio(10, 2, encode, deflate),
    );
    print_ratio(
        "status-list decode lst + lookup vs bare flate2 inflate",
        &measure_ratio(30, 20, decode_lookup, inflate),
    );
    print_ratio(
        "status-list decode zlib (CBOR form) + lookup vs bare flate2 inflate",
        &measure_ratio(30, 20, decode_zlib_lookup, inflate),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(core::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
