#![no_main]
libfuzzer_sys::fuzz_target!(|data: &str| {
    let _ = jose_core::fuzzing::parse_and_decrypt_jwe(data);
});
