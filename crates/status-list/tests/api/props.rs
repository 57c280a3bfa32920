//! Property tests: set/get and encode/decode round trips for every width.

use proptest::prelude::*;
use status_list::{Bits, Limits, Status, StatusIndex, StatusList};

fn width() -> impl Strategy<Value = Bits> {
    prop::sample::select(Bits::ALL.to_vec())
}

proptest! {
    #[test]
    fn set_get_round_trip(bits in width(), values in prop::collection::vec(any::<u8>(), 0..300)) {
        let n = u64::try_from(values.len()).unwrap();
        let mut list = StatusList::new(bits, n, &Limits::default()).unwrap();
        let values: Vec<u8> = values.iter().map(|v| v & bits.mask()).collect();
        for (i, v) in values.iter().enumerate() {
            list.set(StatusIndex::new(u64::try_from(i).unwrap()), Status::new(*v)).unwrap();
        }
        for (i, v) in values.iter().enumerate() {
            let got = list.get(StatusIndex::new(u64::try_from(i).unwrap())).unwrap();
            prop_assert_eq!(got, Status::new(*v));
        }
        // The packing is the draft's: entry i at byte i/(8/bits), shift (i % (8/bits))*bits.
        let per = usize::from(bits.per_byte());
        for (i, v) in values.iter().enumerate() {
            let shift = (i % per) * usize::from(bits.get());
            prop_assert_eq!((list.as_bytes()[i / per] >> shift) & bits.mask(), *v);
        }
    }

    #[test]
    fn encode_decode_round_trip(bits in width(), bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let list = StatusList::from_bytes(bits, bytes);
        let n = list.len();
        let lst = list.to_lst();
        let back = StatusList::from_lst(bits, &lst, Some(n), &Limits::default()).unwrap();
        prop_assert_eq!(&back, &list);
        let z = StatusList::from_zlib(bits, &list.to_zlib(), None, &Limits::default()).unwrap();
        prop_assert_eq!(z, list);
    }

    #[test]
    fn decoding_never_panics(bits in width(), data in prop::collection::vec(any::<u8>(), 0..200)) {
        let limits = Limits::default().with_max_inflated_bytes(1 << 16);
        let _ = StatusList::from_zlib(bits, &data, None, &limits);
        let mut z = vec![0x78, 0xda];
        z.extend_from_slice(&data);
        let _ = StatusList::from_zlib(bits, &z, None, &limits);
    }
}
