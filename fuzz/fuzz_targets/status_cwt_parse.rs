#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = status_list::fuzzing::parse_cwt(data);
});
