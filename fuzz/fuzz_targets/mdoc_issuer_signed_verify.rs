#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdoc_cbor::fuzzing::issuer_signed_verify(data);
});
