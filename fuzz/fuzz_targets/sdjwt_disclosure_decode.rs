#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sdjwt_vc::fuzzing::disclosure_decode(data);
});
