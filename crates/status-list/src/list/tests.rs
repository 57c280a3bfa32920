use super::*;

#[test]
fn draft_section_4_1_one_bit_example_packs_lsb_first() {
    // §4.1: statuses 1,0,0,1,1,1,0,1, 1,1,0,0,0,1,0,1 -> bytes B9 A3.
    let statuses = [1u8, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
    let mut list = StatusList::new(Bits::One, 16, &Limits::default()).unwrap();
    for (i, s) in (0u64..).zip(statuses) {
        list.set(StatusIndex::new(i), Status::new(s)).unwrap();
    }
    assert_eq!(list.as_bytes(), &[0xb9, 0xa3]);
}

#[test]
fn draft_section_4_1_two_bit_example_packs_lsb_first() {
    // §4.1: statuses 1,2,0,3, 0,1,0,1, 1,2,3,3 -> bytes C9 44 F9.
    let statuses = [1u8, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3];
    let mut list = StatusList::new(Bits::Two, 12, &Limits::default()).unwrap();
    for (i, s) in (0u64..).zip(statuses) {
        list.set(StatusIndex::new(i), Status::new(s)).unwrap();
    }
    assert_eq!(list.as_bytes(), &[0xc9, 0x44, 0xf9]);
}

#[test]
fn set_overwrites_only_its_own_bits() {
    let mut list = StatusList::from_bytes(Bits::Four, vec![0xff]);
    list.set(StatusIndex::new(1), Status::new(0x5)).unwrap();
    assert_eq!(list.as_bytes(), &[0x5f]);
    list.set(StatusIndex::new(0), Status::VALID).unwrap();
    assert_eq!(list.as_bytes(), &[0x50]);
    assert_eq!(list.get(StatusIndex::new(1)).unwrap(), Status::new(5));
}

#[test]
fn length_rounds_up_to_whole_bytes() {
    let list = StatusList::new(Bits::One, 9, &Limits::default()).unwrap();
    assert_eq!(list.as_bytes().len(), 2);
    assert_eq!(list.len(), 16);
    let list = StatusList::new(Bits::Eight, 3, &Limits::default()).unwrap();
    assert_eq!(list.len(), 3);
}
