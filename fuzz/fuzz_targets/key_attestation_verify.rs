#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = pop_verifier::fuzzing::key_attestation_verify(data);
});
