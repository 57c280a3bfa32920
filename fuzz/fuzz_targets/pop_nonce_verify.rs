#![no_main]
libfuzzer_sys::fuzz_target!(|data: &str| {
    let _ = pop_verifier::fuzzing::nonce_verify(data);
});
