#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oid4vci_types::fuzzing::par_request(data));
