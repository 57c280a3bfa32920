#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdoc_cbor::fuzzing::mso_parse(data);
});
