#![no_main]
libfuzzer_sys::fuzz_target!(|data: &str| {
    let _ = attestation_jwt::fuzzing::attestation_headers(data);
});
