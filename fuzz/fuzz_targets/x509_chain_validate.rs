#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| trust_x509::fuzzing::validate_split_chain(data));
