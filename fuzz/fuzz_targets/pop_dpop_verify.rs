#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = pop_verifier::fuzzing::dpop_verify(data);
});
