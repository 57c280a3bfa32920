#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    oid4vci_issuer::fuzzing::endpoints(data);
});
