#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = jose_core::fuzzing::parse_jwk(data);
});
