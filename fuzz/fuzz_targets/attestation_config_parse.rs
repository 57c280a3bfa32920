#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = attestation_jwt::fuzzing::attestation_config_parse(data);
});
