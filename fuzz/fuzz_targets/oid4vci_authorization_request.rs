#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oid4vci_types::fuzzing::authorization_request(data));
