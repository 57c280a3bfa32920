//! Every bad `lst` input named by the draft or the issue, each with its exact error.

use std::io::Write as _;

use flate2::Compression;
use status_list::{Bits, Error, Limits, Status, StatusIndex, StatusList};

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn sample() -> StatusList {
    let mut list = StatusList::new(Bits::One, 1024, &Limits::default()).unwrap();
    for i in (0..1024).step_by(7) {
        list.set(StatusIndex::new(i), Status::INVALID).unwrap();
    }
    list
}

#[test]
fn bits_outside_1_2_4_8_are_refused() {
    for bits in [0, 3, 5, 6, 7, 9, 16, u64::MAX] {
        assert_eq!(Bits::try_from(bits), Err(Error::InvalidBits { bits }));
    }
    for (bits, want) in [
        (1, Bits::One),
        (2, Bits::Two),
        (4, Bits::Four),
        (8, Bits::Eight),
    ] {
        assert_eq!(Bits::try_from(bits), Ok(want));
    }
}

#[test]
fn padded_or_non_base64url_lst_is_refused() {
    let limits = Limits::default();
    for lst in [
        "eNrbuRgAAhcBXQ==", // padded
        "eNrbuRgAAhcBXQ=",  // padded
        "eNrb+RgAAhcBXQ",   // standard alphabet
        "eNrb/RgAAhcBXQ",   // standard alphabet
        "eNrbuRgA AhcBXQ",  // whitespace
        "eNrbuRgAAhcBXR",   // non-canonical trailing bits
        "eNrb!RgAAhcBXQ",   // not base64 at all
    ] {
        assert_eq!(
            StatusList::from_lst(Bits::One, lst, None, &limits),
            Err(Error::LstBase64),
            "{lst}"
        );
    }
    // The unpadded original decodes.
    assert!(StatusList::from_lst(Bits::One, "eNrbuRgAAhcBXQ", None, &limits).is_ok());
}

#[test]
fn gzip_instead_of_zlib_is_refused() {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), Compression::best());
    e.write_all(sample().as_bytes()).unwrap();
    let gz = e.finish().unwrap();
    let lst = jose_core::base64url::encode(&gz);
    assert_eq!(
        StatusList::from_lst(Bits::One, &lst, None, &Limits::default()),
        Err(Error::LstGzip)
    );
}

#[test]
fn raw_deflate_instead_of_zlib_is_refused() {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), Compression::best());
    e.write_all(sample().as_bytes()).unwrap();
    let raw = e.finish().unwrap();
    assert_eq!(
        StatusList::from_zlib(Bits::One, &raw, None, &Limits::default()),
        Err(Error::LstRawDeflate)
    );
    // The draft's own 1-bit example without its 2-byte header and 4-byte trailer.
    let draft = [0x78, 0xda, 0xdb, 0xb9, 0x18, 0x00, 0x02, 0x17, 0x01, 0x5d];
    assert_eq!(
        StatusList::from_zlib(
            Bits::One,
            &draft[2..draft.len() - 4],
            None,
            &Limits::default()
        ),
        Err(Error::LstRawDeflate)
    );
}

#[test]
fn truncated_streams_are_refused() {
    let full = sample().to_zlib();
    let limits = Limits::default();
    // Cut inside the DEFLATE data, inside the Adler-32 trailer, and after the header.
    for cut in [full.len() / 2, full.len() - 1, full.len() - 4, 2, 1, 0] {
        assert_eq!(
            StatusList::from_zlib(Bits::One, &full[..cut], None, &limits),
            Err(Error::LstTruncated),
            "cut at {cut}"
        );
    }
}

#[test]
fn corrupt_and_trailing_data_are_refused() {
    let limits = Limits::default();
    let mut bad_sum = sample().to_zlib();
    let last = bad_sum.len() - 1;
    bad_sum[last] ^= 0xff;
    assert_eq!(
        StatusList::from_zlib(Bits::One, &bad_sum, None, &limits),
        Err(Error::LstCorrupt)
    );
    let mut extra = sample().to_zlib();
    extra.extend_from_slice(b"xyz");
    assert_eq!(
        StatusList::from_zlib(Bits::One, &extra, None, &limits),
        Err(Error::LstTrailingData { extra: 3 })
    );
    assert_eq!(
        StatusList::from_zlib(Bits::One, &[0x1f, 0x8b, 8, 0], None, &limits),
        Err(Error::LstGzip)
    );
    assert_eq!(
        StatusList::from_zlib(Bits::One, &[0x07, 0x34, 0x56], None, &limits),
        Err(Error::LstBadZlibHeader {
            cmf: 0x07,
            flg: 0x34
        })
    );
}

#[test]
fn a_bomb_past_the_hard_ceiling_is_refused() {
    // 17 MiB of zeros compress to about 17 KB; the default ceiling is 16 MiB.
    let bomb = zlib(&vec![0u8; 17 * 1024 * 1024]);
    assert!(bomb.len() < 20_000);
    let lst = jose_core::base64url::encode(&bomb);
    assert_eq!(
        StatusList::from_lst(Bits::One, &lst, None, &Limits::default()),
        Err(Error::LstTooLarge {
            max: status_list::DEFAULT_MAX_INFLATED_BYTES
        })
    );
    // A lower ceiling stops it sooner.
    let limits = Limits::default().with_max_inflated_bytes(4096);
    assert_eq!(
        StatusList::from_zlib(Bits::One, &bomb, None, &limits),
        Err(Error::LstTooLarge { max: 4096 })
    );
}

#[test]
fn the_expected_size_caps_inflation() {
    let list = sample(); // 1024 one-bit entries = 128 bytes
    let z = list.to_zlib();
    let limits = Limits::default();
    assert_eq!(
        StatusList::from_zlib(Bits::One, &z, Some(1024), &limits).unwrap(),
        list
    );
    // Expecting 1016 entries (127 bytes): the 128-byte list is one byte too many.
    assert_eq!(
        StatusList::from_zlib(Bits::One, &z, Some(1016), &limits),
        Err(Error::LstTooLarge { max: 127 })
    );
    // The same list read as 8-bit entries needs 1024 bytes for 1024 entries: allowed.
    assert!(StatusList::from_zlib(Bits::Eight, &z, Some(1024), &limits).is_ok());
}

#[test]
fn index_out_of_range_and_too_wide_values() {
    let mut list = StatusList::new(Bits::Two, 12, &Limits::default()).unwrap();
    assert_eq!(list.len(), 12);
    assert_eq!(
        list.get(StatusIndex::new(12)),
        Err(Error::IndexOutOfRange {
            idx: StatusIndex::new(12),
            len: 12
        })
    );
    assert_eq!(
        list.get(StatusIndex::new(u64::MAX)),
        Err(Error::IndexOutOfRange {
            idx: StatusIndex::new(u64::MAX),
            len: 12
        })
    );
    assert_eq!(
        list.set(StatusIndex::new(0), Status::new(4)),
        Err(Error::StatusTooWide {
            value: 4,
            bits: Bits::Two
        })
    );
    let mut one = StatusList::new(Bits::One, 8, &Limits::default()).unwrap();
    assert_eq!(
        one.set(StatusIndex::new(0), Status::SUSPENDED),
        Err(Error::StatusTooWide {
            value: 2,
            bits: Bits::One
        })
    );
    assert_eq!(list.set(StatusIndex::new(11), Status::new(3)), Ok(()));
}

#[test]
fn lists_past_the_ceiling_cannot_be_created() {
    let limits = Limits::default().with_max_inflated_bytes(100);
    assert!(StatusList::new(Bits::One, 800, &limits).is_ok());
    assert_eq!(
        StatusList::new(Bits::One, 801, &limits),
        Err(Error::ListTooLarge {
            entries: 801,
            bits: Bits::One,
            max: 100
        })
    );
    assert_eq!(
        StatusList::new(Bits::Eight, u64::MAX, &Limits::default()),
        Err(Error::ListTooLarge {
            entries: u64::MAX,
            bits: Bits::Eight,
            max: status_list::DEFAULT_MAX_INFLATED_BYTES
        })
    );
}

#[test]
fn an_empty_list_is_valid_zlib() {
    let empty = StatusList::new(Bits::Four, 0, &Limits::default()).unwrap();
    assert!(empty.is_empty());
    let z = empty.to_zlib();
    assert_eq!(&z[..1], &[0x78]);
    let back =
        StatusList::from_lst(Bits::Four, &empty.to_lst(), Some(0), &Limits::default()).unwrap();
    assert_eq!(back, empty);
    assert_eq!(
        back.get(StatusIndex::new(0)),
        Err(Error::IndexOutOfRange {
            idx: StatusIndex::new(0),
            len: 0
        })
    );
}
